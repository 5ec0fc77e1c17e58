package query

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"math/rand"
	"os"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"fastcms/internal/pgtest"
)

// testDB connects to the package's test database (internal/pgtest).
func testDB(t *testing.T) *sql.DB {
	t.Helper()
	db, err := sql.Open("postgres", pgtest.URL())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	db.SetMaxOpenConns(1) // TEMP tables live in one session
	return db
}

// Schema of the property test (temp tables q_rows, q_authors, q_pubs).
var (
	pgPubs = MapFields{
		"id":   {Name: "id", Column: "id", Kind: KindUUID},
		"name": {Name: "name", Column: "name", Kind: KindText},
	}
	pgAuthors = MapFields{
		"id":        {Name: "id", Column: "id", Kind: KindUUID},
		"name":      {Name: "name", Column: "name", Kind: KindText},
		"age":       {Name: "age", Column: "age", Kind: KindNumber},
		"nick":      {Name: "nick", Column: "nick", Kind: KindMulti},
		"publisher": {Name: "publisher", Column: "publisher", Kind: KindRelation, Target: pgPubs, TargetTable: `"q_pubs"`},
	}
	pgRows = MapFields{
		"id":        {Name: "id", Column: "id", Kind: KindUUID},
		"title":     {Name: "title", Column: "title", Kind: KindText},
		"status":    {Name: "status", Column: "we\"ird", Kind: KindText},
		"views":     {Name: "views", Column: "views", Kind: KindNumber},
		"published": {Name: "published", Column: "published", Kind: KindBool},
		"day":       {Name: "day", Column: "day", Kind: KindDate},
		"created":   {Name: "created", Column: "created", Kind: KindDateTime},
		"meta":      {Name: "meta", Column: "meta", Kind: KindJSON},
		"tags":      {Name: "tags", Column: "tags", Kind: KindMulti},
		"author":    {Name: "author", Column: "author", Kind: KindRelation, Target: pgAuthors, TargetTable: `"q_authors"`},
		"editors":   {Name: "editors", Column: "editor_ids", Kind: KindMulti, Target: pgAuthors, TargetTable: `"q_authors"`},
	}
)

const pgSchema = `
SET TIME ZONE 'Pacific/Chatham';
CREATE TEMP TABLE q_pubs (id uuid PRIMARY KEY, name text);
CREATE TEMP TABLE q_authors (id uuid PRIMARY KEY, name text, age double precision, nick text[], publisher uuid);
CREATE TEMP TABLE q_rows (id uuid PRIMARY KEY, title text, "we""ird" text, views double precision,
	published boolean, day date, created timestamptz, meta jsonb, tags text[], author uuid, editor_ids uuid[]);`

