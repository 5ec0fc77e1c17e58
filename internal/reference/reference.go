// Package reference serves the API reference: the page at /docs built from
// the REST route table (rest.Routes) and the GraphQL schema, a page per
// collection the caller may read at /docs/collections/{name}, and GraphiQL
// at /playground. Everything is rendered from embedded templates and
// assets, under a Content-Security-Policy that allows this origin alone, so
// the pages work without internet and cannot drift from what is served.
package reference

import (
	"bytes"
	"embed"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/httpx"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static assets
var staticFS embed.FS

// csp lets the pages load and connect to this origin only (websockets
// included); GraphiQL's fonts and icons are data: URLs in its CSS.
const csp = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Deps are what the pages read.
type Deps struct {
	Collections *collections.Service
	// PublicURL is PUBLIC_URL: the base URL of examples when a request
	// reaches this host by it (behind a proxy it carries the real scheme).
	PublicURL string
	Log       *slog.Logger
}

type server struct {
	Deps
	pages map[string]*template.Template
}

// Register mounts the pages on mux: GET / sends browsers to /docs.
func Register(mux *http.ServeMux, d Deps) {
	if d.Log == nil {
		d.Log = slog.Default()
	}
	s := &server{Deps: d, pages: map[string]*template.Template{}}
	for _, name := range []string{"index", "collection", "playground"} {
		s.pages[name] = template.Must(template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/parts.html", "templates/"+name+".html"))
	}
	mux.HandleFunc("GET /{$}", s.root)
	mux.HandleFunc("GET /docs", s.index)
	mux.HandleFunc("GET /docs/collections/{name}", s.collection)
	mux.HandleFunc("GET /playground", s.playground)
	mux.HandleFunc("GET /docs/static/{file}", asset("static"))
	mux.HandleFunc("GET /playground/assets/{file}", asset("assets"))
}

var funcs = template.FuncMap{"lower": strings.ToLower, "ops": opsGroup}

// opsGroup is a titled list of GraphQL operations, for the template.
func opsGroup(title, id string, ops []gqlOperation) any {
	return struct {
		Title, ID string
		Ops       []gqlOperation
	}{title, id, ops}
}

// root sends browsers to the reference and tells API clients where it is.
func (s *server) root(w http.ResponseWriter, r *http.Request) {
	if strings.Contains(r.Header.Get("Accept"), "text/html") {
		http.Redirect(w, r, "/docs", http.StatusFound)
		return
	}
	httpx.WriteError(w, r, apierr.NotFound("no route for GET /: the API is under /api/v1 and /graphql, its reference at /docs"))
}

// view is what every page's layout reads.
type view struct {
	Title   string
	Base    string
	Page    string // index, collection or playground
	User    *auth.Principal
	Content any
}

// baseURL is the origin examples call: PUBLIC_URL when the request came
// by its host, else the request's own scheme and host.
func (s *server) baseURL(r *http.Request) string {
	if u, err := url.Parse(s.PublicURL); err == nil && u.Host == r.Host {
		return strings.TrimRight(s.PublicURL, "/")
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return scheme + "://" + r.Host
}

// indexContent is the /docs page's own part.
type indexContent struct {
	Sections    []section
	SignedIn    bool
	Collections []*collections.Collection
	Static      []rootField
	Quick       endpoint
}

func (s *server) index(w http.ResponseWriter, r *http.Request) {
	base := s.baseURL(r)
	content := indexContent{Sections: sections(base), Static: staticOperations(), Quick: quickStart(base)}
	if auth.FromContext(r.Context()) != nil {
		list, err := s.Collections.Readable(r.Context())
		if err != nil {
			httpx.WriteError(w, r, err)
			return
		}
		content.SignedIn, content.Collections = true, list
	}
	s.render(w, r, http.StatusOK, "index", view{Title: "API Reference", Base: base, Content: content})
}

func (s *server) collection(w http.ResponseWriter, r *http.Request) {
	p := auth.FromContext(r.Context())
	base := s.baseURL(r)
	if p == nil {
		s.render(w, r, http.StatusUnauthorized, "collection", view{Title: "Sign in", Base: base})
		return
	}
	list, err := s.Collections.Readable(r.Context())
	if err != nil {
		httpx.WriteError(w, r, err)
		return
	}
	name := r.PathValue("name")
	for _, c := range list {
		if c.Name == name {
			page, err := newCollectionPage(base, c, list, p.IsAdmin())
			if err != nil {
				httpx.WriteError(w, r, err)
				return
			}
			s.render(w, r, http.StatusOK, "collection", view{Title: c.Name, Base: base, Content: page})
			return
		}
	}
	httpx.WriteError(w, r, apierr.NotFound("collection %q not found", name))
}

func (s *server) playground(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "playground", view{Title: "GraphQL Playground", Base: s.baseURL(r)})
}

// render writes a page whole with status, or a 500 when its template fails.
func (s *server) render(w http.ResponseWriter, r *http.Request, status int, page string, v view) {
	v.Page, v.User = page, auth.FromContext(r.Context())
	var b bytes.Buffer
	if err := s.pages[page].Execute(&b, v); err != nil {
		s.Log.ErrorContext(r.Context(), "rendering the reference", "page", page, "err", err)
		httpx.WriteError(w, r, err)
		return
	}
	h := w.Header()
	setSecurity(h)
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func setSecurity(h http.Header) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "same-origin")
}

// asset serves the embedded files of dir, which change only with a new
// server build (browsers keep them an hour); a missing one is the usual 404.
func asset(dir string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		name := dir + "/" + r.PathValue("file")
		if _, err := fs.Stat(staticFS, name); err != nil {
			httpx.WriteError(w, r, apierr.NotFound("no route for %s %s", r.Method, r.URL.Path))
			return
		}
		setSecurity(w.Header())
		w.Header().Set("Cache-Control", "public, max-age=3600")
		http.ServeFileFS(w, r, staticFS, name)
	}
}
