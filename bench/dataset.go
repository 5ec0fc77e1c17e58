package main

// The admin, the three collections, and the deterministic dataset, loaded
// through the CSV import (which is measured on the way, as is the export).

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"time"
)

func runtimeVersion() string { return runtime.Version() }

func numCPU() int { return runtime.NumCPU() }

// words make titles and bodies; "topicNNN" (200 of them) is what search
// looks for, each in about 0.5 % of the posts.
var words = strings.Fields(`lorem ipsum dolor sit amet consectetur adipiscing elit sed do eiusmod tempor
incididunt ut labore et dolore magna aliqua enim ad minim veniam quis nostrud exercitation ullamco laboris
nisi aliquip ex ea commodo consequat duis aute irure in reprehenderit voluptate velit esse cillum fugiat
nulla pariatur excepteur sint occaecat cupidatat non proident sunt culpa qui officia deserunt mollit anim
id est laborum postgres graph query index cursor page filter search author comment`)

func sentence(r *rand.Rand, minBytes int) string {
	var sb strings.Builder
	for sb.Len() < minBytes {
		if sb.Len() > 0 {
			sb.WriteByte(' ')
		}
		sb.WriteString(words[r.IntN(len(words))])
	}
	return sb.String()
}

func (b *bench) setup(ctx context.Context) error {
	body, err := b.do(ctx, restJSON("POST", "/api/v1/setup", map[string]string{
		"email": "admin@bench.local", "password": "bench-password-1", "password_confirm": "bench-password-1", "name": "Bench",
	}, false))
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	var auth struct {
		Token struct {
			AccessToken string `json:"access_token"`
		} `json:"token"`
	}
	if err := json.Unmarshal(body, &auth); err != nil || auth.Token.AccessToken == "" {
		return fmt.Errorf("setup answered %s", truncate(body, 300))
	}
	b.token = auth.Token.AccessToken
	b.collID = map[string]string{}
	public := ""
	create := func(name string, fields []map[string]any) error {
		body, err := b.do(ctx, restJSON("POST", "/api/v1/collections", map[string]any{
			"name": name, "type": "base", "schema": fields, "list_rule": public, "view_rule": public,
		}, true))
		if err != nil {
			return fmt.Errorf("creating %s: %w", name, err)
		}
		var c struct{ ID string }
		if err := json.Unmarshal(body, &c); err != nil {
			return err
		}
		b.collID[name] = c.ID
		return nil
	}
	if err := create("authors", []map[string]any{
		{"name": "name", "type": "text", "validation": map[string]any{"required": true}},
		{"name": "bio", "type": "text"},
	}); err != nil {
		return err
	}
	if err := create("posts", []map[string]any{
		{"name": "title", "type": "text", "validation": map[string]any{"required": true}},
		{"name": "body", "type": "text"},
		{"name": "author", "type": "relation", "relation": map[string]any{"collection": b.collID["authors"]}},
		{"name": "published", "type": "bool"},
		{"name": "views", "type": "number"},
		{"name": "tags", "type": "json"},
	}); err != nil {
		return err
	}
	return create("comments", []map[string]any{
		{"name": "post", "type": "relation", "relation": map[string]any{"collection": b.collID["posts"]}},
		{"name": "body", "type": "text"},
	})
}

// importResult is one CSV import or export, measured.
type transferResult struct {
	Collection string  `json:"collection"`
	Rows       int     `json:"rows"`
	Bytes      int     `json:"bytes"`
	Seconds    float64 `json:"seconds"`
	RowsPerSec float64 `json:"rows_per_s"`
	Stmts      int64   `json:"sql_stmts"`
	// The twin: the same rows through pq's COPY into a scratch copy of the
	// table (import), or the captured statement read and written as CSV
	// (export).
	TwinSeconds    float64 `json:"twin_seconds"`
	TwinRowsPerSec float64 `json:"twin_rows_per_s"`
	Ratio          float64 `json:"ratio_vs_twin"`
}

