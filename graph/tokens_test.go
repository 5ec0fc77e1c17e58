package graph_test

import (
	"encoding/base64"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fastcms/internal/apptest"
)

// sessionID reads the sid claim of an access token the server issued.
func sessionID(t *testing.T, access string) string {
	t.Helper()
	claims := jwt.MapClaims{}
	if _, _, err := jwt.NewParser().ParseUnverified(access, claims); err != nil {
		t.Fatal(err)
	}
	return claims["sid"].(string)
}

// forge signs claims with method and key.
func forge(t *testing.T, method jwt.SigningMethod, key any, claims jwt.MapClaims) string {
	t.Helper()
	tok, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		t.Fatal(err)
	}
	return tok
}

// TestForgedAccessTokens presents access tokens the server did not issue,
// or no longer honours; each is refused, and the request runs as anonymous.
func TestForgedAccessTokens(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	a := register(t, s, newEmail("forge"))
	sid := sessionID(t, a.Access)
	secret := []byte(apptest.Secret)
	now := time.Now()
	valid := func() jwt.MapClaims {
		return jwt.MapClaims{"iss": "fastcms", "sub": a.ID, "sid": sid, "iat": now.Unix(), "exp": now.Add(time.Hour).Unix()}
	}
	with := func(k string, v any) jwt.MapClaims {
		c := valid()
		if v == nil {
			delete(c, k)
		} else {
			c[k] = v
		}
		return c
	}

	// The control: a token forged with the server's secret and live claims
	// is accepted, so every refusal below is for the one thing changed.
	expectSignedIn(t, s, forge(t, jwt.SigningMethodHS256, secret, valid()), a)

	other := register(t, s, newEmail("forge-other"))
	unsigned := forge(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, valid())
	parts := strings.Split(a.Access, ".")
	for _, tc := range []struct{ name, token string }{
		{"expired", forge(t, jwt.SigningMethodHS256, secret, with("exp", now.Add(-time.Minute).Unix()))},
		{"no expiry", forge(t, jwt.SigningMethodHS256, secret, with("exp", nil))},
		{"not yet valid", forge(t, jwt.SigningMethodHS256, secret, with("nbf", now.Add(time.Hour).Unix()))},
		{"another secret", forge(t, jwt.SigningMethodHS256, []byte("another-secret-another-secret-0123456789"), valid())},
		{"alg none", unsigned},
		{"alg none, signature stripped", strings.TrimSuffix(unsigned, ".") + "."},
		{"HS512 with the right secret", forge(t, jwt.SigningMethodHS512, secret, valid())},
		{"wrong issuer", forge(t, jwt.SigningMethodHS256, secret, with("iss", "someone-else"))},
		{"no issuer", forge(t, jwt.SigningMethodHS256, secret, with("iss", nil))},
		{"no session", forge(t, jwt.SigningMethodHS256, secret, with("sid", nil))},
		{"unknown session", forge(t, jwt.SigningMethodHS256, secret, with("sid", "00000000-0000-4000-8000-000000000000"))},
		{"another user's session", forge(t, jwt.SigningMethodHS256, secret, with("sid", sessionID(t, other.Access)))},
		{"no subject", forge(t, jwt.SigningMethodHS256, secret, with("sub", nil))},
		{"unknown subject", forge(t, jwt.SigningMethodHS256, secret, with("sub", "00000000-0000-4000-8000-000000000000"))},
		{"tampered payload", parts[0] + "." + base64.RawURLEncoding.EncodeToString([]byte(`{"iss":"fastcms","sub":"`+other.ID+`","sid":"`+sid+`","exp":9999999999}`)) + "." + parts[2]},
		{"not a JWT", "not-a-jwt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			expectSignedOut(t, s, tc.token)
		})
	}
	t.Run("malformed subject", func(t *testing.T) {
		expectSignedOut(t, s, forge(t, jwt.SigningMethodHS256, secret, with("sub", "not-a-uuid")))
	})
	// The real token still works after all that.
	expectSignedIn(t, s, a.Access, a)
}

// TestExpiredAccessToken moves the server's clock past a real token's expiry.
func TestExpiredAccessToken(t *testing.T) {
	t.Parallel()
	var offset atomic.Int64 // nanoseconds the server's clock runs ahead
	clock := func() time.Time { return time.Now().Add(time.Duration(offset.Load())) }
	s := apptest.Start(t, apptest.WithNow(clock))
	a := register(t, s, newEmail("expire"))
	expectSignedIn(t, s, a.Access, a)

	offset.Store(int64(16 * time.Minute)) // the access token lives 15 minutes
	expectSignedOut(t, s, a.Access)
	// The refresh token, good for 30 days, brings the session back.
	b := refresh(t, s, a)
	expectSignedIn(t, s, b.Access, a)
}
