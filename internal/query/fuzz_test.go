package query

import (
	"reflect"
	"strings"
	"testing"
	"time"
)

var fuzzSeeds = []string{
	``, `title = "x"`, `a=1 && b=2 || c=3`, `(a=1 || b=2) && c=3`, `a = 'it\'s' && b != "q\"\\\n\t"`,
	`tags ?= "go" || tags ?!~ 'x' || tags ?>= 1`, `created > @now && day <= @todayEnd`,
	`@request.auth.id = author.id && @record.title ~ published`, `views >= -1.5`, `((((a=1))))`,
	`author.publisher.name != null`, `editors.nick ?= x`, `title = "x'; DROP TABLE users; --"`,
}

// stripPos zeroes all positions so trees can be compared structurally.
func stripPos(e Expr) Expr {
	switch e := e.(type) {
	case *Logical:
		return &Logical{Op: e.Op, Left: stripPos(e.Left), Right: stripPos(e.Right)}
	case *Comparison:
		return &Comparison{Op: e.Op, AnyOf: e.AnyOf, Left: stripOperand(e.Left), Right: stripOperand(e.Right)}
	}
	return e
}

func stripOperand(o Operand) Operand {
	switch o := o.(type) {
	case *Ident:
		return &Ident{Path: o.Path, Record: o.Record}
	case *Literal:
		return &Literal{Value: o.Value}
	case *Macro:
		return &Macro{Name: o.Name}
	case *RequestRef:
		return &RequestRef{Scope: o.Scope, Path: o.Path}
	}
	return o
}

// FuzzParse: Parse never panics, and String() of anything it accepts parses
// back to an equal tree.
func FuzzParse(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			if _, ok := err.(*Error); !ok {
				t.Fatalf("Parse(%q) error %T, want *Error", src, err)
			}
			return
		}
		if e == nil {
			return
		}
		s := e.String()
		e2, err := parse(s)
		if err != nil {
			t.Fatalf("Parse(%q).String() = %q does not parse: %v", src, s, err)
		}
		if !reflect.DeepEqual(stripPos(e), stripPos(e2)) {
			t.Fatalf("round trip of %q via %q changed the tree: %q", src, s, e2.String())
		}
	})
}

// FuzzCompile: Compile and Eval never panic, agree on validity, and no
// value ever reaches the SQL text (the only quotes are fixed fragments).
func FuzzCompile(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(s)
	}
	rec := map[string]any{
		"id": uuid1, "title": "t", "status": nil, "views": 1.0, "published": true,
		"day": time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC), "created": testNow, "meta": nil,
		"tags": []string{"a"}, "author": map[string]any{"id": uuid1, "name": "n", "nick": []string{"x"}},
		"editors": []any{map[string]any{"id": uuid1, "name": "m"}},
	}
	opts := Options{Now: testNow, Alias: "r", Request: Request{
		Auth: map[string]any{"id": uuid1, "role": "admin"}, Data: map[string]any{"n": 1, "s": "'x'"}}}
	f.Fuzz(func(t *testing.T, src string) {
		e, err := Parse(src)
		if err != nil {
			return
		}
		sql, _, cerr := Compile(e, posts, opts)
		_, eerr := Eval(e, posts, rec, opts)
		if (cerr == nil) != (eerr == nil) {
			t.Fatalf("%q: compile error %v, eval error %v", src, cerr, eerr)
		}
		rest := strings.NewReplacer(`'UTC'`, "", `E'\\'`, "").Replace(sql)
		if strings.Contains(rest, "'") {
			t.Fatalf("%q: quote in SQL text: %s", src, sql)
		}
	})
}

// FuzzPattern feeds like and regex functions arbitrary patterns: binding
// never panics, a refused pattern is an *Error, and an accepted regex is
// one RE2 compiles in linear time, whatever PostgreSQL would make of a
// backreference or lookaround (they are always refused).
func FuzzPattern(f *testing.F) {
	for _, s := range []string{`^a`, `(x*)\1`, `a(?=b)`, `[[:alpha:]]`, `\d+`, `%_\`, `[]a]`, `(?i)x`, `a{1000}{1000}`, `\x{41}`, "é|ß"} {
		f.Add(s)
	}
	fields := MapFields{"t": {Name: "t", Column: "t", Kind: KindText}}
	f.Fuzz(func(t *testing.T, pattern string) {
		for _, fn := range []Func{FuncLike, FuncILike, FuncNotLike, FuncRegex, FuncIRegex} {
			e := &Call{Func: fn, Field: &Ident{Path: []string{"t"}}, Arg: pattern}
			_, err := Eval(e, fields, map[string]any{"t": "some text"}, Options{})
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Fatalf("%s(%q): %T %v", fn, pattern, err, err)
				}
				continue
			}
			if (fn == FuncRegex || fn == FuncIRegex) && (strings.Contains(pattern, `\1`) || strings.Contains(pattern, "(?=")) {
				t.Fatalf("%s accepted %q", fn, pattern)
			}
		}
	})
}
