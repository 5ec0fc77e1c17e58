package query

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"
)

func compileString(t *testing.T, src string, opts Options) (string, []any, error) {
	t.Helper()
	e, err := Parse(src)
	if err != nil {
		return "", nil, err
	}
	return Compile(e, posts, opts)
}

func TestCompile(t *testing.T) {
	day := func(y, m, d int) time.Time { return time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC) }
	req := Request{Auth: map[string]any{"id": uuid1, "role": "admin", "n": 3}, Data: map[string]any{"views": "7"}}
	tests := []struct {
		in   string
		sql  string
		args []any
	}{
		{``, `TRUE`, nil},
		{`title = "x"`, `"r"."title" = $1::text`, []any{"x"}},
		{`title = published_draft`, `"r"."title" = $1::text`, []any{"published_draft"}},
		{`title = status`, `"r"."title" IS NOT DISTINCT FROM "r"."status"`, nil},
		{`title != 'x'`, `"r"."title" IS DISTINCT FROM $1::text`, []any{"x"}},
		{`title = null`, `"r"."title" IS NULL`, nil},
		{`null != title`, `"r"."title" IS NOT NULL`, nil},
		{`title > null`, `FALSE`, nil},
		{`title !~ null`, `TRUE`, nil},
		{`title < "b"`, `"r"."title" COLLATE "C" < $1::text`, []any{"b"}},
		{`title ~ "50%_off\\"`, `"r"."title" ILIKE $1::text ESCAPE E'\\'`, []any{`%50\%\_off\\%`}},
		{`title !~ "x"`, `("r"."title" IS NULL OR "r"."title" NOT ILIKE $1::text ESCAPE E'\\')`, []any{"%x%"}},
		{`title ~ status`, `strpos(lower("r"."title"), lower("r"."status")) > 0`, nil},
		{`"abc" !~ title`, `NOT COALESCE(strpos(lower($1::text), lower("r"."title")) > 0, false)`, []any{"abc"}},
		{`views >= 10 && published = true`, `"r"."views" >= $1::double precision AND "r"."published" = $2::boolean`, []any{10.0, true}},
		{`views > "1.5"`, `"r"."views" > $1::double precision`, []any{1.5}},
		{`views = 1 || views = 2 && title = "x" || views = 3`,
			`("r"."views" = $1::double precision OR "r"."views" = $2::double precision AND "r"."title" = $3::text OR "r"."views" = $4::double precision)`,
			[]any{1.0, 2.0, "x", 3.0}},
		{`(views = 1 || views = 2) && title = "x"`,
			`("r"."views" = $1::double precision OR "r"."views" = $2::double precision) AND "r"."title" = $3::text`,
			[]any{1.0, 2.0, "x"}},
		{`created > @now`, `"r"."created" > $1::timestamptz`, []any{testNow.Truncate(time.Microsecond)}},
		{`created >= "2024-01-02"`, `"r"."created" >= $1::timestamptz`, []any{day(2024, 1, 2)}},
		{`created < "2024-01-02T10:00:00+02:00"`, `"r"."created" < $1::timestamptz`, []any{time.Date(2024, 1, 2, 8, 0, 0, 0, time.UTC)}},
		{`day = @todayEnd`, `"r"."day" = $1::date`, []any{"2024-02-29"}},
		{`day > created`, `"r"."day" > ("r"."created" AT TIME ZONE 'UTC')::date`, nil},
		{`day < @monthEnd && day >= @yearStart`, `"r"."day" < $1::date AND "r"."day" >= $2::date`, []any{"2024-02-29", "2024-01-01"}},
		{`meta = null`, `"r"."meta" IS NULL`, nil},
		{`id = "` + uuid1 + `"`, `"r"."id" = $1::uuid`, []any{uuid1}},
		{`id != "nope"`, `"r"."id"::text IS DISTINCT FROM $1::text`, []any{"nope"}},
		{`id = @request.auth.id`, `"r"."id" = $1::uuid`, []any{uuid1}},
		{`id > "a"`, `"r"."id"::text COLLATE "C" > $1::text`, []any{"a"}},
		{`author = @request.auth.id`, `"r"."author" = $1::uuid`, []any{uuid1}},
		{`@request.auth.role = "admin"`, `TRUE`, nil},
		{`@request.auth.role = "admin" && title = "x"`, `"r"."title" = $1::text`, []any{"x"}},
		{`@request.auth.role = "user" || title = "x"`, `"r"."title" = $1::text`, []any{"x"}},
		{`@request.auth.n > 2 && @request.auth.missing = null`, `TRUE`, nil},
		{`views = @request.data.views`, `"r"."views" = $1::double precision`, []any{7.0}},
		{`tags = null`, `COALESCE(cardinality("r"."tags"), 0) = 0`, nil},
		{`tags != null`, `COALESCE(cardinality("r"."tags"), 0) > 0`, nil},
		{`tags ?= "go"`, `$1::text = ANY("r"."tags")`, []any{"go"}},
		{`"go" ?= tags`, `$1::text = ANY("r"."tags")`, []any{"go"}},
		{`tags ?!= "go"`, `EXISTS (SELECT 1 FROM unnest("r"."tags") AS "_q1"("v") WHERE "_q1"."v" IS DISTINCT FROM $1::text)`, []any{"go"}},
		{`tags ?~ "g"`, `EXISTS (SELECT 1 FROM unnest("r"."tags") AS "_q1"("v") WHERE "_q1"."v" ILIKE $1::text ESCAPE E'\\')`, []any{"%g%"}},
		{`tags ?= null`, `EXISTS (SELECT 1 FROM unnest("r"."tags") AS "_q1"("v") WHERE "_q1"."v" IS NULL)`, nil},
		{`tags ?< title`, `EXISTS (SELECT 1 FROM unnest("r"."tags") AS "_q1"("v") WHERE "_q1"."v" COLLATE "C" < "r"."title")`, nil},
		{`title ?= "x"`, `"r"."title" = $1::text`, []any{"x"}},
		{`editors ?= "` + uuid1 + `"`, `$1::uuid = ANY("r"."editor_ids")`, []any{uuid1}},
		{`editors ?= "x"`, `$1::text = ANY("r"."editor_ids"::text[])`, []any{"x"}},
		{`author.name = "Ann"`, `(SELECT "_q1"."name" FROM "data"."authors" "_q1" WHERE "_q1"."id" = "r"."author") = $1::text`, []any{"Ann"}},
		{`author.name = null`, `(SELECT "_q1"."name" FROM "data"."authors" "_q1" WHERE "_q1"."id" = "r"."author") IS NULL`, nil},
		{`author.publisher.name ~ "x"`,
			`(SELECT "_q2"."name" FROM "data"."authors" "_q1", "data"."pubs" "_q2" WHERE "_q1"."id" = "r"."author" AND "_q2"."id" = "_q1"."publisher") ILIKE $1::text ESCAPE E'\\'`,
			[]any{"%x%"}},
		{`author.nick ?= "a"`, `$1::text = ANY((SELECT "_q1"."nick" FROM "data"."authors" "_q1" WHERE "_q1"."id" = "r"."author")::text[])`, []any{"a"}},
		{`editors.age ?> 30`,
			`EXISTS (SELECT 1 FROM "data"."authors" "_q1" WHERE "_q1"."id" = ANY("r"."editor_ids") AND "_q1"."age" > $1::double precision)`,
			[]any{30.0}},
		{`editors.nick ?= "z"`,
			`EXISTS (SELECT 1 FROM "data"."authors" "_q1", unnest("_q1"."nick") AS "_q2"("v") WHERE "_q1"."id" = ANY("r"."editor_ids") AND "_q2"."v" = $1::text)`,
			[]any{"z"}},
		{`odd = 1`, `"r"."we""ird" = $1::text`, []any{"1"}},
		{`title = "x'; DROP TABLE users; --"`, `"r"."title" = $1::text`, []any{"x'; DROP TABLE users; --"}},
		{`title = @request.data.evil`, `"r"."title" = $1::text`, []any{`"; DROP TABLE x; --`}},
	}
	for _, tt := range tests {
		if tt.sql == "" {
			continue
		}
		opts := Options{Now: testNow, Alias: "r", Request: req}
		opts.Request.Data = map[string]any{"views": "7", "evil": `"; DROP TABLE x; --`}
		sql, args, err := compileString(t, tt.in, opts)
		if err != nil {
			t.Errorf("Compile(%q): %v", tt.in, err)
			continue
		}
		if sql != tt.sql || !reflect.DeepEqual(args, tt.args) {
			t.Errorf("Compile(%q)\n got  %s %#v\n want %s %#v", tt.in, sql, args, tt.sql, tt.args)
		}
	}
}

