package rest_test

import (
	"fmt"
	"net/http"
	"sync"
	"testing"

	"fastcms/internal/apptest"
)

// Many creates at once, through REST and GraphQL, share statements
// (records' combined creates) and each still gets exactly its own answer:
// its record, the create rule's 403, or the 409 of a unique value another
// create took first; nothing else is written.
func TestConcurrentCreatesAnswerEachCaller(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("burst"))
	name := newName("burst")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "create_rule": `title != "no"`,
		"schema": []any{field("title", "text"), field("mail", "email", "validation", map[string]any{"unique": true})}})

	const n = 64
	type answer struct {
		kind string
		r    *apptest.Response
		gql  map[string]any
	}
	answers := make([]answer, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			title, mail := fmt.Sprintf("t%d", i), fmt.Sprintf("m%d@x.io", i)
			switch i % 4 {
			case 0:
				answers[i] = answer{kind: "rest", r: s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records",
					map[string]any{"data": map[string]any{"title": title, "mail": mail}}, user.Access)}
			case 1:
				answers[i] = answer{kind: "refused", r: s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records",
					map[string]any{"data": map[string]any{"title": "no", "mail": mail}}, user.Access)}
			case 2:
				answers[i] = answer{kind: "dup", r: s.Do(t, http.MethodPost, "/api/v1/collections/"+name+"/records",
					map[string]any{"data": map[string]any{"title": title, "mail": "dup@x.io"}}, user.Access)}
			case 3:
				r, d := s.GraphQL(t, fmt.Sprintf(`mutation($o: %[1]s_insert_input!) { insert_%[1]s_one(object: $o) { title mail } }`, name),
					map[string]any{"o": map[string]any{"title": title, "mail": mail}}, user.Access)
				answers[i] = answer{kind: "graphql", r: r, gql: d}
			}
		}()
	}
	wg.Wait()

	dupWon := 0
	for i, a := range answers {
		title, mail := fmt.Sprintf("t%d", i), fmt.Sprintf("m%d@x.io", i)
		switch a.kind {
		case "rest":
			apptest.ExpectJSON(t, a.r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID,
				"data": map[string]any{"title": title, "mail": mail}, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
		case "refused":
			apptest.ExpectError(t, a.r, http.StatusForbidden, "forbidden", "the create rule of "+name+" does not allow this record", nil)
		case "dup":
			if a.r.Status == http.StatusCreated {
				dupWon++
				apptest.ExpectJSON(t, a.r, http.StatusCreated, map[string]any{"id": apptest.AnyUUID,
					"data": map[string]any{"title": title, "mail": "dup@x.io"}, "created": apptest.AnyTime, "updated": apptest.AnyTime, "expand": nil})
				continue
			}
			apptest.ExpectError(t, a.r, http.StatusConflict, "conflict", "mail: value must be unique", map[string]string{"mail": "must be unique"})
		case "graphql":
			apptest.ExpectJSON(t, a.r, http.StatusOK, map[string]any{"data": map[string]any{"insert_" + name + "_one": map[string]any{"title": title, "mail": mail}}})
		}
	}
	if dupWon != 1 {
		t.Fatalf("%d creates of the same unique value succeeded, want 1", dupWon)
	}
	// 16 REST, 16 GraphQL and the one duplicate that won: nothing else.
	list := s.Do(t, http.MethodGet, "/api/v1/collections/"+name+"/records?per_page=100", nil, user.Access).JSON(t)
	if got := list["total"]; got != float64(n/4*2+1) {
		t.Fatalf("%v records listed, want %d", got, n/4*2+1)
	}
}
