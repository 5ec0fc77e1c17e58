package graph_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"mime/multipart"
	"net/http"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// Automatic persisted queries: a hash the server has not seen asks for the
// query; once sent with it, the hash alone works.
func TestPersistedQueries(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	const query = "{ setup_needed }"
	sum := sha256.Sum256([]byte(query))
	ext := map[string]any{"persistedQuery": map[string]any{"version": 1, "sha256Hash": hex.EncodeToString(sum[:])}}

	r := s.Do(t, http.MethodPost, "/graphql", map[string]any{"extensions": ext}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": nil, "errors": []any{
		map[string]any{"message": "PersistedQueryNotFound", "extensions": map[string]any{"code": "PERSISTED_QUERY_NOT_FOUND"}}}})

	r = s.Do(t, http.MethodPost, "/graphql", map[string]any{"query": query, "extensions": ext}, "")
	setup := r.JSON(t)["data"]
	if r.Status != http.StatusOK || setup == nil {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	r = s.Do(t, http.MethodPost, "/graphql", map[string]any{"extensions": ext}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": setup})
}

// GraphQL over HTTP: a client that accepts application/graphql-response+json
// gets that media type, with 400 for a request that cannot run.
func TestGraphQLResponseMediaType(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	for _, c := range []struct {
		body   string
		status int
	}{
		{`{"query":"{ setup_needed }"}`, http.StatusOK},
		{`{"query":"{ nope }"}`, http.StatusBadRequest},
		{`{"query":"{"}`, http.StatusBadRequest},
	} {
		r := s.Do(t, http.MethodPost, "/graphql", c.body, "", "Accept", "application/graphql-response+json")
		if r.Status != c.status || r.Header.Get("Content-Type") != "application/graphql-response+json" {
			t.Errorf("%s: %d %q, want %d application/graphql-response+json", c.body, r.Status, r.Header.Get("Content-Type"), c.status)
		}
	}
	r := s.Do(t, http.MethodPost, "/graphql", `{"query":"{ setup_needed }"}`, "", "Accept", "application/json")
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Accept application/json got %q", ct)
	}
}

// With GRAPHQL_INTROSPECTION=false the schema cannot be read; the rest works.
func TestIntrospectionOff(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.GraphQL.Introspection = false })
	r := s.Do(t, http.MethodPost, "/graphql", map[string]any{"query": "{ __schema { queryType { name } } }"}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"errors": []any{
		map[string]any{"message": "introspection is disabled on this server", "extensions": map[string]any{"code": "INTROSPECTION_DISABLED"}}}})
	r = s.Do(t, http.MethodPost, "/graphql", map[string]any{"query": "{ __typename setup_needed }"}, "")
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"data": map[string]any{"__typename": "Query", "setup_needed": r.JSON(t)["data"].(map[string]any)["setup_needed"]}})
}

// The GraphQL multipart request spec (the form uploads use) is served.
func TestMultipartRequest(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("operations", `{"query":"{ __typename }"}`) //nolint:errcheck // a bytes.Buffer does not fail
	mw.WriteField("map", `{}`)                                //nolint:errcheck
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, s.URL+"/graphql", &body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || string(got) != `{"data":{"__typename":"Query"}}` {
		t.Fatalf("%d %s", resp.StatusCode, got)
	}
}
