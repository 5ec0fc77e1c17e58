package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/query"
)

// Writes of plans (Op's Insert…DeleteWhere kinds, GraphQL's mutations):
// inserts of many records, updates and deletes of the records a filter
// matches, and their answers (the count of affected records and the
// records as the caller may view them), each in one transaction.

// MaxInsert is the most records one Insert takes.
const MaxInsert = 100

// DefaultAtMost is the default AtMost of UpdateWhere and DeleteWhere. The
// updates of UpdateMany (GraphQL's update_X_many) take no AtMost, so each
// of them gets this one: an update matching more fails them all.
const DefaultAtMost = 100

// mutate runs a write op. The single-record ones go through
// Create, Update and Delete, exactly as REST; the bulk ones run the same
// validation (parseData), relation checks and rules in one transaction.
// The records returned are read back with the caller's view rule.
func (s *Service) mutate(ctx context.Context, snap *collections.Snapshot, c *collections.Collection, op Op) (json.RawMessage, error) {
	b := &renderer{snap: snap, p: auth.FromContext(ctx)}
	switch op.Kind {
	case InsertOne:
		data := copyData(op.Objects[0])
		if err := noNUL(data); err != nil {
			return nil, err
		}
		if ret := inlineReturning(snap, b.p, c, op.Members); ret != nil {
			rec, err := s.create(ctx, c.Name, data, ret)
			return rec, inputError(err, PartObject, "{object}")
		}
		rec, err := s.Create(ctx, c.Name, data)
		if err != nil {
			return nil, inputError(err, PartObject, "{object}")
		}
		return s.readByIDs(ctx, s.hot, b, c, []string{recordID(rec)}, op.Members, oneRecord)
	case UpdateByID:
		if !hasOperator(op) {
			return nil, noOperator(updateArg(op), "")
		}
		if len(op.Set)+len(op.Inc) == 0 {
			return nil, nil // an empty Set changes no record
		}
		data := copyData(op.Set)
		for k, v := range copyData(op.Inc) {
			data[k+"+"] = v
		}
		if err := noNUL(data); err != nil {
			return nil, err
		}
		ret := inlineReturning(snap, b.p, c, op.Members)
		var rec []byte
		var err error
		if ret != nil {
			rec, err = s.update(ctx, c.Name, op.ID, data, ret)
		} else {
			rec, err = s.Update(ctx, c.Name, op.ID, data)
		}
		if apierr.IsNotFound(err) {
			return nil, nil // missing or hidden: null, as the spec says
		}
		if err != nil || ret != nil {
			return rec, inputError(err, updateArg(op), "")
		}
		return s.readByIDs(ctx, s.hot, b, c, []string{recordID(rec)}, op.Members, oneRecord)
	case DeleteByID:
		if !collections.IsUUID(op.ID) {
			return nil, nil
		}
		rec, err := s.readByIDs(ctx, s.db, b, c, []string{strings.ToLower(op.ID)}, op.Members, oneRecord)
		if err != nil {
			return nil, err
		}
		err = s.Delete(ctx, c.Name, op.ID)
		if apierr.IsNotFound(err) {
			return nil, nil
		}
		return rec, err
	}

	sc := newScope(snap, c, b.p, nil)
	if op.Kind == UpdateMany {
		for i, u := range op.Updates {
			if !hasOperator(u) {
				return nil, noOperator(PartUpdates, fmt.Sprintf("{updates}.%d", i))
			}
		}
		return s.runUpdates(ctx, b, c, sc, op)
	}
	if op.Kind == UpdateWhere {
		if !hasOperator(op) {
			return nil, noOperator(updateArg(op), "")
		}
	}
	var out []byte
	err := s.inTx(ctx, sc, func(tx *sql.Tx) error {
		var ids []string
		var returning []byte
		var err error
		switch op.Kind {
		case Insert:
			ids, returning, err = s.insertMany(ctx, tx, sc, op.Objects, returningSel(op.Members))
		case UpdateWhere:
			ids, err = s.updateMatching(ctx, tx, b, c, op)
			err = inputError(err, updateArg(op), "")
		case DeleteWhere:
			ids, err = s.matchRows(ctx, tx, b, newScope(snap, c, b.p, nil), actDelete, c.DeleteRule, op)
		default:
			return errors.New("records: unknown write")
		}
		if err != nil {
			return err
		}
		if sel := returningSel(op.Members); sel != nil && returning == nil {
			order := listingOrder
			if op.Kind == Insert {
				order = givenOrder
			}
			if returning, err = s.readByIDs(ctx, tx, &renderer{snap: snap, p: b.p}, c, ids, sel, order); err != nil {
				return err
			}
		}
		if op.Kind == DeleteWhere && len(ids) > 0 {
			old, err := lockOld(ctx, tx, c, ids)
			if err != nil {
				return err
			}
			observe("DELETE")
			if _, err := tx.ExecContext(ctx, "DELETE FROM "+c.Table()+" WHERE id = ANY($1::uuid[])", pq.Array(ids)); err != nil {
				return err
			}
			if err := emitChanged(ctx, tx, c, events.Delete, ids, old); err != nil {
				return err
			}
		}
		out = writeResponse(op.Members, len(ids), returning)
		return nil
	})
	return out, err
}

