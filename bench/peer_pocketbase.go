package main

// PocketBase with its defaults (SQLite in WAL mode with synchronous=NORMAL:
// a commit is not fsynced, the WAL is at checkpoints) or, with
// --pocketbase-synchronous FULL, every commit fsynced as ours are, in a data directory
// of its own: a superuser made with its CLI, authors and posts collections
// with the same fields (and an index on created, as ours has), and the same
// rows, loaded through its batch API.

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

const pocketBaseVersion = "v0.36.8"

type pocketBase struct {
	pid     int
	base    string
	token   string
	authors []string // PocketBase ids, in the order of b.authors
	ids     []string // PocketBase ids of b.postsPub
}

func (b *bench) startPocketBase(ctx context.Context, p *peers, bin string) (*pocketBase, error) {
	data := filepath.Join(p.dir, "pb_data")
	const email, password = "admin@bench.local", "bench-password-1"
	up, err := p.start("pocketbase-superuser", bin, []string{"superuser", "upsert", email, password, "--dir", data}, nil)
	if err != nil {
		return nil, err
	}
	<-up.done
	if !up.cmd.ProcessState.Success() {
		return nil, fmt.Errorf("superuser upsert: %s", lastLines(readFile(filepath.Join(p.dir, "pocketbase-superuser.log")), 3))
	}
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	var env []string
	if b.pbSync != "" {
		env = append(env, "FASTCMS_BENCH_PB_SYNCHRONOUS="+b.pbSync)
	}
	pr, err := p.start("pocketbase", bin, []string{"serve", "--http", "127.0.0.1:" + strconv.Itoa(port), "--dir", data}, env)
	if err != nil {
		return nil, err
	}
	pb := &pocketBase{pid: pr.cmd.Process.Pid, base: fmt.Sprintf("http://127.0.0.1:%d", port)}
	if err := waitHTTP(ctx, pb.base+"/api/health", pr, time.Minute); err != nil {
		return nil, fmt.Errorf("%w (log: %s)", err, lastLines(readFile(filepath.Join(p.dir, "pocketbase.log")), 5))
	}
	body, err := b.do(ctx, pb.req("POST", "/api/collections/_superusers/auth-with-password",
		map[string]any{"identity": email, "password": password}, false))
	if err != nil {
		return nil, err
	}
	var auth struct{ Token string }
	if err := json.Unmarshal(body, &auth); err != nil || auth.Token == "" {
		return nil, fmt.Errorf("superuser login answered %s", truncate(body, 300))
	}
	pb.token = auth.Token
	if _, err := b.do(ctx, pb.req("PATCH", "/api/settings", map[string]any{
		"batch": map[string]any{"enabled": true, "maxRequests": 500, "timeout": 120},
	}, true)); err != nil {
		return nil, err
	}
	if err := b.pocketBaseLoad(ctx, pb); err != nil {
		return nil, err
	}
	logf("peers: PocketBase %s on %s", pocketBaseVersion, pb.base)
	return pb, nil
}

func (pb *pocketBase) req(method, path string, v any, auth bool) request {
	r := restJSON(method, path, v, auth)
	r.Base, r.Token = pb.base, pb.token
	return r
}

