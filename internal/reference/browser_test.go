package reference_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"fastcms/internal/apptest"
	"fastcms/rest"
)

// screenshotDir is where the browser tests save their screenshots
// (gitignored).
const screenshotDir = "screenshots"

// chromium finds Debian's browser; without it the browser tests skip,
// unless FASTCMS_BROWSER_TESTS is set (scripts/test.sh sets it after
// scripts/ensure-chromium.sh installed the browser), when they fail.
func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if path, err := exec.LookPath(name); err == nil {
			return path
		}
	}
	if os.Getenv("FASTCMS_BROWSER_TESTS") != "" {
		t.Fatal("no chromium on PATH: run scripts/ensure-chromium.sh")
	}
	t.Skip("no chromium on PATH (scripts/ensure-chromium.sh installs it)")
	return ""
}

// traffic is what the browser did: every request and websocket it opened,
// and every console error, exception and browser log error.
type traffic struct {
	mu       sync.Mutex
	requests []string
	problems []string
}

func (tr *traffic) listen(ev any) {
	tr.mu.Lock()
	defer tr.mu.Unlock()
	switch ev := ev.(type) {
	case *network.EventRequestWillBeSent:
		tr.requests = append(tr.requests, ev.Request.URL)
	case *network.EventWebSocketCreated:
		tr.requests = append(tr.requests, ev.URL)
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeWarning {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			tr.problems = append(tr.problems, fmt.Sprintf("console.%s: %s", ev.Type, strings.Join(args, " ")))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		desc := d.Text
		if d.Exception != nil {
			desc += " " + d.Exception.Description
		}
		tr.problems = append(tr.problems, "exception: "+desc)
	case *log.EventEntryAdded:
		if ev.Entry.Level == log.EntryLevelError || ev.Entry.Level == log.EntryLevelWarning {
			tr.problems = append(tr.problems, fmt.Sprintf("log %s: %s %s", ev.Entry.Level, ev.Entry.Text, ev.Entry.URL))
		}
	}
}

// check fails t for a problem or for a request to another origin than base.
func (tr *traffic) check(t *testing.T, base string) {
	t.Helper()
	tr.mu.Lock()
	defer tr.mu.Unlock()
	ws := "ws" + strings.TrimPrefix(base, "http")
	for _, u := range tr.requests {
		if !strings.HasPrefix(u, base+"/") && !strings.HasPrefix(u, ws+"/") && !strings.HasPrefix(u, "data:") {
			t.Errorf("the browser requested %s, not on %s", u, base)
		}
	}
	for _, p := range tr.problems {
		t.Errorf("the browser reported %s", p)
	}
	t.Logf("%d requests, all on %s", len(tr.requests), base)
}

// do runs actions, failing t on an error.
func do(t *testing.T, ctx context.Context, what string, steps ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// eval evaluates a JavaScript expression, failing t on an error.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("%s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript expression until it is truthy, and returns
// it; a navigation under way restarts the polling on the new page.
func waitFor[T any](t *testing.T, ctx context.Context, what, expr string) T {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		v, err := chromedp.Run(ctx, chromedp.Poll[T](expr, chromedp.WithPollingTimeout(time.Until(deadline)), chromedp.WithPollingInterval(50*time.Millisecond)))
		if err == nil {
			return v
		}
		if !(strings.Contains(err.Error(), "navigated") || strings.Contains(err.Error(), "context")) || time.Now().After(deadline) {
			t.Fatalf("waiting for %s (%s): %v", what, expr, err)
		}
	}
}

// screenshot saves what the window shows as screenshots/<name>.png.
func screenshot(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(screenshotDir, name+".png"), png, 0o644); err != nil {
		t.Fatal(err)
	}
}

