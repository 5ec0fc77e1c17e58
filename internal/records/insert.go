package records

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/events"
)

// insertShape is a create's statement without its row: the fields given
// (in the collection's order), the create rule and the returning
// expression, with their parameters. Creates whose shapes have the same
// key are interchangeable rows of one statement (createbatch.go).
type insertShape struct {
	sc   *scope
	cols []*collections.Field
	// head holds the parameters before the rows: the returning
	// expression's, the collection's id and name, the rule's.
	head                               args
	collID, collName, rule, returnExpr string
	// one is the statement of one row; key is it with the head's values.
	one, key string
}

// insertRow is one record of an insert: its id (drawn here, so the rows of
// a statement map back to their callers) and its values, in shape.cols'
// order.
type insertRow struct {
	id     string
	values []any
}

// newInsert prepares the insert of one validated record for sc's caller:
// its shape and its row. Multi relations must have been checked
// (checkRelations).
func newInsert(sc *scope, changes []change, ret returning) (*insertShape, insertRow, error) {
	given := make(map[string]change, len(changes))
	for _, ch := range changes {
		given[ch.field.Name] = ch
	}
	sh := &insertShape{sc: sc, head: ret.a, returnExpr: ret.expr}
	row := insertRow{id: uuid.NewString()}
	for _, f := range sc.c.Fields {
		if ch, ok := given[f.Name]; ok {
			sh.cols = append(sh.cols, f)
			row.values = append(row.values, bindable(ch.value))
		}
	}
	if sh.returnExpr == "" {
		sh.returnExpr = "NULL"
	}
	sh.collID, sh.collName = sh.head.add(sc.c.ID), sh.head.add(sc.c.Name)
	rule, err := sc.rule(&sh.head, actCreate, sc.c.CreateRule)
	if err != nil {
		return nil, row, err
	}
	sh.rule = rule
	sh.one = sh.statement(1)
	var key strings.Builder
	key.WriteString(sh.one)
	for _, v := range sh.head.list {
		fmt.Fprintf(&key, "\x00%T:%v", v, v)
	}
	sh.key = key.String()
	return sh, row, nil
}

// statement renders the insert of n rows of this shape, whose values
// follow the head's parameters in order (bind). One statement checks each
// row, as it will be stored (id and timestamps drawn first), against the
// create rule, so relation paths in the rule see exactly what is written;
// inserts the rows the rule accepts; logs their events; and answers each
// inserted row's id and returning expression.
func (sh *insertShape) statement(n int) string {
	var b strings.Builder
	names := make([]string, 0, len(sh.cols)+1)
	names = append(names, `"id"`)
	for _, f := range sh.cols {
		names = append(names, collections.Quote(f.Name))
	}
	b.WriteString(`WITH new AS (SELECT v."id", now() AS "created", now() AS "updated"`)
	given := sh.cols // in the collection's order, so a walk alongside its fields
	for _, f := range sh.sc.c.Fields {
		name := collections.Quote(f.Name)
		if len(given) > 0 && given[0] == f {
			given = given[1:]
			b.WriteString(", v." + name)
		} else {
			b.WriteString(", NULL::" + collections.TypeOf(f).Column(f) + " AS " + name)
		}
	}
	b.WriteString(" FROM (VALUES ")
	p := len(sh.head.list)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteString(", ")
		}
		p++
		b.WriteString("($" + strconv.Itoa(p) + "::uuid")
		for _, f := range sh.cols {
			p++
			b.WriteString(", $" + strconv.Itoa(p) + "::" + collections.TypeOf(f).Column(f))
		}
		b.WriteString(")")
	}
	list := `"id", "created", "updated"`
	for _, f := range sh.cols {
		list += ", " + collections.Quote(f.Name)
	}
	c := sh.sc.c
	b.WriteString(") AS v(" + strings.Join(names, ", ") + ")), " +
		"ins AS (INSERT INTO " + c.Table() + " (" + list + ") SELECT " + list + " FROM new " + alias + " WHERE " + sh.rule + " RETURNING *), " +
		"ev AS (INSERT INTO events (collection_id, collection, op, record_id, data) SELECT " + sh.collID + "::uuid, " + sh.collName +
		", '" + events.Insert + "', " + col("id") + ", (" + fullJSON(c, alias) + ")::jsonb FROM ins " + alias + ") " +
		"SELECT " + col("id") + ", " + sh.returnExpr + " FROM ins " + alias)
	return b.String()
}

// bind is the parameters of the statement inserting rows.
func (sh *insertShape) bind(rows []insertRow) []any {
	out := make([]any, 0, len(sh.head.list)+len(rows)*(1+len(sh.cols)))
	out = append(out, sh.head.list...)
	for _, r := range rows {
		out = append(out, r.id)
		out = append(out, r.values...)
	}
	return out
}

// insertOne inserts row with q and answers its returning expression; a row
// the create rule refuses is a 403.
func (sh *insertShape) insertOne(ctx context.Context, q querier, row insertRow) ([]byte, error) {
	observe(sh.one)
	var id string
	var out []byte
	err := scanRow(ctx, q, sh.one, sh.bind([]insertRow{row}), &id, &out)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, sh.refused()
	}
	return out, err
}

// refused is the answer to a row the create rule did not accept.
func (sh *insertShape) refused() error {
	return apierr.Forbidden("the create rule of %s does not allow this record", sh.sc.c.Name)
}

// insertRecord inserts one validated record and logs its event with one
// statement (insertShape.statement) and returns the new id and, if
// ret.expr is set, that expression over the new row.
// Multi relations must have been checked (checkRelations).
func insertRecord(ctx context.Context, q querier, sc *scope, changes []change, ret returning) (string, []byte, error) {
	sh, row, err := newInsert(sc, changes, ret)
	if err != nil {
		return "", nil, err
	}
	out, err := sh.insertOne(ctx, q, row)
	return row.id, out, err
}
