package main

// The workloads, each a small pool of pre-encoded request variants; the SQL
// twin of variant i is what the server issued for it, captured by running
// it once alone.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
)

type workload struct {
	Name  string
	API   string // REST or GraphQL
	Reqs  []request
	Write bool
	Note  string
}

const postFields = `id title body author { id } published views tags created updated`

func (b *bench) workloads(ctx context.Context) ([]workload, error) {
	const n = 100
	P := "/api/v1/collections/posts/records"
	var ws []workload
	add := func(name, api string, write bool, note string, mk func(i int) request) {
		w := workload{Name: name, API: api, Write: write, Note: note}
		for i := 0; i < n; i++ {
			w.Reqs = append(w.Reqs, mk(i))
		}
		ws = append(ws, w)
	}
	id := func(i int) string { return b.postsPub[i%len(b.postsPub)] }

	add("get-by-id", "REST", false, "", func(i int) request {
		return restJSON("GET", P+"/"+id(i), nil, false)
	})
	add("get-by-id", "GraphQL", false, "", func(i int) request {
		return gql(`query($id: ID!) { posts_by_pk(id: $id) { `+postFields+` } }`, map[string]any{"id": id(i)}, false)
	})
	add("list-20-sorted", "REST", false, "sort=created, 5 pages, skipTotal", func(i int) request {
		return restJSON("GET", fmt.Sprintf("%s?sort=created&per_page=20&page=%d&skipTotal=true", P, 1+i%5), nil, false)
	})
	add("list-20-sorted", "GraphQL", false, "order_by created asc, 5 pages", func(i int) request {
		return gql(`query($o: Int) { posts(order_by: {created: asc}, limit: 20, offset: $o) { `+postFields+` } }`,
			map[string]any{"o": 20 * (i % 5)}, false)
	})
	add("list-20-newest", "REST", false, "sort=-created, 5 pages, skipTotal: the (created, id) index walked backwards", func(i int) request {
		return restJSON("GET", fmt.Sprintf("%s?sort=-created&per_page=20&page=%d&skipTotal=true", P, 1+i%5), nil, false)
	})
	add("list-20-newest", "GraphQL", false, "order_by created desc, 5 pages: the (created, id) index walked backwards", func(i int) request {
		return gql(`query($o: Int) { posts(order_by: {created: desc}, limit: 20, offset: $o) { `+postFields+` } }`,
			map[string]any{"o": 20 * (i % 5)}, false)
	})
	add("list-filter", "REST", false, "published && views >= k", func(i int) request {
		f := url.QueryEscape(fmt.Sprintf("published = true && views >= %d", 50*i))
		return restJSON("GET", fmt.Sprintf("%s?filter=%s&sort=created&per_page=20&skipTotal=true", P, f), nil, false)
	})
	add("list-filter", "GraphQL", false, "published && views >= k", func(i int) request {
		return gql(`query($v: Float) { posts(where: {published: {_eq: true}, views: {_gte: $v}}, order_by: {created: asc}, limit: 20) { `+postFields+` } }`,
			map[string]any{"v": 50 * i}, false)
	})
	add("search-top-20", "REST", false, "ranked, ~0.5% of posts match", func(i int) request {
		return restJSON("GET", fmt.Sprintf("%s?search=topic%03d&per_page=20&skipTotal=true", P, i), nil, false)
	})
	add("search-top-20", "GraphQL", false, "no order_by (posts_order_by has no _rank yet), ~0.5% of posts match", func(i int) request {
		return gql(`query($s: String) { posts(search: $s, limit: 20) { `+postFields+` } }`,
			map[string]any{"s": fmt.Sprintf("topic%03d", i)}, false)
	})
	add("nested", "GraphQL", false, "10 posts → author → 5 latest comments", func(i int) request {
		return gql(`query($o: Int) { posts(order_by: {created: asc}, limit: 10, offset: $o) { id title views
  author { id name bio }
  comments_via_post(order_by: {created: desc}, limit: 5) { id body created } } }`, map[string]any{"o": 10 * i}, false)
	})

	// Deep pages at 90 % of the posts.
	depth := b.p.Posts * 9 / 10
	cursors, err := b.cursorsAt(ctx, depth, n)
	if err != nil {
		return nil, err
	}
	add("deep-page-cursor", "GraphQL", false, fmt.Sprintf("posts_connection after the cursor at %d", depth), func(i int) request {
		return gql(`query($c: String) { posts_connection(first: 20, after: $c) { edges { cursor node { id title views } } page_info { has_next_page end_cursor } } }`,
			map[string]any{"c": cursors[i]}, false)
	})
	add("deep-page-offset", "GraphQL", false, fmt.Sprintf("posts offset %d", depth), func(i int) request {
		return gql(`query($o: Int) { posts(limit: 20, offset: $o) { id title views } }`, map[string]any{"o": depth + i}, false)
	})
	add("deep-page-offset", "REST", false, fmt.Sprintf("page at %d, skipTotal", depth), func(i int) request {
		return restJSON("GET", fmt.Sprintf("%s?per_page=20&page=%d&skipTotal=true&fields=id,title,views", P, depth/20+1+i%5), nil, false)
	})
	add("aggregate", "GraphQL", false, "count/avg/max over published posts", func(i int) request {
		return gql(`query($v: Float) { posts_aggregate(where: {published: {_eq: true}, views: {_gte: $v}}) { aggregate { count avg { views } max { views } } } }`,
			map[string]any{"v": 10 * i}, false)
	})

	newPost := func(i int) map[string]any {
		return map[string]any{"title": fmt.Sprintf("new post %d topic%03d", i, i), "body": strings.Repeat("new body ", 30),
			"author": b.authors[i%len(b.authors)], "published": i%2 == 0, "views": i, "tags": []string{"go", "new"}}
	}
	add("create", "REST", true, "admin token", func(i int) request {
		return restJSON("POST", P, map[string]any{"data": newPost(i)}, true)
	})
	add("create", "GraphQL", true, "admin token", func(i int) request {
		return gql(`mutation($o: posts_insert_input!) { insert_posts_one(object: $o) { id created } }`, map[string]any{"o": newPost(i)}, true)
	})
	batch := func(i int) []string {
		k := (i % 20) * 100
		return b.posts[k : k+100]
	}
	add("bulk-update-100", "REST", true, "20 disjoint sets of 100", func(i int) request {
		return restJSON("POST", P+"/bulk-update", map[string]any{"record_ids": batch(i), "data": map[string]any{"views": i}}, true)
	})
	add("bulk-update-100", "GraphQL", true, "20 disjoint sets of 100", func(i int) request {
		return gql(`mutation($ids: [ID!], $v: Float) { update_posts(where: {id: {_in: $ids}}, _set: {views: $v}, at_most: 100) { affected_rows } }`,
			map[string]any{"ids": batch(i), "v": i}, true)
	})
	add("mixed-90/10", "REST", true, "90 % get by id, 10 % PATCH views+ 1", func(i int) request {
		if i%10 == 9 {
			return restJSON("PATCH", P+"/"+id(i), map[string]any{"data": map[string]any{"views+": 1}}, true)
		}
		return restJSON("GET", P+"/"+id(i), nil, false)
	})
	add("mixed-90/10", "GraphQL", true, "90 % posts_by_pk, 10 % update_posts_by_pk _inc", func(i int) request {
		if i%10 == 9 {
			return gql(`mutation($id: ID!) { update_posts_by_pk(pk_columns: {id: $id}, _inc: {views: 1}) { id views } }`, map[string]any{"id": id(i)}, true)
		}
		return gql(`query($id: ID!) { posts_by_pk(id: $id) { `+postFields+` } }`, map[string]any{"id": id(i)}, false)
	})
	return ws, nil
}