// One browser drives the reference pages and the playground of the real
// server: the page renders every section, signing in shows a new
// collection, its page names its fields, its curl example works as copied,
// and the playground runs a query and a subscription, all with no request
// to another origin and nothing on the console.
func TestBrowser(t *testing.T) {
	path := chromium(t)
	s := apptest.Start(t)
	admin := adminToken(t, s)

	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(),
		chromedp.ExecPath(path), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()), chromedp.WindowSize(1280, 900),
		chromedp.Flag("disable-background-networking", true), chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true), chromedp.Flag("disable-quic", true), chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true), chromedp.Flag("disable-default-apps", true))
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(allocCtx)
	defer cancel()
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	defer cancelTimeout()
	tr := &traffic{}
	if err := chromedp.Listen(ctx, tr.listen); err != nil {
		t.Fatal(err)
	}

	// GET / sends the browser to /docs, which has every section.
	do(t, ctx, "open /", chromedp.Navigate(s.URL+"/"))
	if loc := eval[string](t, ctx, "location.pathname"); loc != "/docs" {
		t.Fatalf("/ led to %s", loc)
	}
	headings := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('main h2')).map(h => h.textContent)`)
	for _, title := range append(slices.Clone(rest.Sections), "Base URL", "GraphQL", "Quick Start") {
		if !slices.Contains(headings, title) {
			t.Errorf("no section %q in %v", title, headings)
		}
	}
	if n := eval[int](t, ctx, `document.querySelectorAll('article.endpoint').length`); n != len(rest.Routes()) {
		t.Errorf("%d endpoints shown, %d routes", n, len(rest.Routes()))
	}
	checkAccessible(t, ctx)
	screenshot(t, ctx, "docs-anonymous")

	// Choosing Python shows Python under every endpoint.
	do(t, ctx, "choose Python", chromedp.Click(`#post-api-v1-auth-login-python-tab`))
	if shown := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('[role=tabpanel]:not([hidden])')).map(p => p.dataset.lang).filter((v, i, a) => a.indexOf(v) === i)`); !slices.Equal(shown, []string{"python"}) {
		t.Errorf("after choosing Python the panels shown are %v", shown)
	}
	do(t, ctx, "choose curl", chromedp.Click(`#post-api-v1-auth-login-curl-tab`))

	// Signing in, then a new collection appears under Your Collections.
	do(t, ctx, "sign in",
		chromedp.SendKeys(`#sign-in-email`, "root@example.com"),
		chromedp.SendKeys(`#sign-in-password`, password),
		chromedp.Click(`#sign-in button[type=submit]`))
	waitFor[bool](t, ctx, "signed in", `document.getElementById('signed-in-as') !== null`)
	createCollection(t, s, admin, map[string]any{"name": "articles", "list_rule": "", "view_rule": "", "create_rule": "", "schema": []any{
		map[string]any{"name": "headline", "type": "text", "validation": map[string]any{"required": true}},
		map[string]any{"name": "word_count", "type": "number"},
		map[string]any{"name": "published", "type": "bool"},
	}})
	do(t, ctx, "reload", chromedp.Reload())
	waitFor[bool](t, ctx, "the new collection", `document.querySelector('a[data-collection="articles"]') !== null`)
	do(t, ctx, "scroll", chromedp.Evaluate[chromedp.Void](`document.getElementById('your-collections').scrollIntoView()`))
	screenshot(t, ctx, "docs-your-collections")

	// Its page names its fields.
	do(t, ctx, "open the collection", chromedp.Click(`a[data-collection="articles"]`))
	waitFor[bool](t, ctx, "the collection page", `document.getElementById('collection-name') !== null`)
	fields := eval[[]string](t, ctx, `Array.from(document.querySelectorAll('.field-name')).map(c => c.textContent)`)
	if !slices.Equal(fields, []string{"headline", "word_count", "published"}) {
		t.Errorf("fields shown: %v", fields)
	}
	checkAccessible(t, ctx)
	screenshot(t, ctx, "collection")
	do(t, ctx, "scroll", chromedp.Evaluate[chromedp.Void](`document.getElementById('graphql').scrollIntoView()`))
	screenshot(t, ctx, "collection-graphql")

	// Its curl example, as the Copy button copies it, creates a record.
	curl := eval[string](t, ctx, `document.querySelector('#post-api-v1-collections-collection-records-curl code').textContent`)
	if !strings.Contains(curl, s.URL+"/api/v1/collections/articles/records") || !strings.Contains(curl, `"headline": "example headline"`) {
		t.Fatalf("the curl example: %s", curl)
	}
	out, err := exec.Command("sh", "-c", strings.ReplaceAll(curl, "YOUR_TOKEN", admin)+" -sS -w ' %{http_code}'").CombinedOutput()
	if err != nil || !strings.HasSuffix(string(out), " 201") {
		t.Fatalf("the copied curl: %v: %s", err, out)
	}
	var created struct {
		ID   string         `json:"id"`
		Data map[string]any `json:"data"`
	}
	if err := json.Unmarshal([]byte(strings.TrimSuffix(string(out), " 201")), &created); err != nil {
		t.Fatal(err)
	}
	if want := map[string]any{"headline": "example headline", "word_count": 42.0, "published": true}; !equalJSON(created.Data, want) {
		t.Errorf("the record created by curl: %v", created.Data)
	}

	// The playground, opened from the collection page with the query
	// prefilled and the signed-in token in its headers, runs it.
	do(t, ctx, "open the query", chromedp.Click(`#op-articles a.open-playground`))
	waitFor[bool](t, ctx, "GraphiQL", `document.querySelector('.graphiql-execute-button') !== null`)
	do(t, ctx, "run the query", chromedp.Click(`.graphiql-execute-button`))
	result := waitFor[string](t, ctx, "the query's result", `(() => { const r = document.querySelector('.result-window'); return r && r.innerText.includes('example headline') ? r.innerText : ''; })()`)
	if !strings.Contains(result, created.ID) {
		t.Errorf("the query's result has no %s: %s", created.ID, result)
	}
	screenshot(t, ctx, "playground-query")

	// A subscription over graphql-transport-ws gets the next insert.
	do(t, ctx, "reopen the collection", chromedp.Navigate(s.URL+"/docs/collections/articles"))
	waitFor[bool](t, ctx, "the collection page", `document.getElementById('op-articles_mutated') !== null`)
	do(t, ctx, "open the subscription", chromedp.Click(`#op-articles_mutated a.open-playground`))
	waitFor[bool](t, ctx, "GraphiQL", `document.querySelector('.graphiql-execute-button') !== null`)
	do(t, ctx, "subscribe", chromedp.Click(`.graphiql-execute-button`))
	waitFor[bool](t, ctx, "the subscription to start", `document.querySelector('.graphiql-execute-button').getAttribute('aria-label') === 'Stop query (Ctrl-Enter)' || document.querySelector('.graphiql-execute-button svg') !== null`)
	var result2 string
	for i := 0; i < 50 && result2 == ""; i++ {
		r := s.Do(t, http.MethodPost, "/api/v1/collections/articles/records", map[string]any{"data": map[string]any{"headline": fmt.Sprintf("live %d", i)}}, admin)
		if r.Status != http.StatusCreated {
			t.Fatalf("insert: %d %s", r.Status, r.Body)
		}
		result2, _ = chromedp.Run(ctx, chromedp.Poll[string](`(() => { const r = document.querySelector('.result-window'); return r && r.innerText.includes('INSERT') ? r.innerText : ''; })()`,
			chromedp.WithPollingTimeout(300*time.Millisecond), chromedp.WithPollingInterval(50*time.Millisecond)))
	}
	if !strings.Contains(result2, `"headline": "live`) {
		t.Errorf("the subscription's result: %q", result2)
	}
	screenshot(t, ctx, "playground-subscription")

	// Narrow screens: no sideways scrolling.
	do(t, ctx, "phone", chromedp.EmulateViewport(375, 812, chromedp.EmulateMobile), chromedp.Navigate(s.URL+"/docs"))
	waitFor[bool](t, ctx, "the page", `document.readyState === 'complete'`)
	if over := eval[int](t, ctx, `document.documentElement.scrollWidth - window.innerWidth`); over > 0 {
		t.Errorf("at 375px the page is %dpx too wide", over)
	}
	screenshot(t, ctx, "docs-phone")

	tr.check(t, s.URL)
}

