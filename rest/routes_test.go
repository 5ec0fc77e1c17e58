package rest

import (
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
)

// The route table and the REST contract list the same routes. The
// contract's sections not built yet are named here, and must shrink as
// they land.
func TestRoutesMatchContract(t *testing.T) {
	spec, err := os.ReadFile("../../shared/spec/rest-api.md")
	if err != nil {
		t.Skipf("the contract is not beside the repository: %v", err)
	}
	inSpec := contractRoutes(string(spec))
	var inCode []string
	for _, rt := range Routes() {
		inCode = append(inCode, normalRoute(rt.Method, rt.Path))
	}
	// Extensions the README documents.
	notInContract := []string{"GET /ready", "POST /api/v1/auth/request-verification", "GET /api/v1/auth/oauth", "DELETE /api/v1/auth/oauth/{}",
		"POST /api/v1/webhooks/{}/deliveries/{}/redeliver", "POST /api/v1/backups/upload",
		"GET /api/v1/backups/{}"}
	notBuilt := []string{}
	for _, r := range inCode {
		if !slices.Contains(inSpec, r) && !slices.Contains(notInContract, r) {
			t.Errorf("%s is served but not in the contract", r)
		}
	}
	for _, r := range inSpec {
		built := !slices.ContainsFunc(notBuilt, func(p string) bool { return strings.Contains(r, " "+p) })
		if built && !slices.Contains(inCode, r) {
			t.Errorf("%s is in the contract but not served", r)
		}
		if !built && slices.Contains(inCode, r) {
			t.Errorf("%s is served: take its section off notBuilt", r)
		}
	}
}

var (
	sectionBase = regexp.MustCompile("^## .*\\(`(/api/v1/[^`]*)`")
	methodPath  = regexp.MustCompile("\\b((?:GET|POST|PATCH|DELETE)(?:/(?:GET|POST|PATCH|DELETE))*)\\s+(?:\\|\\s*)?(`[^`]+`|list|create)")
	param       = regexp.MustCompile(`\{[^}]*\}`)
)

// contractRoutes reads "METHOD path" out of the contract's tables and
// prose, resolving each path against its section's base path.
func contractRoutes(spec string) []string {
	var out []string
	base := ""
	for _, line := range strings.Split(spec, "\n") {
		if strings.HasPrefix(line, "## ") {
			base = ""
			if m := sectionBase.FindStringSubmatch(line); m != nil {
				base = m[1]
			}
			continue
		}
		for _, m := range methodPath.FindAllStringSubmatch(line, -1) {
			p := strings.Trim(m[2], "`")
			if strings.HasPrefix(p, "<") {
				continue // a webhook's target, not a route
			}
			for _, method := range strings.Split(m[1], "/") {
				out = append(out, normalRoute(method, resolve(base, p)))
			}
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}

func resolve(base, p string) string {
	last := base[strings.LastIndexByte(base, '/')+1:]
	switch {
	case base == "" || strings.HasPrefix(p, "/api/"):
		return p
	case p == "list" || p == "create":
		return base
	case strings.HasPrefix(p, "…/"):
		return base + strings.TrimPrefix(p[len("…/"):], last)
	case strings.HasPrefix(p, "/"+last):
		return strings.TrimSuffix(base, "/"+last) + p
	}
	return base + p
}

func normalRoute(method, path string) string {
	path, _, _ = strings.Cut(path, "?")
	return method + " " + param.ReplaceAllString(path, "{}")
}

// Every route is in a section of the reference page, and every route that
// reads JSON has an example body there, which is valid JSON.
func TestRoutesHaveReference(t *testing.T) {
	for _, rt := range Routes() {
		if !slices.Contains(Sections, rt.Section()) {
			t.Errorf("%s: no section of the reference page (rest/reference.go sectionOf)", rt.Pattern())
		}
		ex := rt.Example()
		if rt.Body == JSONBody && ex == "" {
			t.Errorf("%s reads JSON but has no example (rest/reference.go examples)", rt.Pattern())
		}
		if ex != "" && !json.Valid([]byte(ex)) {
			t.Errorf("%s: the example is not JSON: %s", rt.Pattern(), ex)
		}
	}
	for pattern := range examples {
		if !slices.ContainsFunc(Routes(), func(rt Route) bool { return rt.Pattern() == pattern }) {
			t.Errorf("example for %s, which is not a route", pattern)
		}
	}
}
