package graph

import (
	"bytes"
	"encoding/json"
	"io"
	"mime"
	"net/http"
	"strings"
)

// The GraphQL-over-HTTP spec (graphql.github.io/graphql-over-http) on
// requests that cannot run (a document that does not parse or validate,
// variables that do not coerce, a limit exceeded): gqlgen answers them 422
// under application/json, where the spec says 200, and with "data": null,
// where the GraphQL spec says an error raised before execution leaves data
// out. overHTTP rewrites those answers: 200 under application/json (the
// default without Accept), 400 under application/graphql-response+json,
// no data key under either; and 400 under both for a request with no query
// at all, which is not a GraphQL request (graphql-http's audit checks each).
// Other answers, including the error envelope of checkRequest, pass as they are.
func overHTTP(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Upgrade") != "" || (r.Method != http.MethodGet && r.Method != http.MethodPost) {
			next.ServeHTTP(w, r)
			return
		}
		sw := &specWriter{ResponseWriter: w, req: r}
		if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); r.Method == http.MethodPost && mt == "application/json" {
			sw.reqBody = &bytes.Buffer{}
			r.Body = struct {
				io.Reader
				io.Closer
			}{io.TeeReader(r.Body, sw.reqBody), r.Body}
		}
		next.ServeHTTP(sw, r)
		sw.finish()
	})
}

// specWriter holds back the answer to a request error so finish can
// rewrite it; every other answer goes straight through.
type specWriter struct {
	http.ResponseWriter
	req     *http.Request
	reqBody *bytes.Buffer // a JSON POST's body as gqlgen read it
	status  int
	held    *bytes.Buffer
}

const graphQLResponseType = "application/graphql-response+json"

func (w *specWriter) WriteHeader(code int) {
	if w.status != 0 {
		return
	}
	w.status = code
	ct, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type"))
	if code == http.StatusUnprocessableEntity || (code == http.StatusBadRequest && ct == graphQLResponseType) {
		w.held = &bytes.Buffer{}
		return
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *specWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.WriteHeader(http.StatusOK)
	}
	if w.held != nil {
		return w.held.Write(p)
	}
	return w.ResponseWriter.Write(p)
}

// Flush lets a streaming transport flush through the wrapper.
func (w *specWriter) Flush() {
	if f, ok := w.ResponseWriter.(http.Flusher); ok && w.held == nil {
		f.Flush()
	}
}

// finish writes a held answer: its errors (and extensions) without data,
// with the spec's status.
func (w *specWriter) finish() {
	if w.held == nil {
		return
	}
	var resp struct {
		Errors     json.RawMessage `json:"errors"`
		Extensions json.RawMessage `json:"extensions,omitempty"`
	}
	body := w.held.Bytes()
	if json.Unmarshal(body, &resp) == nil && resp.Errors != nil {
		if b, err := json.Marshal(resp); err == nil {
			body = b
		}
	}
	status := http.StatusOK
	if ct, _, _ := mime.ParseMediaType(w.Header().Get("Content-Type")); ct == graphQLResponseType || w.noQuery() {
		status = http.StatusBadRequest
	}
	w.ResponseWriter.WriteHeader(status)
	w.ResponseWriter.Write(body) //nolint:errcheck // the client is gone
}

// noQuery reports a request that names no query: neither a query nor an
// automatic persisted query's hash.
func (w *specWriter) noQuery() bool {
	var p struct {
		Query      *string        `json:"query"`
		Extensions map[string]any `json:"extensions"`
	}
	switch {
	case w.req.Method == http.MethodGet:
		q := w.req.URL.Query()
		p.Query = new(string)
		*p.Query = q.Get("query")
		if strings.Contains(q.Get("extensions"), "persistedQuery") {
			return false
		}
	case w.reqBody != nil:
		if json.Unmarshal(w.reqBody.Bytes(), &p) != nil {
			return false
		}
	default:
		return false
	}
	return (p.Query == nil || *p.Query == "") && p.Extensions["persistedQuery"] == nil
}
