package reference

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"fastcms/graph"
	"fastcms/rest"
)

// section is one section of the reference page.
type section struct {
	ID, Title, Intro string
	Endpoints        []endpoint
}

// endpoint is one REST route as the page shows it.
type endpoint struct {
	ID       string // the element id, for links and tests
	Method   string
	Path     string // the route's path, as in the route table
	Access   rest.Access
	Summary  string
	Examples []example
}

// intros are the sections' opening sentences (the seed's).
var intros = map[string]string{
	"Server":           "Health probes and the one-time creation of the first admin.",
	"Login & Register": "Secure JWT-based authentication with access and refresh tokens.",
	"User Management":  "Manage user accounts and profiles.",
	"Dynamic Data":     "Dynamic collections allow you to create custom data structures.",
	"File Storage":     "Upload and manage files with support for images, documents, and more.",
	"Event Callbacks":  "Subscribe to events and receive HTTP callbacks when records are created, updated, or deleted.",
	"Data Protection":  "Create and restore database backups for disaster recovery.",
	"Social Login":     "Allow users to sign in with Google, GitHub, or Microsoft accounts.",
	"Configuration":    "Manage application configuration values stored in the database.",
}

// samples stand in for a route's path parameters in examples.
var samples = map[string]string{
	"{collection}": "posts", "{provider}": "google", "{category}": "app", "{key}": "maintenance_mode",
	"{delivery}": "DELIVERY_ID",
}

// sampleID names the id a path's {id} stands for: RECORD_ID, USER_ID, ...
func sampleID(path string) string {
	for _, kind := range []struct{ prefix, id string }{
		{"/records", "RECORD_ID"}, {"/admin/users", "USER_ID"}, {"/sessions", "SESSION_ID"}, {"/files", "FILE_ID"},
		{"/webhooks", "WEBHOOK_ID"}, {"/backups", "BACKUP_ID"},
	} {
		if strings.Contains(path, kind.prefix+"/{id}") {
			return kind.id
		}
	}
	return "ID"
}

// tokenFor is the placeholder of the Authorization header a route needs:
// record routes take one too, as their collection's rules may ask for it.
func tokenFor(rt rest.Route) string {
	switch {
	case rt.Access == rest.Admin:
		return "YOUR_ADMIN_TOKEN"
	case rt.Access == rest.User || strings.Contains(rt.Path, "/records"):
		return "YOUR_TOKEN"
	}
	return ""
}

// exampleRequest is rt called with sample values on base.
func exampleRequest(base string, rt rest.Route) request {
	path := strings.ReplaceAll(rt.Path, "{id}", sampleID(rt.Path))
	for param, v := range samples {
		path = strings.ReplaceAll(path, param, v)
	}
	rq := request{Method: rt.Method, URL: base + path, Token: tokenFor(rt), JSON: rt.Example()}
	if rt.Body == rest.FileBody {
		rq.File = "upload.bin"
		if strings.Contains(rt.Path, "/csv") {
			rq.File = "posts.csv"
		}
	}
	return rq
}

// endpointID is the element id of a route: its method and path in
// lower-case words, e.g. post-api-v1-auth-login.
func endpointID(method, path string) string {
	var b strings.Builder
	b.WriteString(strings.ToLower(method))
	for _, r := range strings.ToLower(path) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case !strings.HasSuffix(b.String(), "-"):
			b.WriteByte('-')
		}
	}
	return strings.TrimSuffix(b.String(), "-")
}

// slug is a section's element id.
func slug(title string) string {
	return strings.Trim(endpointID("", strings.ReplaceAll(title, "&", "and")), "-")
}

// sections are the route table's routes by section, with examples on base.
func sections(base string) []section {
	out := make([]section, len(rest.Sections))
	at := map[string]int{}
	for i, title := range rest.Sections {
		out[i] = section{ID: slug(title), Title: title, Intro: intros[title]}
		at[title] = i
	}
	for _, rt := range rest.Routes() {
		i := at[rt.Section()]
		out[i].Endpoints = append(out[i].Endpoints, endpoint{
			ID: endpointID(rt.Method, rt.Path), Method: rt.Method, Path: rt.Path, Access: rt.Access, Summary: rt.Summary,
			Examples: examples(exampleRequest(base, rt)),
		})
	}
	return out
}

// rootField is a static GraphQL root field with an example operation.
type rootField struct {
	Kind, Name, Signature, Description string
	Playground                         string // the playground URL prefilled with the example, "" when it cannot run there
}

// staticOperations are the root fields of schema.graphqls.
func staticOperations() []rootField {
	schema := graph.StaticSchema()
	var out []rootField
	for _, root := range []*ast.Definition{schema.Query, schema.Mutation} {
		for _, f := range root.Fields {
			rf := rootField{Kind: strings.ToLower(root.Name), Name: f.Name, Signature: signature(f), Description: f.Description}
			if op, ok := operation(schema, strings.ToLower(root.Name), f, sampleValue); ok {
				rf.Playground = op.Playground
			}
			out = append(out, rf)
		}
	}
	return out
}

// signature is a field as SDL writes it: name(args): Type.
func signature(f *ast.FieldDefinition) string {
	var args []string
	for _, a := range f.Arguments {
		args = append(args, a.Name+": "+a.Type.String())
	}
	s := f.Name
	if len(args) > 0 {
		s += "(" + strings.Join(args, ", ") + ")"
	}
	return s + ": " + f.Type.String()
}

// quickStart is signing in then listing records, in each language: the
// examples of the two routes one after the other.
func quickStart(base string) endpoint {
	var login, list rest.Route
	for _, rt := range rest.Routes() {
		switch rt.Pattern() {
		case "POST /api/v1/auth/login":
			login = rt
		case "GET /api/v1/collections/{collection}/records":
			list = rt
		}
	}
	first, then := examples(exampleRequest(base, login)), examples(exampleRequest(base, list))
	comment := map[string]string{"curl": "# ", "fetch": "// ", "python": "# "}
	out := endpoint{ID: "quick-start-example", Path: "signing in, then listing records"}
	for i, e := range first {
		c := comment[e.Lang]
		code := c + "1. Sign in: the answer's token.access_token is YOUR_TOKEN.\n" + e.Code + "\n\n" + c + "2. Call the API with it.\n" + then[i].Code
		if e.Lang == "python" {
			code = strings.Replace(code, "\nimport requests\n\n", "\n", 1)
		}
		out.Examples = append(out.Examples, example{e.Lang, e.Label, code})
	}
	return out
}
