package graph_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/records"
)

// TestSubscriptionRelationRuleOneCheck: subscribers of X_mutated under a
// view rule through a relation — two users, one of them on two sockets —
// are checked by one statement per event, and each still receives only
// what the rule lets it see.
func TestSubscriptionRelationRuleOneCheck(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	lead, other := register(t, s, newEmail("oclead")), register(t, s, newEmail("ocother"))
	teams, notes := newName("octeams"), newName("ocnotes")
	createColl(t, s, root.Access, teams, `[{name: "lead", type: "text"}]`, `, view_rule: ""`)
	createColl(t, s, root.Access, notes, fmt.Sprintf(`[{name: "body", type: "text"}, {name: "team", type: "relation", relation: {collection: %q}}]`, teams),
		`, view_rule: "team.lead = @request.auth.id"`)
	t1 := insert(t, s, root.Access, teams, map[string]any{"lead": lead.ID})
	t2 := insert(t, s, root.Access, teams, map[string]any{"lead": other.ID})
	field := notes + "_mutated"
	open := func(a account) *wsClient {
		c := dialWS(t, s, transportWS, nil)
		c.init(bearer(a.Access))
		c.start("1", fmt.Sprintf(`subscription { %s { event data { body } } }`, field), nil)
		return c
	}
	l1, l2, o := open(lead), open(lead), open(other)
	settle() // the subscriptions follow the log from here
	var shared, alone atomic.Int64
	stop := records.ObserveGraphQL(func(stmt string) {
		if strings.Contains(stmt, `"`+notes+`"`) {
			if strings.Contains(stmt, "jsonb_array_elements") {
				shared.Add(1)
			} else {
				alone.Add(1)
			}
		}
	})
	defer stop()
	restCreate(t, s, root.Access, notes, map[string]any{"body": "lead's", "team": t1})
	ins := func(body string) map[string]any {
		return map[string]any{"event": "INSERT", "data": map[string]any{"body": body}}
	}
	l1.expectEvent("1", field, ins("lead's"))
	l2.expectEvent("1", field, ins("lead's"))
	settle()
	if n, m := shared.Load(), alone.Load(); n != 1 || m != 0 {
		t.Fatalf("one event was checked for 3 subscribers by %d shared and %d single statements, want 1 and 0", n, m)
	}
	// other's first event is his own note: the lead's was not delivered.
	restCreate(t, s, root.Access, notes, map[string]any{"body": "other's", "team": t2})
	o.expectEvent("1", field, ins("other's"))
	restCreate(t, s, root.Access, notes, map[string]any{"body": "lead's 2", "team": t1})
	l1.expectEvent("1", field, ins("lead's 2"))
	l2.expectEvent("1", field, ins("lead's 2"))
}
