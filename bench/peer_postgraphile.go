package main

// PostGraphile 4 over our benchmark database's own tables (schema "data"),
// as the database owner, so it reads and writes the very rows ours does.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

type postgraphile struct {
	pid     int
	base    string
	version string
	authors []string
	ids     []string
}

// pgFields are PostGraphile's names for the fields ours returns.
const pgFields = `id title body author published views tags created updated`

func (b *bench) startPostGraphile(ctx context.Context, p *peers, bin, dsn string) (*postgraphile, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	pr, err := p.start("postgraphile", bin, []string{
		"-c", dsn, "--schema", "data", "--host", "127.0.0.1", "--port", strconv.Itoa(port),
		"--dynamic-json", "--disable-query-log", "--no-setof-functions-contain-nulls",
	}, []string{"NODE_ENV=production"})
	if err != nil {
		return nil, err
	}
	g := &postgraphile{pid: pr.cmd.Process.Pid, base: fmt.Sprintf("http://127.0.0.1:%d", port), version: packageVersion(bin),
		authors: b.authors, ids: b.postsPub}
	if err := waitHTTP(ctx, g.base+"/graphql", pr, time.Minute); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, lastLines(readFile(filepath.Join(p.dir, "postgraphile.log")), 5))
	}
	// The schema must have the names the workloads use.
	body, err := b.do(ctx, g.getByID(0))
	if err != nil {
		return nil, err
	}
	if !strings.Contains(string(body), `"postById":{`) {
		return nil, fmt.Errorf("postById answered %s", truncate(body, 300))
	}
	logf("peers: PostGraphile %s on %s", g.version, g.base)
	return g, nil
}

func (g *postgraphile) gql(query string, vars map[string]any) request {
	r := gql(query, vars, false)
	r.Base = g.base
	return r
}

func (g *postgraphile) getByID(i int) request {
	return g.gql(`query($id: UUID!) { postById(id: $id) { `+pgFields+` } }`, map[string]any{"id": g.ids[i%len(g.ids)]})
}

func (g *postgraphile) newest(i int) request {
	return g.gql(`query($o: Int) { allPosts(first: 20, offset: $o, orderBy: CREATED_DESC) { nodes { `+pgFields+` } } }`,
		map[string]any{"o": 20 * (i % 5)})
}

func (g *postgraphile) create(i int) request {
	return g.gql(`mutation($p: PostInput!) { createPost(input: {post: $p}) { post { id created } } }`, map[string]any{"p": map[string]any{
		"title": fmt.Sprintf("peer post %d topic%03d", i, i), "body": strings.Repeat("new body ", 30),
		"author": g.authors[i%len(g.authors)], "published": i%2 == 0, "views": i, "tags": []string{"go", "new"},
	}})
}

// packageVersion reads the version of the npm package the executable
// belongs to (node_modules/.bin/x → node_modules/x/package.json).
func packageVersion(bin string) string {
	dir := filepath.Join(filepath.Dir(bin), "..", filepath.Base(bin))
	var pkg struct{ Version string }
	if err := json.Unmarshal([]byte(readFile(filepath.Join(dir, "package.json"))), &pkg); err != nil || pkg.Version == "" {
		return "4"
	}
	return pkg.Version
}

func readFile(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return ""
	}
	return string(b)
}
