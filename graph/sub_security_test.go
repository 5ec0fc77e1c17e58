package graph_test

import (
	"fmt"
	"testing"

	"fastcms/internal/apptest"
)

// Finding 12: with a view rule through a relation, which only the current
// row can be checked against, a replayed (or superseded) event is
// delivered only while its state is still the record's current one: a
// state that was hidden when it happened is never shown.
func TestSecurity12ReplayRelationRule(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := adminAccount(t, s)
	for _, proto := range protocols {
		t.Run(proto, func(t *testing.T) {
			alice, bob := register(t, s, newEmail("r12alice")), register(t, s, newEmail("r12bob"))
			teams, docs := newName("r12teams"), newName("r12docs")
			createColl(t, s, root.Access, teams, `[{name: "owner", type: "text"}]`, `, list_rule: "", view_rule: ""`)
			createColl(t, s, root.Access, docs, fmt.Sprintf(`[{name: "team", type: "relation", relation: {collection: %q}}, {name: "secret", type: "text"}]`, teams),
				`, list_rule: "team.owner = @request.auth.id", view_rule: "team.owner = @request.auth.id"`)
			board := insert(t, s, root.Access, teams, map[string]any{"owner": bob.ID})
			mine := insert(t, s, root.Access, teams, map[string]any{"owner": alice.ID})
			field := docs + "_mutated"
			before := logEnd(t, s)

			// Written in team A, redacted, then moved to alice's team B.
			doc := insert(t, s, root.Access, docs, map[string]any{"team": board, "secret": "board-only: merger with ACME"})
			set := func(values string) {
				must(t, s, root.Access, fmt.Sprintf(`mutation { update_%s_by_pk(pk_columns: {id: %q}, _set: {%s}) { id } }`, docs, doc, values), nil)
			}
			set(`secret: "redacted"`)
			set(fmt.Sprintf(`team: %q`, mine))

			c := dialWS(t, s, proto, nil)
			c.init(bearer(alice.Access))
			c.start("1", fmt.Sprintf(`subscription($a: String) { %s(after_seq: $a) { event id data { secret } } }`, field), map[string]any{"a": before})
			// Only the last event shows the current, visible state.
			c.expectEvent("1", field, map[string]any{"event": "UPDATE", "id": doc, "data": map[string]any{"secret": "redacted"}})
			// Live events go on as before.
			set(`secret: "v2"`)
			c.expectEvent("1", field, map[string]any{"event": "UPDATE", "id": doc, "data": map[string]any{"secret": "v2"}})
		})
	}
}
