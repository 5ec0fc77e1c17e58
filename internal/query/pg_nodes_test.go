package query

import (
	"testing"
)

// Client variants of the property test's schema: paths through author and
// editors reach only authors older than 1, and through an author's
// publisher only publishers not named "a" (Views, as ClientFields gives
// non-admin filters). The rules bind against the unrestricted fields.
var (
	pgAuthorsClient = MapFields{}
	pgRowsClient    = MapFields{}
)

func init() {
	for k, f := range pgAuthors {
		if k == "publisher" {
			f.View = &View{Rule: mustParse(`name != "a"`), Fields: pgPubs}
		}
		pgAuthorsClient[k] = f
	}
	for k, f := range pgRows {
		if f.Target != nil {
			f.Target = pgAuthorsClient
			f.View = &View{Rule: mustParse(`age > 1`), Fields: pgAuthors}
		}
		pgRowsClient[k] = f
	}
}

func mustParse(src string) Expr {
	e, err := Parse(src)
	if err != nil {
		panic(err)
	}
	return e
}

var pgPatterns = []string{"a%", "%b%", "_", "%\\%%", "A_c", "%é%", "", "%", "日%", "a\\_b"}
var pgRegexes = []string{"^a", "b", "^.$", "[A-Z]", "é|ß", "^$", "[0-9]", "s{2}", "^(ab|z)+", "[]a]", "[^a-z]", "Σ", "(x|)\\.?$"}

// node returns a random expression that uses the nodes the text syntax
// lacks, over the fields of q_rows (depth bounds nesting).
func (g pgGen) node(depth int, ids []string) Expr {
	switch k := g.pick(6); {
	case depth == 0 || k == 0:
		return mustParse(g.comparison(ids))
	case k == 1:
		return &Not{X: g.node(depth-1, ids)}
	case k == 2:
		return g.call()
	case k == 3:
		rel := []string{"author", "editors", "author.publisher", "editors.publisher"}[g.pick(4)]
		var where Expr
		if g.chance(0.8) {
			where = g.relatedCond(rel)
		}
		return &Exists{Field: &Ident{Path: splitPath(rel)}, Where: where}
	}
	op := []LogicalOp{And, Or}[g.pick(2)]
	return &Logical{Op: op, Left: g.node(depth-1, ids), Right: g.node(depth-1, ids)}
}

// relatedCond is a condition on the records of relation rel.
func (g pgGen) relatedCond(rel string) Expr {
	if rel == "author.publisher" || rel == "editors.publisher" {
		return mustParse(`name ~ ` + quote(pgStrings[g.pick(len(pgStrings))]))
	}
	conds := []string{`age > 1`, `age = null`, `name ~ "a"`, `nick ?= "b"`, `publisher.name != "z"`, `name = @request.auth.role`}
	e := mustParse(conds[g.pick(len(conds))])
	if g.chance(0.3) {
		return &Call{Func: []Func{FuncLike, FuncNotILike}[g.pick(2)], Field: &Ident{Path: []string{"name"}}, Arg: pgPatterns[g.pick(len(pgPatterns))]}
	}
	return e
}

func (g pgGen) call() Expr {
	text := &Ident{Path: []string{[]string{"title", "status"}[g.pick(2)]}}
	switch k := g.pick(5); k {
	case 0:
		fn := []Func{FuncLike, FuncILike, FuncNotLike, FuncNotILike}[g.pick(4)]
		return &Call{Func: fn, Field: text, Arg: pgPatterns[g.pick(len(pgPatterns))]}
	case 1:
		fn := []Func{FuncRegex, FuncIRegex}[g.pick(2)]
		return &Call{Func: fn, Field: text, Arg: pgRegexes[g.pick(len(pgRegexes))]}
	case 2:
		return &Call{Func: FuncHasKey, Field: &Ident{Path: []string{"meta"}}, Arg: []string{"a", "b", "c", "x"}[g.pick(4)]}
	case 3:
		args := []any{map[string]any{"a": 1}, map[string]any{"b": []any{"x"}}, []any{"a"}, "a", 1, map[string]any{"c": map[string]any{"d": []any{2}}}, map[string]any{}}
		return &Call{Func: FuncContains, Field: &Ident{Path: []string{"meta"}}, Arg: args[g.pick(len(args))]}
	}
	fn := []Func{FuncContains, FuncContainedIn, FuncOverlaps}[g.pick(3)]
	var list []string
	for i := g.pick(3); i >= 0; i-- {
		s, _ := g.str().(string)
		list = append(list, s)
	}
	if g.chance(0.2) {
		list = []string{}
	}
	return &Call{Func: fn, Field: &Ident{Path: []string{"tags"}}, Arg: list}
}

func splitPath(p string) []string {
	var out []string
	start := 0
	for i := 0; i <= len(p); i++ {
		if i == len(p) || p[i] == '.' {
			out = append(out, p[start:i])
			start = i + 1
		}
	}
	return out
}

// TestCompileMatchesEvalNodes extends TestCompileMatchesEval to Not, Call
// and Exists, and to relation Views (a client's filter), on random data.
func TestCompileMatchesEvalNodes(t *testing.T) {
	db, g, records, ids, req := pgSetup(t, 2)
	for _, fields := range []Fields{pgRows, pgRowsClient} {
		valid, mixed := 0, 0
		for i := 0; i < 1500; i++ {
			e := g.node(3, ids)
			ok, some := agree(t, db, e, fields, records, ids, Options{Now: testNow, Alias: "r", Request: req, ArgOffset: 1})
			if ok {
				valid++
			}
			if some {
				mixed++
			}
		}
		if valid < 1000 || mixed < valid/3 {
			t.Errorf("weak test: %d of 1500 random expressions valid, %d selecting some but not all rows", valid, mixed)
		}
		t.Logf("%d expressions agreed on %d rows (%d selecting some but not all)", valid, len(ids), mixed)
	}
}