// checkAccessible checks what a page must have for assistive technology:
// one h1, a main landmark, no skipped heading level, a label for every
// input, and a name for every link and button.
func checkAccessible(t *testing.T, ctx context.Context) {
	t.Helper()
	problems := eval[[]string](t, ctx, `(() => {
		const out = [];
		if (document.querySelectorAll('h1').length !== 1) out.push('h1 count ' + document.querySelectorAll('h1').length);
		if (!document.querySelector('main')) out.push('no main');
		if (!document.documentElement.lang) out.push('no lang');
		let last = 1;
		for (const h of document.querySelectorAll('h1,h2,h3,h4,h5,h6')) {
			const level = +h.tagName[1];
			if (level > last + 1) out.push('heading skips to ' + h.tagName + ': ' + h.textContent);
			last = level;
		}
		for (const i of document.querySelectorAll('input, select, textarea')) {
			if (!(i.labels && i.labels.length) && !i.getAttribute('aria-label')) out.push('unlabelled ' + (i.id || i.name));
		}
		for (const a of document.querySelectorAll('a, button')) {
			if (!(a.textContent.trim() || a.getAttribute('aria-label'))) out.push('unnamed ' + a.outerHTML.slice(0, 80));
		}
		return out;
	})()`)
	for _, p := range problems {
		t.Errorf("accessibility: %s", p)
	}
}

func equalJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return string(x) == string(y)
}