func (b *bench) importCSV(ctx context.Context, coll string, header []string, rows [][]string) error {
	var csvBuf bytes.Buffer
	w := csv.NewWriter(&csvBuf)
	w.Write(header)  //nolint:errcheck // a bytes.Buffer does not fail
	w.WriteAll(rows) //nolint:errcheck
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", coll+".csv")
	if err != nil {
		return err
	}
	part.Write(csvBuf.Bytes()) //nolint:errcheck
	mw.Close()
	req := request{Method: "POST", Path: "/api/v1/collections/" + coll + "/records/import/csv", Body: body.Bytes(),
		ContentType: mw.FormDataContentType(), Auth: true, Want: http.StatusCreated}
	stmts := b.serverRec.stmts.Load()
	t := time.Now()
	out, err := b.do(ctx, req)
	if err != nil {
		return fmt.Errorf("CSV import of %s: %w", coll, err)
	}
	el := time.Since(t).Seconds()
	var res struct{ Imported int }
	if err := json.Unmarshal(out, &res); err != nil || res.Imported != len(rows) {
		return fmt.Errorf("CSV import of %s answered %s", coll, truncate(out, 300))
	}
	tr := transferResult{Collection: coll, Rows: len(rows), Bytes: csvBuf.Len(), Seconds: el, RowsPerSec: float64(len(rows)) / el,
		Stmts: b.serverRec.stmts.Load() - stmts}
	if err := b.copyTwin(ctx, coll, header, rows, &tr); err != nil {
		return err
	}
	b.res.Imports = append(b.res.Imports, tr)
	logf("imported %d %s in %.2f s (%.0f rows/s; COPY twin %.0f rows/s)", len(rows), coll, el, tr.RowsPerSec, tr.TwinRowsPerSec)
	return nil
}

