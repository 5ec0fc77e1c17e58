package apptest

import (
	"encoding/json"
	"fmt"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"

	"fastcms/internal/timefmt"
)

// Matcher stands in an expected JSON value for a value not known in advance.
type Matcher struct {
	name string
	ok   func(v any) bool
}

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)

// Matchers for generated values.
var (
	AnyUUID   = Matcher{"a UUID", func(v any) bool { s, ok := v.(string); return ok && uuidRE.MatchString(s) }}
	AnyTime   = Matcher{"a timestamp", isTimestamp}
	AnyString = Matcher{"a non-empty string", func(v any) bool { s, ok := v.(string); return ok && s != "" }}
	AnyNumber = Matcher{"a number", func(v any) bool { _, ok := v.(float64); return ok }}
)

func isTimestamp(v any) bool {
	s, ok := v.(string)
	if !ok {
		return false
	}
	t, err := time.Parse(timefmt.Layout, s)
	return err == nil && timefmt.Format(t) == s
}

// ExpectJSON checks the status and that the JSON body equals want exactly,
// where Matchers in want accept generated values.
func ExpectJSON(tb testing.TB, r *Response, status int, want any) {
	tb.Helper()
	if r.Status != status {
		tb.Fatalf("status %d, want %d; body: %s", r.Status, status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		tb.Fatalf("Content-Type %q, want JSON", ct)
	}
	var got any
	if err := json.Unmarshal(r.Body, &got); err != nil {
		tb.Fatalf("body is not JSON: %v: %s", err, r.Body)
	}
	if diff := Diff(got, want, "$"); diff != "" {
		tb.Fatalf("%s\nbody: %s", diff, r.Body)
	}
}

// ExpectError checks an error envelope exactly; fields may be nil.
func ExpectError(tb testing.TB, r *Response, status int, code, message string, fields map[string]string) {
	tb.Helper()
	details := map[string]any{}
	if fields != nil {
		f := map[string]any{}
		for k, v := range fields {
			f[k] = v
		}
		details["fields"] = f
	}
	ExpectJSON(tb, r, status, map[string]any{"error": code, "message": message, "details": details})
}

// Diff describes the first differences between a decoded JSON value and
// want, or returns "".
func Diff(got, want any, path string) string {
	switch w := want.(type) {
	case Matcher:
		if !w.ok(got) {
			return fmt.Sprintf("%s: got %#v, want %s", path, got, w.name)
		}
		return ""
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Sprintf("%s: got %#v, want an object", path, got)
		}
		var out []string
		keys := map[string]bool{}
		for k := range g {
			keys[k] = true
		}
		for k := range w {
			keys[k] = true
		}
		sorted := make([]string, 0, len(keys))
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			gv, gok := g[k]
			wv, wok := w[k]
			switch {
			case !gok:
				out = append(out, fmt.Sprintf("%s.%s: missing, want %#v", path, k, wv))
			case !wok:
				out = append(out, fmt.Sprintf("%s.%s: unexpected %#v", path, k, gv))
			default:
				if d := Diff(gv, wv, path+"."+k); d != "" {
					out = append(out, d)
				}
			}
		}
		return strings.Join(out, "\n")
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Sprintf("%s: got %#v, want %d items", path, got, len(w))
		}
		var out []string
		for i := range w {
			if d := Diff(g[i], w[i], fmt.Sprintf("%s[%d]", path, i)); d != "" {
				out = append(out, d)
			}
		}
		return strings.Join(out, "\n")
	case int:
		return Diff(got, float64(w), path)
	}
	if !reflect.DeepEqual(got, want) {
		return fmt.Sprintf("%s: got %#v, want %#v", path, got, want)
	}
	return ""
}