// cursorsAt walks posts_connection in default order to position depth and
// returns the cursors of the n records from there.
func (b *bench) cursorsAt(ctx context.Context, depth, n int) ([]string, error) {
	var after any
	pos := 0
	var out []string
	for len(out) < n {
		req := gql(`query($c: String) { posts_connection(first: 500, after: $c) { edges { cursor } page_info { has_next_page end_cursor } } }`,
			map[string]any{"c": after}, false)
		body, err := b.do(ctx, req)
		if err != nil {
			return nil, fmt.Errorf("walking the connection: %w", err)
		}
		var res struct {
			Data struct {
				PostsConnection struct {
					Edges []struct{ Cursor string } `json:"edges"`
					Info  struct {
						HasNext   bool   `json:"has_next_page"`
						EndCursor string `json:"end_cursor"`
					} `json:"page_info"`
				} `json:"posts_connection"`
			} `json:"data"`
		}
		if err := json.Unmarshal(body, &res); err != nil {
			return nil, err
		}
		c := res.Data.PostsConnection
		for _, e := range c.Edges {
			if pos >= depth && len(out) < n {
				out = append(out, e.Cursor)
			}
			pos++
		}
		if !c.Info.HasNext || len(c.Edges) == 0 {
			break
		}
		after = c.Info.EndCursor
	}
	if len(out) < n {
		return nil, fmt.Errorf("the connection ended at %d before depth %d", pos, depth)
	}
	return out, nil
}
