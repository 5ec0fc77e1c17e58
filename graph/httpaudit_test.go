package graph_test

import (
	"encoding/json"
	"net/http"
	"os/exec"
	"testing"

	"fastcms/internal/apptest"
)

// TestGraphQLOverHTTPAudit runs graphql-http's audit of the GraphQL-over-HTTP
// spec (graph/testdata/audit.mjs; scripts/ensure-node-tools.sh installs node
// and the package) against the real server and fails on any audit that is
// not "ok", warnings included.
func TestGraphQLOverHTTPAudit(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	out, err := exec.Command("node", "testdata/audit.mjs", s.URL+"/graphql").Output()
	if err != nil {
		var stderr []byte
		if ee, ok := err.(*exec.ExitError); ok {
			stderr = ee.Stderr
		}
		t.Fatalf("node testdata/audit.mjs (run scripts/ensure-node-tools.sh first): %v\n%s", err, stderr)
	}
	var audits []struct{ ID, Name, Status, Reason string }
	if err := json.Unmarshal(out, &audits); err != nil {
		t.Fatalf("audit output: %v\n%s", err, out)
	}
	if len(audits) < 50 {
		t.Fatalf("only %d audits ran", len(audits))
	}
	for _, a := range audits {
		if a.Status != "ok" {
			t.Errorf("%s %s: %s: %s", a.ID, a.Status, a.Name, a.Reason)
		}
	}
}

// TestGraphQLOverHTTPRequestErrors: a request that cannot run (parse,
// validation or variable coercion failure) answers 200 with errors and no
// data under application/json (asked for, or without Accept), 400 without
// data under application/graphql-response+json; a request with no query is
// a 400 under both. An error during execution keeps its data.
func TestGraphQLOverHTTPRequestErrors(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	parse := `{"errors":[{"message":"Expected Name, found \u003cEOF\u003e","locations":[{"line":1,"column":2}],"extensions":{"code":"GRAPHQL_PARSE_FAILED"}}]}`
	validation := `{"errors":[{"message":"Cannot query field \"nope\" on type \"Query\".","locations":[{"line":1,"column":3}],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`
	coercion := `{"errors":[{"message":"cannot use string as Boolean","path":["variable","b"],"extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`
	noQuery := `{"errors":[{"message":"no operation provided","extensions":{"code":"GRAPHQL_VALIDATION_FAILED"}}]}`
	requests := []struct{ body, want string }{
		{`{"query":"{"}`, parse},
		{`{"query":"{ nope }"}`, validation},
		{`{"query":"query($b: Boolean!) { __typename @include(if: $b) }","variables":{"b":"x"}}`, coercion},
		{`{"qeury":"{ __typename }"}`, noQuery},
	}
	for _, accept := range []string{"", "application/json", "application/graphql-response+json"} {
		for i, req := range requests {
			var headers []string
			if accept != "" {
				headers = []string{"Accept", accept}
			}
			r := s.Do(t, http.MethodPost, "/graphql", req.body, "", headers...)
			status, ct := http.StatusOK, "application/json"
			if accept == "application/graphql-response+json" {
				ct = accept
			}
			if ct == "application/graphql-response+json" || i == 3 {
				status = http.StatusBadRequest
			}
			if r.Status != status || string(r.Body) != req.want || r.Header.Get("Content-Type") != ct {
				t.Errorf("Accept %q, %s:\ngot %d %s %s\nwant %d %s %s", accept, req.body, r.Status, r.Header.Get("Content-Type"), r.Body, status, ct, req.want)
			}
		}
	}
	// GET without a query.
	r := s.Do(t, http.MethodGet, "/graphql", nil, "", "Accept", "application/json")
	if r.Status != http.StatusBadRequest || string(r.Body) != noQuery {
		t.Errorf("GET without query: got %d %s", r.Status, r.Body)
	}
	// A field error during execution: 200 with data, under both.
	for _, accept := range []string{"application/json", "application/graphql-response+json"} {
		r := s.Do(t, http.MethodPost, "/graphql", `{"query":"{ sessions { id } }"}`, "", "Accept", accept)
		if b := r.JSON(t); r.Status != http.StatusOK || b["errors"] == nil || !hasKey(b, "data") {
			t.Errorf("Accept %s, execution error: got %d %s", accept, r.Status, r.Body)
		}
	}
}

func hasKey(m map[string]any, k string) bool { _, ok := m[k]; return ok }

// expectRequestErrors checks the answer to a request that could not run:
// status, and errs with no data entry.
func expectRequestErrors(t *testing.T, r *apptest.Response, status int, errs ...map[string]any) {
	t.Helper()
	list := make([]any, len(errs))
	for i, e := range errs {
		list[i] = e
	}
	apptest.ExpectJSON(t, r, status, map[string]any{"errors": list})
}