var pgStrings = []string{"", "a", "A", "abc", "ABC", "Abc", "b", "z", "Z", "é", "É", "äpfel", "Äpfel", "straße", "STRASSE",
	"日本", "50%", "%", "_", "a_b", "a%b", "axb", "it's", `"q"`, `back\slash`, `\`, "  ", "zeta", "ünï", "ÜNÏ", "Σσ"}
var pgNumbers = []float64{-1.5, 0, 1, 2, 10, 3.25, 1e6, -7, 41}

type pgGen struct{ r *rand.Rand }

func (g pgGen) pick(n int) int        { return g.r.Intn(n) }
func (g pgGen) chance(p float64) bool { return g.r.Float64() < p }

func (g pgGen) uuid() string {
	b := make([]byte, 16)
	g.r.Read(b)
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}

func (g pgGen) str() any {
	if g.chance(0.15) {
		return nil
	}
	s := pgStrings[g.pick(len(pgStrings))]
	if g.chance(0.4) {
		s += pgStrings[g.pick(len(pgStrings))]
	}
	return s
}

func (g pgGen) num() any {
	if g.chance(0.15) {
		return nil
	}
	return pgNumbers[g.pick(len(pgNumbers))]
}

func (g pgGen) strList() any {
	if g.chance(0.15) {
		return nil
	}
	out := []any{}
	for i := g.pick(4); i > 0; i-- {
		out = append(out, g.str())
	}
	return out
}

// instant returns a time near testNow at a macro boundary or random offset.
func (g pgGen) instant() time.Time {
	marks := []string{"now", "today", "todayEnd", "yesterday", "tomorrow", "monthStart", "monthEnd", "yearStart", "yearEnd"}
	t := macroValue(marks[g.pick(len(marks))], testNow)
	if g.chance(0.5) {
		t = t.Add(time.Duration(g.r.Int63n(int64(80*24*time.Hour))) - 40*24*time.Hour).Truncate(time.Microsecond)
	} else if g.chance(0.3) {
		t = t.Add(time.Duration(g.pick(3)-1) * time.Microsecond)
	}
	return t
}

func pgArray(v any) any {
	if v == nil {
		return nil
	}
	var parts []string
	for _, e := range v.([]any) {
		if e == nil {
			parts = append(parts, "NULL")
			continue
		}
		s := strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(fmt.Sprint(e))
		parts = append(parts, `"`+s+`"`)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

// pgData inserts random rows and returns them as Eval records keyed by id.
func pgData(t *testing.T, db *sql.DB, g pgGen) map[string]map[string]any {
	exec := func(q string, args ...any) {
		if _, err := db.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	exec(pgSchema)
	var pubs, authors []map[string]any
	for i := 0; i < 4; i++ {
		p := map[string]any{"id": g.uuid(), "name": g.str()}
		exec(`INSERT INTO q_pubs VALUES ($1, $2)`, p["id"], p["name"])
		pubs = append(pubs, p)
	}
	for i := 0; i < 12; i++ {
		a := map[string]any{"id": g.uuid(), "name": g.str(), "age": g.num(), "nick": g.strList(), "publisher": nil}
		var pubID any
		if g.chance(0.7) {
			a["publisher"] = pubs[g.pick(len(pubs))]
			pubID = a["publisher"].(map[string]any)["id"]
		}
		exec(`INSERT INTO q_authors VALUES ($1, $2, $3, $4::text[], $5)`, a["id"], a["name"], a["age"], pgArray(a["nick"]), pubID)
		authors = append(authors, a)
	}
	records := map[string]map[string]any{}
	for i := 0; i < 200; i++ {
		r := map[string]any{"id": g.uuid(), "title": g.str(), "status": g.str(), "views": g.num()}
		if !g.chance(0.15) {
			r["published"] = g.chance(0.5)
		}
		var day, created, meta, author, editors any
		if !g.chance(0.15) {
			d := utcDate(g.instant())
			day = d.Format(time.DateOnly)
			r["day"] = time.Date(d.Year(), d.Month(), d.Day(), 0, 0, 0, 0, time.FixedZone("", -5*3600))
		}
		if !g.chance(0.15) {
			c := g.instant()
			created = c
			r["created"] = c.In(time.FixedZone("", 9*3600))
		}
		if g.chance(0.6) {
			metas := []string{`{"a": 1}`, `{"b": [1, "x"], "a": 2}`, `["a", "b"]`, `"a"`, `1`, `{"c": {"d": [2]}}`}
			m := metas[g.pick(len(metas))]
			meta, r["meta"] = m, jsonValue(json.RawMessage(m))
		}
		r["tags"] = g.strList()
		switch {
		case g.chance(0.1): // dangling id: a record that only knows its id
			author = g.uuid()
			r["author"] = map[string]any{"id": author}
		case g.chance(0.8):
			a := authors[g.pick(len(authors))]
			author, r["author"] = a["id"], a
		}
		if !g.chance(0.15) {
			var ids, recs []any
			for j := g.pick(4); j > 0; j-- {
				a := authors[g.pick(len(authors))]
				ids, recs = append(ids, a["id"]), append(recs, a)
			}
			editors, r["editors"] = pgArray(append([]any{}, ids...)), recs
		}
		exec(`INSERT INTO q_rows VALUES ($1, $2, $3, $4, $5, $6::date, $7, $8::jsonb, $9::text[], $10, $11::uuid[])`,
			r["id"], r["title"], r["status"], r["views"], r["published"], day, created, meta, pgArray(r["tags"]), author, editors)
		records[r["id"].(string)] = r
	}
	return records
}

type pgPath struct {
	path  string
	d     domain
	multi bool // needs ?op
	empty bool // allows = null / != null on a multi field
}

var pgPaths = []pgPath{
	{"title", dText, false, false}, {"status", dText, false, false}, {"views", dNumber, false, false},
	{"published", dBool, false, false}, {"day", dDate, false, false}, {"created", dDateTime, false, false},
	{"meta", dJSON, false, false}, {"id", dText, false, false}, {"author", dText, false, false},
	{"author.name", dText, false, false}, {"author.age", dNumber, false, false}, {"author.id", dText, false, false},
	{"author.publisher.name", dText, false, false},
	{"tags", dText, true, true}, {"editors", dText, true, true}, {"author.nick", dText, true, true},
	{"editors.name", dText, true, false}, {"editors.age", dNumber, true, false}, {"editors.nick", dText, true, false},
	{"editors.publisher.name", dText, true, false},
}

func (g pgGen) constant(d domain, ids []string) string {
	if g.chance(0.1) {
		return "null"
	}
	switch d {
	case dText:
		if g.chance(0.15) {
			return quote(ids[g.pick(len(ids))])
		}
		if g.chance(0.1) {
			return []string{"@request.auth.id", "@request.auth.role", "@request.data.s", "@request.auth.none"}[g.pick(4)]
		}
		if g.chance(0.1) {
			return "word"
		}
		s, _ := g.str().(string)
		return quote(s)
	case dNumber:
		if g.chance(0.1) {
			return "@request.data.n"
		}
		return strconv.FormatFloat(pgNumbers[g.pick(len(pgNumbers))], 'f', -1, 64)
	case dBool:
		return []string{"true", "false"}[g.pick(2)]
	}
	if g.chance(0.6) {
		macros := []string{"@now", "@today", "@todayEnd", "@yesterday", "@tomorrow", "@monthStart", "@monthEnd", "@yearStart", "@yearEnd", "@todayStart"}
		return macros[g.pick(len(macros))]
	}
	return quote(g.instant().Format([]string{time.RFC3339Nano, time.DateOnly, "2006-01-02 15:04:05.999999Z07:00"}[g.pick(3)]))
}

func (g pgGen) comparison(ids []string) string {
	p := pgPaths[g.pick(len(pgPaths))]
	ops := []string{"=", "!=", ">", ">=", "<", "<="}
	if p.d == dText {
		ops = append(ops, "~", "!~", "~", "!~")
	}
	op := ops[g.pick(len(ops))]
	right := g.constant(p.d, ids)
	if g.chance(0.2) { // field on the right, of a compatible domain
		var cands []pgPath
		for _, q := range pgPaths {
			if (q.d == p.d || (p.d == dDate && q.d == dDateTime) || (p.d == dDateTime && q.d == dDate)) && !q.multi && p.d != dJSON {
				cands = append(cands, q)
			}
		}
		if len(cands) > 0 {
			right = cands[g.pick(len(cands))].path
		}
	}
	switch {
	case p.d == dJSON:
		op, right = []string{"=", "!="}[g.pick(2)], "null"
	case p.multi && p.empty && g.chance(0.2):
		op, right = []string{"=", "!="}[g.pick(2)], "null"
	case p.multi || g.chance(0.1):
		op = "?" + op
	}
	if g.chance(0.25) && right != "word" {
		return right + " " + op + " " + p.path
	}
	return p.path + " " + op + " " + right
}

func (g pgGen) expr(depth int, ids []string) string {
	if depth == 0 || g.chance(0.35) {
		return g.comparison(ids)
	}
	l, r := g.expr(depth-1, ids), g.expr(depth-1, ids)
	op := []string{" && ", " || "}[g.pick(2)]
	if g.chance(0.3) {
		return "(" + l + op + r + ")"
	}
	return l + op + r
}

// TestCompileMatchesEval checks on random data and random expressions that
// the SQL back end selects exactly the rows the evaluator accepts.
func TestCompileMatchesEval(t *testing.T) {
	db, g, records, ids, req := pgSetup(t, 1)
	valid, mixed := 0, 0
	for i := 0; i < 2000; i++ {
		src := g.expr(3, ids)
		e, err := Parse(src)
		if err != nil {
			t.Fatalf("Parse(%q): %v", src, err)
		}
		opts := Options{Now: testNow, Alias: "r", Request: req, ArgOffset: 1}
		if i%5 == 0 {
			opts.Request.Auth = nil
		}
		ok, some := agree(t, db, e, pgRows, records, ids, opts)
		if ok {
			valid++
		}
		if some {
			mixed++
		}
	}
	if valid < 1500 || mixed < valid/2 {
		t.Errorf("weak test: %d of 2000 random expressions valid, %d selecting some but not all rows", valid, mixed)
	}
	t.Logf("%d expressions agreed on %d rows (%d selecting some but not all)", valid, len(ids), mixed)
}

// pgSetup fills the property tests' tables from seed (or QUERY_TEST_SEED,
// to explore other data and expressions) and returns the generator, the
// rows as Eval records, their sorted ids and a request to evaluate under.
func pgSetup(t *testing.T, seed int64) (*sql.DB, pgGen, map[string]map[string]any, []string, Request) {
	t.Helper()
	db := testDB(t)
	if s, err := strconv.ParseInt(os.Getenv("QUERY_TEST_SEED"), 10, 64); err == nil {
		seed = s
	}
	g := pgGen{rand.New(rand.NewSource(seed))}
	records := pgData(t, db, g)
	var ids []string
	for id := range records {
		ids = append(ids, id)
	}
	sort.Strings(ids)
	req := Request{Auth: map[string]any{"id": ids[0], "role": "abc"}, Data: map[string]any{"s": "A", "n": 2}}
	return db, g, records, ids, req
}

// agree checks that Compile and Eval select the same rows for e; ok is
// false when both refuse e, some when e selects some rows but not all.
func agree(t *testing.T, db *sql.DB, e Expr, fields Fields, records map[string]map[string]any, ids []string, opts Options) (ok, some bool) {
	t.Helper()
	where, args, cerr := Compile(e, fields, opts)
	want := map[string]bool{}
	var eerr error
	for _, id := range ids {
		ok, err := Eval(e, fields, records[id], opts)
		if err != nil {
			eerr = err
			break
		}
		if ok {
			want[id] = true
		}
	}
	if (cerr == nil) != (eerr == nil) {
		t.Fatalf("%s: compile error %v, eval error %v", e, cerr, eerr)
	}
	if cerr != nil {
		return false, false
	}
	got := map[string]bool{}
	rows, err := db.Query(`SELECT r.id::text FROM q_rows r WHERE $1::int = 1 AND `+where, append([]any{1}, args...)...)
	if err != nil {
		t.Fatalf("%s\nSQL: %s %v\n%v", e, where, args, err)
	}
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			t.Fatal(err)
		}
		got[id] = true
	}
	rows.Close()
	for _, id := range ids {
		if got[id] != want[id] {
			t.Fatalf("%s\nSQL: %s %v\nrow %v: sql=%v eval=%v", e, where, args, records[id], got[id], want[id])
		}
	}
	return true, len(want) > 0 && len(want) < len(ids)
}
