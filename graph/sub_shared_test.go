package graph_test

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"fastcms/internal/apptest"
	"fastcms/internal/records"
)

// teamNotes makes teams (lead) and notes (body, team) whose rule lets a
// note be seen by its team's lead (through the relation) and one team led
// by each of leads; rules names the rules of notes (list, view or both).
func teamNotes(t *testing.T, s *apptest.Server, admin, rules string, leads ...account) (teams, notes string, ids []string) {
	t.Helper()
	teams, notes = newName("teams"), newName("notes")
	createColl(t, s, admin, teams, `[{name: "lead", type: "text"}]`, `, view_rule: ""`)
	createColl(t, s, admin, notes, fmt.Sprintf(`[{name: "body", type: "text"}, {name: "team", type: "relation", relation: {collection: %q}}]`, teams),
		strings.ReplaceAll(rules, "RULE", `"team.lead = @request.auth.id"`))
	for _, l := range leads {
		ids = append(ids, insert(t, s, admin, teams, map[string]any{"lead": l.ID}))
	}
	return teams, notes, ids
}

// countStatements counts the statements the GraphQL paths send that read
// table: shared ones (a multiplexed statement) and the others; writes,
// which go through the same paths, are not counted.
func countStatements(t *testing.T, table string) (shared, alone *atomic.Int64) {
	shared, alone = new(atomic.Int64), new(atomic.Int64)
	stop := records.ObserveStatements(func(stmt string) {
		switch {
		case !strings.Contains(stmt, `"`+table+`"`):
		case strings.Contains(stmt, "INSERT INTO ") || strings.Contains(stmt, "UPDATE ") || strings.Contains(stmt, "DELETE FROM "):
			// A write (the statement of a create, say), not a check.
		case strings.Contains(stmt, "jsonb_array_elements"):
			shared.Add(1)
		default:
			alone.Add(1)
		}
	})
	t.Cleanup(stop)
	return shared, alone
}

// TestSubscriptionRelationRuleOneCheck: subscribers of X_mutated under a
// view rule through a relation — two users, one of them on two sockets —
// are checked by one statement per event, and each still receives only
// what the rule lets it see.
func TestSubscriptionRelationRuleOneCheck(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	lead, other := register(t, s, newEmail("oclead")), register(t, s, newEmail("ocother"))
	_, notes, team := teamNotes(t, s, root.Access, `, view_rule: RULE`, lead, other)
	t1, t2 := team[0], team[1]
	field := notes + "_mutated"
	open := func(a account) *wsClient {
		c := dialWS(t, s, transportWS, nil)
		c.init(bearer(a.Access))
		c.start("1", fmt.Sprintf(`subscription { %s { event data { body } } }`, field), nil)
		return c
	}
	l1, l2, o := open(lead), open(lead), open(other)
	settle() // the subscriptions follow the log from here
	shared, alone := countStatements(t, notes)
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