// copyTwin sends the same rows through COPY into a scratch table shaped
// like the collection's (same columns, defaults, generated search column
// and indexes), in one transaction, then drops it.
func (b *bench) copyTwin(ctx context.Context, coll string, header []string, rows [][]string, tr *transferResult) error {
	scratch := "bench_twin_" + coll
	if _, err := b.raw.ExecContext(ctx, fmt.Sprintf(`CREATE TABLE public.%s (LIKE data.%q INCLUDING ALL)`, scratch, coll)); err != nil {
		return err
	}
	defer b.raw.ExecContext(context.WithoutCancel(ctx), "DROP TABLE IF EXISTS public."+scratch) //nolint:errcheck
	t := time.Now()
	tx, err := b.twin.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck
	cols := make([]string, len(header))
	for i, h := range header {
		cols[i] = fmt.Sprintf("%q", h)
	}
	stmt, err := tx.PrepareContext(ctx, fmt.Sprintf("COPY public.%s (%s) FROM STDIN", scratch, strings.Join(cols, ", ")))
	if err != nil {
		return err
	}
	vals := make([]any, len(header))
	for _, r := range rows {
		for i, v := range r {
			if v == "" {
				vals[i] = nil
			} else {
				vals[i] = v
			}
		}
		if _, err := stmt.ExecContext(ctx, vals...); err != nil {
			return err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return err
	}
	stmt.Close()
	if err := tx.Commit(); err != nil {
		return err
	}
	tr.TwinSeconds = time.Since(t).Seconds()
	tr.TwinRowsPerSec = float64(len(rows)) / tr.TwinSeconds
	tr.Ratio = tr.RowsPerSec / tr.TwinRowsPerSec
	return nil
}

func (b *bench) ids(ctx context.Context, query string) ([]string, error) {
	rows, err := b.raw.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}

func (b *bench) loadData(ctx context.Context) error {
	r := rand.New(rand.NewPCG(b.p.Seed, 1))
	var rows [][]string
	for i := 0; i < b.p.Authors; i++ {
		rows = append(rows, []string{fmt.Sprintf("author %04d", i), sentence(r, 60)})
	}
	if err := b.importCSV(ctx, "authors", []string{"name", "bio"}, rows); err != nil {
		return err
	}
	var err error
	// The import keeps file order in the ids; the names say it anyway.
	if b.authors, err = b.ids(ctx, `SELECT id FROM data.authors ORDER BY name`); err != nil {
		return err
	}

	rows = rows[:0]
	tags := []string{"go", "sql", "graphql", "rest", "perf", "news"}
	for i := 0; i < b.p.Posts; i++ {
		title := fmt.Sprintf("post %06d %s topic%03d", i, sentence(r, 20), r.IntN(200))
		tagJSON, _ := json.Marshal([]string{tags[r.IntN(len(tags))], tags[r.IntN(len(tags))]})
		rows = append(rows, []string{title, sentence(r, 300), b.authors[r.IntN(len(b.authors))],
			strconv.FormatBool(r.IntN(10) < 8), strconv.Itoa(r.IntN(10_000)), string(tagJSON)})
	}
	if err := b.importCSV(ctx, "posts", []string{"title", "body", "author", "published", "views", "tags"}, rows); err != nil {
		return err
	}
	if b.posts, err = b.ids(ctx, `SELECT id FROM data.posts ORDER BY title`); err != nil {
		return err
	}
	if b.postsPub, err = b.ids(ctx, `SELECT id FROM data.posts WHERE published ORDER BY title LIMIT 1000`); err != nil {
		return err
	}

	rows = rows[:0]
	for i := 0; i < b.p.Posts*b.p.CommentsPerPost; i++ {
		rows = append(rows, []string{b.posts[i%len(b.posts)], sentence(r, 80)})
	}
	if err := b.importCSV(ctx, "comments", []string{"post", "body"}, rows); err != nil {
		return err
	}
	// Settle the tables so autovacuum does not start mid-measurement.
	for _, t := range []string{"authors", "posts", "comments"} {
		if _, err := b.raw.ExecContext(ctx, fmt.Sprintf(`VACUUM ANALYZE data.%q`, t)); err != nil {
			return err
		}
	}
	return b.exportCSV(ctx, "posts")
}

// exportCSV streams the posts export once and counts it, then replays its
// captured statements writing CSV, as the twin.
func (b *bench) exportCSV(ctx context.Context, coll string) error {
	req := request{Method: "GET", Path: "/api/v1/collections/" + coll + "/records/export/csv", Auth: true}
	stmts := b.serverRec.stmts.Load()
	b.serverRec.start()
	t := time.Now()
	out, err := b.do(ctx, req)
	el := time.Since(t).Seconds()
	steps := b.serverRec.stop()
	if err != nil {
		return fmt.Errorf("CSV export: %w", err)
	}
	n := bytes.Count(out, []byte("\n")) - 1 // header; a quoted body never spans lines here
	tr := transferResult{Collection: coll, Rows: n, Bytes: len(out), Seconds: el, RowsPerSec: float64(n) / el,
		Stmts: b.serverRec.stmts.Load() - stmts}
	t = time.Now()
	if err := b.replayCSV(ctx, steps); err != nil {
		return fmt.Errorf("export twin: %w", err)
	}
	tr.TwinSeconds = time.Since(t).Seconds()
	tr.TwinRowsPerSec = float64(n) / tr.TwinSeconds
	tr.Ratio = tr.RowsPerSec / tr.TwinRowsPerSec
	b.res.Exports = append(b.res.Exports, tr)
	logf("exported %d %s in %.2f s (%.0f rows/s; twin %.0f rows/s)", n, coll, el, tr.RowsPerSec, tr.TwinRowsPerSec)
	return nil
}

// replayCSV runs the export's read statements (the last query is the one
// that streams the rows) and writes every row as CSV.
func (b *bench) replayCSV(ctx context.Context, steps []sqlStep) error {
	for _, s := range steps {
		if s.Kind != kindQuery {
			continue
		}
		rows, err := b.twin.QueryContext(ctx, s.Query, s.Args...)
		if err != nil {
			return err
		}
		cols, _ := rows.Columns()
		raw := make([][]byte, len(cols))
		ptrs := make([]any, len(cols))
		for i := range raw {
			ptrs[i] = &raw[i]
		}
		w := csv.NewWriter(io.Discard)
		rec := make([]string, len(cols))
		w.Write(cols) //nolint:errcheck
		for rows.Next() {
			if err := rows.Scan(ptrs...); err != nil {
				rows.Close()
				return err
			}
			for i, v := range raw {
				rec[i] = string(v)
			}
			w.Write(rec) //nolint:errcheck
		}
		w.Flush()
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}