func TestCompileOptions(t *testing.T) {
	sql, args, err := compileString(t, `title = "a" && views = 2`, Options{ArgOffset: 3})
	if err != nil || sql != `"title" = $4::text AND "views" = $5::double precision` || len(args) != 2 {
		t.Errorf("got %s %v %v", sql, args, err)
	}
	if _, _, err := compileString(t, `author.name = "a"`, Options{}); err == nil {
		t.Error("relation path without alias: want error")
	}
	if _, _, err := compileString(t, `title = "a"`, Options{Alias: "_q1"}); err == nil {
		t.Error("reserved alias: want error")
	}
	if sql, _, _ := compileString(t, `title = "a"`, Options{Alias: `x"y`}); sql != `"x""y"."title" = $1::text` {
		t.Errorf("alias quoting: %s", sql)
	}
}

func TestCompileErrors(t *testing.T) {
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{`foo = 1`, 0, `unknown field "foo" at position 0`},
		{`title = 1 && nope.x = 2`, 13, `unknown field "nope" at position 13`},
		{`author.nope = 1`, 0, `unknown field "author.nope" at position 0`},
		{`title.x = 1`, 0, `field "title" is not a relation at position 0`},
		{`title = author.nope`, 8, `unknown field "author.nope" at position 8`},
		{`title = @record.nope`, 8, `unknown field "nope" at position 8`},
		{`views = "abc"`, 8, `invalid number "abc" at position 8`},
		{`views = true`, 8, `cannot use true as number at position 8`},
		{`published = "yes"`, 12, `invalid bool "yes" (want true or false) at position 12`},
		{`created > "yesterday"`, 10, `invalid date "yesterday" (want e.g. 2006-01-02 or 2006-01-02 15:04:05Z) at position 10`},
		{`created > 5`, 10, `cannot use 5 as a datetime at position 10`},
		{`title > @now`, 8, `cannot use date 2024-02-29T15:04:05.123456Z as text at position 8`},
		{`views ~ 1`, 6, `operator ~ needs text operands, not number at position 6`},
		{`meta = "x"`, 5, `json fields support only = null and != null at position 5`},
		{`meta = meta`, 5, `cannot compare json field "meta" with json field "meta" at position 5`},
		{`title = views`, 6, `cannot compare text field "title" with number field "views" at position 6`},
		{`tags = "x"`, 5, `"tags" is multi-valued: use ?= to match any element at position 5`},
		{`tags ?= editors`, 5, `cannot compare two multi-valued fields at position 5`},
		{`editors.name = null`, 13, `"editors.name" is multi-valued: use ?= to match any element at position 13`},
		{`views = @request.data.list`, 8, `@request.data.list is not a single value at position 8`},
		{`views > @request.data.views`, 8, `invalid number "many" at position 8`},
		{`1 = "x"`, 4, `invalid number "x" at position 4`},
		{`tags = @request.auth.none`, 5, `"tags" is multi-valued: use ?= to match any element at position 5`},
		{`meta != @request.auth.none`, 5, `json fields support only = null and != null at position 5`},
	}
	for _, tt := range tests {
		opts := Options{Now: testNow, Alias: "r", Request: Request{Data: map[string]any{"list": []any{1}, "views": "many"}}}
		_, _, err := compileString(t, tt.in, opts)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Errorf("Compile(%q) error = %v, want *Error", tt.in, err)
			continue
		}
		if qe.Pos != tt.pos || qe.Message != tt.msg {
			t.Errorf("Compile(%q) = {%d, %q}, want {%d, %q}", tt.in, qe.Pos, qe.Message, tt.pos, tt.msg)
		}
	}
}

