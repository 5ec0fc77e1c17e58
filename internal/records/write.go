package records

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/events"
)

// Create inserts a record after validating data, in one statement that
// checks the create rule, inserts and logs the event (insert.go), shared
// with concurrent creates of the same shape (createbatch.go); a multi
// relation's ids are checked first.
func (s *Service) Create(ctx context.Context, collection string, data map[string]any) (json.RawMessage, error) {
	return s.create(ctx, collection, data, nil)
}

// returning is what a write's one statement answers over the written row
// (aliased alias): expr, whose parameters are a's. The write adds its own
// parameters after them, so a is the write's from then on.
type returning struct {
	a    args
	expr string
}

// create is Create answering ret (nil: the record as REST shows it).
func (s *Service) create(ctx context.Context, collection string, data map[string]any, ret *returning) (json.RawMessage, error) {
	defer s.wrote()
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	if err := sc.createShutOut(); err != nil {
		return nil, err
	}
	changes, ruleData, err := parseData(sc, data, true)
	if err != nil {
		return nil, err
	}
	sc = newScope(sc.snap, sc.c, sc.p, ruleData)
	if err := checkRelations(ctx, s.db, sc, changes); err != nil {
		return nil, err
	}
	if ret == nil {
		ret = &returning{expr: recordJSON(sc.shown(), "NULL")}
	}
	rec, err := s.insertCombined(ctx, sc, changes, *ret)
	return rec, constraintError(err, sc.c)
}

// Update changes the fields present in data; "field+"/"field-" add to or
// subtract from a number in SQL, so concurrent increments all count. The
// update rule, and for non-admins the view rule, are checked against the
// row as it was.
func (s *Service) Update(ctx context.Context, collection, id string, data map[string]any) (json.RawMessage, error) {
	return s.update(ctx, collection, id, data, nil)
}

// update is Update answering ret (nil: the record as REST shows it).
func (s *Service) update(ctx context.Context, collection, id string, data map[string]any, ret *returning) (json.RawMessage, error) {
	defer s.wrote()
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	if !collections.IsUUID(id) {
		return nil, notFound(sc.c)
	}
	if err := sc.shutOut(actUpdate, sc.c.UpdateRule); err != nil {
		return nil, s.denied(ctx, s.db, sc, id, err)
	}
	changes, ruleData, err := parseData(sc, data, false)
	if err != nil {
		return nil, err
	}
	sc = newScope(sc.snap, sc.c, sc.p, ruleData)
	if err := checkRelations(ctx, s.db, sc, changes); err != nil {
		return nil, err
	}
	if ret == nil {
		ret = &returning{expr: recordJSON(sc.shown(), "NULL")}
	}
	a := ret.a
	collID, collName, idArg := a.add(sc.c.ID), a.add(sc.c.Name), a.add(strings.ToLower(id))
	rule, err := sc.writeRule(&a, actUpdate, sc.c.UpdateRule)
	if err != nil {
		return nil, s.denied(ctx, s.db, sc, id, err)
	}
	sets := []string{`"updated" = now()`}
	for _, ch := range changes {
		sets = append(sets, collections.Quote(ch.field.Name)+" = "+setValue(&a, ch, false))
	}
	// The row is locked and checked (rule, view rule) as it was, changed,
	// logged with both states and rendered, in one statement.
	stmt := "WITH old AS (SELECT " + col("id") + ", (" + fullJSON(sc.c, alias) + ")::jsonb AS j FROM " + sc.c.Table() + " " + alias +
		" WHERE " + col("id") + " = " + idArg + " AND " + rule + " FOR UPDATE OF " + alias + "), " +
		"upd AS (UPDATE " + sc.c.Table() + " AS " + alias + " SET " + strings.Join(sets, ", ") +
		" FROM old WHERE " + col("id") + " = old.id RETURNING " + alias + ".*, old.j AS _old), " +
		"ev AS (INSERT INTO events (collection_id, collection, op, record_id, data, old) SELECT " + collID + "::uuid, " + collName +
		", '" + events.Update + "', " + col("id") + ", (" + fullJSON(sc.c, alias) + ")::jsonb, " + alias + "._old FROM upd " + alias + ") " +
		"SELECT " + ret.expr + " FROM upd " + alias
	observe(stmt)
	var rec []byte
	err = scanRow(ctx, s.hot, stmt, a.list, &rec)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, s.denied(ctx, s.db, sc, id, apierr.Forbidden("the update rule of %s does not allow this change", sc.c.Name))
	}
	return rec, constraintError(err, sc.c)
}