func (b *bench) pocketBaseLoad(ctx context.Context, pb *pocketBase) error {
	autodates := []map[string]any{
		{"name": "created", "type": "autodate", "onCreate": true},
		{"name": "updated", "type": "autodate", "onCreate": true, "onUpdate": true},
	}
	collection := func(name string, fields []map[string]any, indexes []string) (string, error) {
		body, err := b.do(ctx, pb.req("POST", "/api/collections", map[string]any{
			"name": name, "type": "base", "listRule": "", "viewRule": "",
			"fields": append(fields, autodates...), "indexes": indexes,
		}, true))
		if err != nil {
			return "", fmt.Errorf("creating %s: %w", name, err)
		}
		var c struct{ ID string }
		return c.ID, json.Unmarshal(body, &c)
	}
	authorsID, err := collection("authors", []map[string]any{
		{"name": "name", "type": "text", "required": true},
		{"name": "bio", "type": "text"},
	}, nil)
	if err != nil {
		return err
	}
	if _, err := collection("posts", []map[string]any{
		{"name": "title", "type": "text", "required": true},
		{"name": "body", "type": "text"},
		{"name": "author", "type": "relation", "collectionId": authorsID, "maxSelect": 1},
		{"name": "published", "type": "bool"},
		{"name": "views", "type": "number"},
		{"name": "tags", "type": "json"},
	}, []string{"CREATE INDEX idx_posts_created ON posts (created)"}); err != nil {
		return err
	}

	t := time.Now()
	// Authors, in the order of b.authors (by name).
	authorPB := map[string]string{}
	var rows []map[string]any
	var ours []string
	err = b.eachRow(ctx, `SELECT id, name, bio FROM data.authors ORDER BY name`, func(r *sql.Rows) error {
		var id, name string
		var bio sql.NullString
		if err := r.Scan(&id, &name, &bio); err != nil {
			return err
		}
		ours = append(ours, id)
		rows = append(rows, map[string]any{"name": name, "bio": bio.String})
		return nil
	})
	if err != nil {
		return err
	}
	ids, err := b.pocketBaseBatch(ctx, pb, "authors", rows)
	if err != nil {
		return err
	}
	for i, id := range ours {
		authorPB[id] = ids[i]
	}
	for _, id := range b.authors {
		pb.authors = append(pb.authors, authorPB[id])
	}

	// Posts, as they are in our table now (before any workload ran).
	rows, ours = rows[:0], ours[:0]
	err = b.eachRow(ctx, `SELECT id, title, body, author, published, views, tags FROM data.posts ORDER BY title`, func(r *sql.Rows) error {
		var id, title string
		var body, author sql.NullString
		var published sql.NullBool
		var views sql.NullFloat64
		var tags []byte
		if err := r.Scan(&id, &title, &body, &author, &published, &views, &tags); err != nil {
			return err
		}
		ours = append(ours, id)
		row := map[string]any{"title": title, "body": body.String, "author": authorPB[author.String],
			"published": published.Bool, "views": views.Float64}
		if tags != nil {
			row["tags"] = json.RawMessage(tags)
		}
		rows = append(rows, row)
		return nil
	})
	if err != nil {
		return err
	}
	if ids, err = b.pocketBaseBatch(ctx, pb, "posts", rows); err != nil {
		return err
	}
	postPB := make(map[string]string, len(ids))
	for i, id := range ours {
		postPB[id] = ids[i]
	}
	for _, id := range b.postsPub {
		pb.ids = append(pb.ids, postPB[id])
	}
	logf("peers: loaded %d authors and %d posts into PocketBase in %.1f s", len(authorPB), len(postPB), time.Since(t).Seconds())
	return nil
}

func (b *bench) eachRow(ctx context.Context, query string, f func(*sql.Rows) error) error {
	rows, err := b.raw.QueryContext(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		if err := f(rows); err != nil {
			return err
		}
	}
	return rows.Err()
}

// pocketBaseBatch creates the records 500 to a batch (one transaction each)
// and returns their ids in order.
func (b *bench) pocketBaseBatch(ctx context.Context, pb *pocketBase, coll string, rows []map[string]any) ([]string, error) {
	var ids []string
	for k := 0; k < len(rows); k += 500 {
		part := rows[k:min(k+500, len(rows))]
		reqs := make([]map[string]any, len(part))
		for i, r := range part {
			reqs[i] = map[string]any{"method": "POST", "url": "/api/collections/" + coll + "/records", "body": r}
		}
		body, err := b.do(ctx, pb.req("POST", "/api/batch", map[string]any{"requests": reqs}, true))
		if err != nil {
			return nil, fmt.Errorf("loading %s: %w", coll, err)
		}
		var res []struct {
			Status int
			Body   struct{ ID string }
		}
		if err := json.Unmarshal(body, &res); err != nil || len(res) != len(part) {
			return nil, fmt.Errorf("loading %s: the batch answered %s", coll, truncate(body, 300))
		}
		for _, r := range res {
			ids = append(ids, r.Body.ID)
		}
	}
	return ids, nil
}

func (pb *pocketBase) getByID(i int) request {
	return pb.req("GET", "/api/collections/posts/records/"+pb.ids[i%len(pb.ids)], nil, false)
}

func (pb *pocketBase) newest(i int, skipTotal bool) request {
	q := fmt.Sprintf("/api/collections/posts/records?sort=-created&perPage=20&page=%d", 1+i%5)
	if skipTotal {
		q += "&skipTotal=1"
	}
	return pb.req("GET", q, nil, false)
}

func (pb *pocketBase) create(i int) request {
	return pb.req("POST", "/api/collections/posts/records", map[string]any{
		"title": fmt.Sprintf("peer post %d topic%03d", i, i), "body": strings.Repeat("new body ", 30),
		"author": pb.authors[i%len(pb.authors)], "published": i%2 == 0, "views": i, "tags": []string{"go", "new"},
	}, true)
}