// runUpdates runs the updates of UpdateMany in order in one transaction,
// each exactly as UpdateWhere (rules, validation, events, AtMost of
// DefaultAtMost), each answered by its own response read right after it.
// Any failure rolls back all of them.
func (s *Service) runUpdates(ctx context.Context, b *renderer, c *collections.Collection, sc *scope, op Op) (json.RawMessage, error) {
	var out []byte
	err := s.inTx(ctx, sc, func(tx *sql.Tx) error {
		out = append(out[:0], '[')
		for i, u := range op.Updates {
			u.Kind, u.AtMost, u.Members = UpdateWhere, DefaultAtMost, op.Members
			ids, err := s.updateMatching(ctx, tx, &renderer{snap: b.snap, p: b.p}, c, u)
			if err != nil {
				return prefixFields(inputError(err, PartUpdates, fmt.Sprintf("{updates}.%d.{%s}", i, updateArg(u))), PartUpdates, fmt.Sprintf("{updates}.%d.", i))
			}
			var returning []byte
			if sel := returningSel(op.Members); sel != nil {
				if returning, err = s.readByIDs(ctx, tx, &renderer{snap: b.snap, p: b.p}, c, ids, sel, listingOrder); err != nil {
					return err
				}
			}
			if i > 0 {
				out = append(out, ',')
			}
			out = append(out, writeResponse(op.Members, len(ids), returning)...)
		}
		out = append(out, ']')
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// copyData copies write data (JSON values, as a decoded body holds), so
// adding the increments' keys leaves the caller's maps as they were.
func copyData(m map[string]any) map[string]any {
	out := make(map[string]any, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

func recordID(rec []byte) string {
	var r struct {
		ID string `json:"id"`
	}
	json.Unmarshal(rec, &r) //nolint:errcheck // the services' own JSON
	return r.ID
}

// byIDs is what readByIDs renders.
type byIDs int

const (
	// oneRecord: one object, or null.
	oneRecord byIDs = iota
	// listingOrder: an array in the default listing order (created, then
	// id), so the returning of UpdateWhere and DeleteWhere is stable whatever
	// order the records were matched in.
	listingOrder
	// givenOrder: an array in the order of ids, so the returning of
	// Insert follows its objects (as in Hasura; they share one created
	// time, so the listing order would be the ids' random one).
	givenOrder
)

// readByIDs renders the records ids with selection sel, each as the caller
// may view it, as shape says.
func (s *Service) readByIDs(ctx context.Context, q querier, b *renderer, c *collections.Collection, ids []string, sel []Member, shape byIDs) ([]byte, error) {
	one := shape == oneRecord
	sc := b.scope(c, alias)
	rule, err := sc.rule(&b.a, actView, c.ViewRule)
	if err != nil {
		if one {
			return nil, nil
		}
		return []byte("[]"), nil
	}
	obj, err := b.object(sc, sel)
	if err != nil {
		return nil, err
	}
	idArg := b.a.add(pq.Array(ids)) + "::uuid[]"
	from := " FROM " + c.Table() + " " + alias + " WHERE " + qcol(alias, "id") + " = ANY(" + idArg + ") AND " + rule
	if one {
		return jsonRow(ctx, q, "SELECT "+obj+from, b.a.list)
	}
	order := qcol(alias, "created") + ", " + qcol(alias, "id")
	if shape == givenOrder {
		order = "array_position(" + idArg + ", " + qcol(alias, "id") + ")"
	}
	return jsonRow(ctx, q, "SELECT COALESCE(json_agg("+obj+" ORDER BY "+order+"), '[]'::json)"+from, b.a.list)
}

// inlineReturning renders the selection sel of one written record of c as
// the caller p may view it (NULL when the view rule hides it), to be
// answered by the write's own statement over the row it wrote, so that a
// create or update by id is one round trip. It is nil when the record
// must be read after the write instead (readByIDs), because the statement
// would answer differently: its subqueries see the tables as they were
// before it, so a selection or view rule that reads c's own table would
// miss (or see the old) written row; a filter inside the selection can
// fail on its values, which must not undo the write; and a selection that
// does not render is reported after the write, as it always was.
func inlineReturning(snap *collections.Snapshot, p *auth.Principal, c *collections.Collection, sel []Member) *returning {
	if hasWhere(sel) {
		return nil
	}
	b := &renderer{snap: snap, p: p}
	sc := b.scope(c, alias)
	rule, err := sc.rule(&b.a, actView, c.ViewRule)
	if err != nil {
		return &returning{expr: "NULL::json"}
	}
	obj, err := b.object(sc, sel)
	if err != nil || strings.Contains(rule, c.Table()) || strings.Contains(obj, c.Table()) {
		return nil
	}
	return &returning{a: b.a, expr: "CASE WHEN " + rule + " THEN " + obj + " END"}
}

// hasWhere reports whether any member of sel, however deep, filters its
// records with a filter (Rows.Where).
func hasWhere(sel []Member) bool {
	for _, n := range sel {
		if n.Rows != nil && n.Rows.Where != nil || hasWhere(n.Sub) {
			return true
		}
	}
	return false
}

// insertMany creates objects in tx as Create does, each checked against the
// create rule with its own data and logged with its event. When the
// selection sel of returning can be answered by each insert's own
// statement (inlineReturning), out is the array of the records the caller
// may view, in the objects' order; else it is nil, to be read after.
func (s *Service) insertMany(ctx context.Context, tx *sql.Tx, base *scope, objects []map[string]any, sel []Member) (ids []string, out []byte, err error) {
	if err := base.createShutOut(); err != nil {
		return nil, nil, err
	}
	if len(objects) > MaxInsert {
		return nil, nil, partError(PartObjects, fmt.Sprintf("{objects}: at most %d records per insert", MaxInsert))
	}
	fold := sel != nil && inlineReturning(base.snap, base.p, base.c, sel) != nil
	if fold {
		out = []byte{'['}
	}
	ids = make([]string, 0, len(objects))
	for i, obj := range objects {
		data := copyData(obj)
		if err := noNUL(data); err != nil {
			return nil, nil, prefixFields(err, PartObjects, fmt.Sprintf("{objects}.%d.", i))
		}
		changes, ruleData, err := parseData(base, data, true)
		if err != nil {
			return nil, nil, prefixFields(err, PartObjects, fmt.Sprintf("{objects}.%d.", i))
		}
		sc := newScope(base.snap, base.c, base.p, ruleData)
		err = checkRelations(ctx, tx, sc, changes)
		ret := &returning{}
		if fold {
			ret = inlineReturning(base.snap, base.p, base.c, sel)
		}
		var id string
		var rec []byte
		if err == nil {
			id, rec, err = insertRecord(ctx, tx, sc, changes, *ret)
		}
		if err != nil {
			return nil, nil, prefixFields(inputError(err, PartObjects, fmt.Sprintf("{objects}.%d", i)), PartObjects, fmt.Sprintf("{objects}.%d.", i))
		}
		ids = append(ids, id)
		if rec != nil { // nil: hidden from the caller, so not listed
			if len(out) > 1 {
				out = append(out, ',')
			}
			out = append(out, rec...)
		}
	}
	if fold {
		out = append(out, ']')
	}
	return ids, out, nil
}

// prefixFields names the object a validation problem is in: prefix (a
// path in part p, as PartError's texts name parts) before each field.
func prefixFields(err error, p Part, prefix string) error {
	e, ok := apierr.As(err)
	if !ok || len(e.Fields) == 0 {
		return err
	}
	fields := map[string]string{}
	for k, v := range e.Fields {
		fields[prefix+k] = v
	}
	return &PartError{Part: p, Fields: fields}
}

// matchRows locks the ids of the records op's filter selects that rule allows
// act on and the caller may view, refusing the whole operation when there
// are more than AtMost (so AtMost never counts, or reveals, hidden rows).
func (s *Service) matchRows(ctx context.Context, tx *sql.Tx, b *renderer, sc *scope, act action, rule *string, op Op) ([]string, error) {
	w := &renderer{snap: b.snap, p: b.p}
	sc.opts.Alias = alias
	cond, err := sc.writeRule(&w.a, act, rule)
	if err != nil {
		return nil, err
	}
	where, ok := idInCond(&w.a, op.Rows.Where)
	if !ok {
		if where, err = w.where(sc, op.Rows.Where); err != nil {
			return nil, err
		}
	}
	if op.AtMost < 0 {
		return nil, partError(PartAtMost, "{at_most} must not be negative")
	}
	stmt := "SELECT " + qcol(alias, "id") + " FROM " + sc.c.Table() + " " + alias + " WHERE " + cond + " AND " + where +
		" ORDER BY " + qcol(alias, "id") + " LIMIT " + fmt.Sprint(op.AtMost+1) + " FOR UPDATE"
	observe(stmt)
	rows, err := tx.QueryContext(ctx, stmt, w.a.list...)
	if err != nil {
		return nil, planDBError(err)
	}
	defer rows.Close()
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return nil, planDBError(err)
	}
	if len(ids) > op.AtMost {
		return nil, partError(PartAtMost, fmt.Sprintf("more than {at_most} (%d) records match; nothing was changed", op.AtMost))
	}
	return ids, nil
}

// idInCond is the condition of a where that is exactly "id is one of
// these UUIDs" (equalities joined by or, as {id: {_in: [...]}} translates),
// as one "id = ANY($n::uuid[])" that the primary key answers; ok is false
// for any other where, which compiles as usual.
func idInCond(a *args, w query.Expr) (cond string, ok bool) {
	var ids []string
	var walk func(e query.Expr) bool
	walk = func(e query.Expr) bool {
		switch x := e.(type) {
		case *query.Logical:
			return x.Op == query.Or && walk(x.Left) && walk(x.Right)
		case *query.Comparison:
			id, _ := x.Left.(*query.Ident)
			lit, _ := x.Right.(*query.Literal)
			if x.Op != query.Eq || x.AnyOf || id == nil || len(id.Path) != 1 || id.Path[0] != "id" || lit == nil {
				return false
			}
			s, _ := lit.Value.(string)
			ids = append(ids, strings.ToLower(s))
			return collections.IsUUID(s)
		}
		return false
	}
	if !walk(w) {
		return "", false
	}
	return qcol(alias, "id") + " = ANY(" + a.add(pq.Array(ids)) + "::uuid[])", true
}

// hasOperator reports whether an update gives Set or Inc: one without is
// refused (as Hasura does); an empty one is allowed and changes no record.
func hasOperator(op Op) bool { return op.Set != nil || op.Inc != nil }

// noOperator refuses an update that gives neither Set nor Inc, at path
// (a path in part p before the message, "" for none).
func noOperator(p Part, at string) error {
	if at != "" {
		at += ": "
	}
	return partError(p, at+"give {set} or {inc}")
}

// updateArg is the part a data error of an update's SQL comes from: Set
// values are validated before, so an error (an overflow) is Inc's when
// there is one.
func updateArg(op Op) Part {
	if len(op.Inc) > 0 {
		return PartInc
	}
	return PartSet
}

// updateMatching applies Set and Inc to the matching records; an empty Set
// (and Inc) matches no record, so nothing is changed or reported.
func (s *Service) updateMatching(ctx context.Context, tx *sql.Tx, b *renderer, c *collections.Collection, op Op) ([]string, error) {
	sc := newScope(b.snap, c, b.p, nil)
	if err := sc.shutOut(actUpdate, c.UpdateRule); err != nil || len(op.Set)+len(op.Inc) == 0 {
		return nil, err
	}
	data := copyData(op.Set)
	for k, v := range copyData(op.Inc) {
		data[k+"+"] = v
	}
	if err := noNUL(data); err != nil {
		return nil, err
	}
	changes, ruleData, err := parseData(sc, data, false)
	if err != nil {
		return nil, err
	}
	sc = newScope(b.snap, c, b.p, ruleData)
	if err := checkRelations(ctx, tx, sc, changes); err != nil {
		return nil, err
	}
	ids, err := s.matchRows(ctx, tx, b, sc, actUpdate, c.UpdateRule, op)
	if err != nil || len(ids) == 0 {
		return ids, err
	}
	old, err := lockOld(ctx, tx, c, ids)
	if err != nil {
		return nil, err
	}
	var a args
	sets := []string{`"updated" = now()`}
	for _, ch := range changes {
		sets = append(sets, collections.Quote(ch.field.Name)+" = "+setValue(&a, ch, false))
	}
	stmt := "UPDATE " + c.Table() + " AS " + alias + " SET " + strings.Join(sets, ", ") + " WHERE " + col("id") + " = ANY(" + a.add(pq.Array(ids)) + "::uuid[])"
	observe(stmt)
	if _, err := tx.ExecContext(ctx, stmt, a.list...); err != nil {
		return nil, constraintError(err, c) // now, so UpdateMany can name the update
	}
	return ids, emitChanged(ctx, tx, c, events.Update, ids, old)
}

// returningSel is the record selection of a mutation response's
// returning (the first one; nil when not selected).
func returningSel(sel []Member) []Member {
	for _, n := range sel {
		if n.Kind == Returning {
			if n.Sub == nil {
				return []Member{}
			}
			return n.Sub
		}
	}
	return nil
}

// writeResponse writes a write's answer (GraphQL's X_mutation_response)
// under the selected keys.
func writeResponse(sel []Member, affected int, returning []byte) []byte {
	out := []byte{'{'}
	for _, n := range sel {
		var v []byte
		switch n.Kind {
		case Typename:
			v, _ = json.Marshal(n.Name)
		case AffectedRows:
			v = fmt.Appendf(nil, "%d", affected)
		case Returning:
			v = returning
			if v == nil {
				v = []byte("[]")
			}
		default:
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		k, _ := json.Marshal(n.Key)
		out = append(append(append(out, k...), ':'), v...)
	}
	return append(out, '}')
}
