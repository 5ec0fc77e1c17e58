package graph_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// TestSecurity10EmailChange: update_me has no email argument any more; the
// email changes through request_email_change (password, mail to the new
// address, notice to the old one) and confirm_email_change.
func TestSecurity10EmailChange(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("e10"))
	other := login(t, s, a.Email, password)
	newAddr := newEmail("e10new")

	q := `mutation { update_me(email: "attacker@evil.example") { email } }`
	r := gql(t, s, q, nil, a.Access)
	expectRequestErrors(t, r, http.StatusOK, map[string]any{
		"message": `Unknown argument "email" on field "Mutation.update_me".`, "locations": []any{loc(1, 12)},
		"extensions": map[string]any{"code": "GRAPHQL_VALIDATION_FAILED"}})

	rq := `mutation($e: String!, $p: String!) { request_email_change(new_email: $e, password: $p) }`
	expectErrors(t, gql(t, s, rq, map[string]any{"e": newAddr, "p": password}, ""), nil,
		fieldErr(rq, "request_email_change", msgAuthRequired, "UNAUTHENTICATED", nil))
	expectErrors(t, gql(t, s, rq, map[string]any{"e": newAddr, "p": "wrong1234"}, a.Access), nil,
		fieldErr(rq, "request_email_change", "password: is incorrect", "BAD_USER_INPUT", map[string]string{"password": "is incorrect"}))
	if n := s.Mail.Count(newAddr, "Confirm your new email"); n != 0 {
		t.Fatalf("%d confirmation mails after a wrong password", n)
	}
	expectData(t, gql(t, s, rq, map[string]any{"e": newAddr, "p": password}, a.Access), map[string]any{"request_email_change": true})
	token := apptest.Token(t, s.Mail.Last(t, newAddr, "Confirm your new email"))
	s.Mail.Last(t, a.Email, "Your email is being changed")
	expectSignedIn(t, s, a.Access, a) // unchanged until confirmed

	cq := `mutation($t: String!) { confirm_email_change(token: $t) }`
	expectData(t, gql(t, s, cq, map[string]any{"t": token}, a.Access), map[string]any{"confirm_email_change": true})
	expectData(t, gql(t, s, `{ me { email verified } }`, nil, a.Access), map[string]any{"me": map[string]any{"email": newAddr, "verified": true}})
	expectSignedOut(t, s, other.Access)
	login(t, s, newAddr, password)
	expectErrors(t, gql(t, s, cq, map[string]any{"t": token}, ""), nil,
		fieldErr(cq, "confirm_email_change", "invalid or expired token", "BAD_USER_INPUT", nil))
}