// TestCompileInjection checks that no value of the expression or request
// reaches the SQL text and that odd field names never resolve.
func TestCompileInjection(t *testing.T) {
	for _, in := range []string{
		`title" = 1 OR 1=1 --`,
		`title = "x" OR 1=1`,
		`"title" = 1`,
		`ti"tle = 1`,
		`title = 1; DROP TABLE users`,
		`title = x'--`,
	} {
		if sql, _, err := compileString(t, in, Options{Alias: "r"}); err == nil {
			t.Errorf("Compile(%q) = %s, want error", in, sql)
		}
	}
	sql, args, err := compileString(t, `title ~ "'; --" || title = '\"); --'`, Options{Alias: "r"})
	if err != nil || strings.Contains(sql, "--") || len(args) != 2 {
		t.Errorf("got %s %v %v", sql, args, err)
	}
}

// TestCompileBuiltTrees covers trees built in code (the GraphQL layer will
// do that): malformed ones are errors, not panics.
func TestCompileBuiltTrees(t *testing.T) {
	ok := &Comparison{Op: Gt, Left: &Ident{Path: []string{"views"}}, Right: &Literal{Value: 3}}
	if sql, args, err := Compile(ok, posts, Options{}); err != nil || sql != `"views" > $1::double precision` || args[0] != 3.0 {
		t.Errorf("got %s %v %v", sql, args, err)
	}
	if ok.String() != `views > 3` {
		t.Errorf("String() = %s", ok)
	}
	for _, e := range []Expr{
		&Logical{Op: And, Left: ok},
		&Logical{Op: 7, Left: ok, Right: ok},
		&Comparison{Op: 99, Left: ok.Left, Right: ok.Right},
		&Comparison{Op: Eq, Left: ok.Left},
		&Comparison{Op: Eq, Left: &Ident{}, Right: ok.Right},
		&Comparison{Op: Eq, Left: &Macro{Name: "nope"}, Right: ok.Right},
		&Comparison{Op: Eq, Left: &RequestRef{Scope: "x", Path: []string{"a"}}, Right: ok.Right},
		&Comparison{Op: Eq, Left: ok.Left, Right: &Literal{Value: []int{1}}},
		(*Logical)(nil),
	} {
		if _, _, err := Compile(e, posts, Options{}); err == nil {
			t.Errorf("Compile(%#v): want error", e)
		}
	}
}
