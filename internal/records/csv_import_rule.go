package records

import (
	"strings"

	"fastcms/internal/query"
)

// importRule compiles the create rule for the rows of an import. In a JSON
// create @request.data.X is the value given for field X; in an import the
// value given is the row's column X, so each such reference is rewritten
// to that column. A field the file has no column for stays an
// @request.data reference with no data, null, as an absent key is in a
// JSON create. Admins and an empty rule give "TRUE"; a null rule has been
// refused before the file was read (createShutOut).
func (run *importRun) importRule(a *args) (string, error) {
	sc := run.sc
	src := sc.c.CreateRule
	if sc.p.IsAdmin() || src == nil || strings.TrimSpace(*src) == "" {
		return "TRUE", nil
	}
	expr, err := query.Parse(*src)
	if err != nil {
		return "", sc.ruleFailed()
	}
	cols := map[string]bool{}
	for _, ic := range run.cols {
		if ic.field != nil {
			cols[ic.field.Name] = true
		}
	}
	cond, err := sc.compileExpr(a, dataAsColumns(expr, cols), sc.ruleFields())
	if err != nil {
		return "", sc.ruleFailed()
	}
	return cond, nil
}

// dataAsColumns is e with every @request.data.X, for X in cols, turned into
// the record's field X.
func dataAsColumns(e query.Expr, cols map[string]bool) query.Expr {
	switch x := e.(type) {
	case *query.Logical:
		return &query.Logical{Op: x.Op, Left: dataAsColumns(x.Left, cols), Right: dataAsColumns(x.Right, cols)}
	case *query.Comparison:
		c := *x
		c.Left, c.Right = dataAsColumn(x.Left, cols), dataAsColumn(x.Right, cols)
		return &c
	}
	return e
}

func dataAsColumn(o query.Operand, cols map[string]bool) query.Operand {
	r, ok := o.(*query.RequestRef)
	if !ok || r.Scope != "data" || len(r.Path) != 1 || !cols[r.Path[0]] {
		return o
	}
	return &query.Ident{Path: []string{r.Path[0]}, Record: true, Pos: r.Pos}
}