// setValue is the new value of a change in an UPDATE: the value, or for
// "field+"/"field-" the sum computed in SQL (so concurrent increments all
// count), held to the field's min and max by fastcms_bound; a violation
// names the record when several change at once (inRecord).
func setValue(a *args, ch change, inRecord bool) string {
	if ch.delta == "" {
		return a.add(bindable(ch.value))
	}
	v := ch.field.Validation
	sum := fmt.Sprintf("COALESCE(%s, 0) %s %s", col(ch.field.Name), ch.delta, a.add(ch.value))
	if v.Min == nil && v.Max == nil {
		return sum
	}
	record := "NULL::uuid"
	if inRecord {
		record = col("id")
	}
	return fmt.Sprintf("fastcms_bound(%s, %s::double precision, %s::double precision, %s, %s)", sum, a.add(v.Min), a.add(v.Max), a.add(ch.field.Name), record)
}

// Delete removes a record the delete rule allows and, for non-admins, the
// view rule shows.
func (s *Service) Delete(ctx context.Context, collection, id string) error {
	defer s.wrote()
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return err
	}
	if !collections.IsUUID(id) {
		return notFound(sc.c)
	}
	if err := sc.shutOut(actDelete, sc.c.DeleteRule); err != nil {
		return s.denied(ctx, s.db, sc, id, err)
	}
	var a args
	collID, collName, idArg := a.add(sc.c.ID), a.add(sc.c.Name), a.add(strings.ToLower(id))
	rule, err := sc.writeRule(&a, actDelete, sc.c.DeleteRule)
	if err != nil {
		return s.denied(ctx, s.db, sc, id, err)
	}
	// Deleted and logged with its last state in one statement.
	var n int
	err = scanRow(ctx, s.hot, "WITH del AS (DELETE FROM "+sc.c.Table()+" AS "+alias+" WHERE "+col("id")+" = "+idArg+" AND "+rule+
		" RETURNING "+col("id")+", ("+fullJSON(sc.c, alias)+")::jsonb AS j), "+
		"ev AS (INSERT INTO events (collection_id, collection, op, record_id, old) SELECT "+collID+"::uuid, "+collName+", '"+events.Delete+"', id, j FROM del) "+
		"SELECT count(*) FROM del", a.list, &n)
	if err != nil {
		return constraintError(err, sc.c)
	}
	if n == 0 {
		return s.denied(ctx, s.db, sc, id, apierr.Forbidden("the delete rule of %s does not allow deleting this record", sc.c.Name))
	}
	return nil
}

// denied picks the answer for a write that its rule stopped: 404 when the
// caller may not even see the record (its existence is not leaked), else
// the rule's own error.
func (s *Service) denied(ctx context.Context, q querier, sc *scope, id string, ruleErr error) error {
	var a args
	idArg := a.add(strings.ToLower(id))
	var visible bool
	if err := q.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+sc.c.Table()+" "+alias+" WHERE "+col("id")+" = "+idArg+" AND "+sc.viewCond(&a)+")", a.list...).Scan(&visible); err != nil {
		return err
	}
	if !visible {
		return notFound(sc.c)
	}
	return ruleErr
}

// inTx runs fn in a transaction and turns constraint violations into
// client errors naming the field.
func (s *Service) inTx(ctx context.Context, sc *scope, fn func(tx *sql.Tx) error) error {
	defer s.wrote()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := fn(tx); err != nil {
		return constraintError(err, sc.c)
	}
	return tx.Commit()
}

func constraintError(err error, c *collections.Collection) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	if f := c.Field(pqErr.Detail); pqErr.Code == "22003" && pqErr.Message == "fastcms: out of range" && f != nil {
		value, record, _ := strings.Cut(pqErr.Hint, " ")
		v, _ := strconv.ParseFloat(value, 64)
		_, why := collections.ParseValue(f, v)
		if record != "" {
			record = " in record " + record
		}
		return apierr.InvalidField(f.Name, fmt.Sprintf("would become %s%s, which %s", strconv.FormatFloat(v, 'g', -1, 64), record, why))
	}
	for _, f := range c.Fields {
		switch {
		case pqErr.Code == "23505" && pqErr.Constraint == collections.UniqueIndexName(f):
			e := apierr.Conflict("%s: value must be unique", f.Name)
			e.Fields = map[string]string{f.Name: "must be unique"}
			return e
		case pqErr.Code == "23503" && pqErr.Constraint == collections.ForeignKeyName(f):
			return apierr.InvalidField(f.Name, "related record not found")
		}
	}
	return err
}
