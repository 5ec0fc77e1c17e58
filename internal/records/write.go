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
	"fastcms/internal/collections"
	"fastcms/internal/events"
)

// Create inserts a record after validating data; the create rule is checked
// against the new row inside the same transaction, so relation paths in the
// rule see exactly what was written.
func (s *Service) Create(ctx context.Context, collection string, data map[string]any) (json.RawMessage, error) {
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
	var rec []byte
	err = s.inTx(ctx, sc, func(tx *sql.Tx) error {
		id, err := insertRecord(ctx, tx, sc, changes)
		if err != nil {
			return err
		}
		var a args
		if err := tx.QueryRowContext(ctx, "SELECT "+recordJSON(sc.shown(), "NULL")+" FROM "+sc.c.Table()+" "+alias+
			" WHERE "+col("id")+" = "+a.add(id), a.list...).Scan(&rec); err != nil {
			return err
		}
		return emitChanged(ctx, tx, sc.c, events.Insert, []string{id}, nil)
	})
	return rec, err
}

// insertRecord inserts one validated record in tx and checks the create
// rule (compiled with sc's request data) against the row as written, so
// relation paths in the rule see exactly what was stored.
func insertRecord(ctx context.Context, tx *sql.Tx, sc *scope, changes []change) (string, error) {
	if err := checkRelations(ctx, tx, sc, changes); err != nil {
		return "", err
	}
	var a args
	cols, vals := []string{}, []string{}
	for _, ch := range changes {
		cols = append(cols, collections.Quote(ch.field.Name))
		vals = append(vals, a.add(bindable(ch.value)))
	}
	insert := "INSERT INTO " + sc.c.Table() + " DEFAULT VALUES RETURNING id"
	if len(cols) > 0 {
		insert = "INSERT INTO " + sc.c.Table() + " (" + strings.Join(cols, ", ") + ") VALUES (" + strings.Join(vals, ", ") + ") RETURNING id"
	}
	var id string
	if err := tx.QueryRowContext(ctx, insert, a.list...).Scan(&id); err != nil {
		return "", err
	}
	var b args
	idArg := b.add(id)
	rule, err := sc.rule(&b, actCreate, sc.c.CreateRule)
	if err != nil {
		return "", err
	}
	var allowed bool
	if err := tx.QueryRowContext(ctx, "SELECT "+rule+" FROM "+sc.c.Table()+" "+alias+" WHERE "+col("id")+" = "+idArg, b.list...).Scan(&allowed); err != nil {
		return "", err
	}
	if !allowed {
		return "", apierr.Forbidden("the create rule of %s does not allow this record", sc.c.Name)
	}
	return id, nil
}

// Update changes the fields present in data; "field+"/"field-" add to or
// subtract from a number in SQL, so concurrent increments all count. The
// update rule, and for non-admins the view rule, are checked against the
// row as it was.
func (s *Service) Update(ctx context.Context, collection, id string, data map[string]any) (json.RawMessage, error) {
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
	var rec []byte
	err = s.inTx(ctx, sc, func(tx *sql.Tx) error {
		if err := checkRelations(ctx, tx, sc, changes); err != nil {
			return err
		}
		old, err := lockOld(ctx, tx, sc.c, []string{strings.ToLower(id)})
		if err != nil {
			return err
		}
		var a args
		idArg := a.add(strings.ToLower(id))
		rule, err := sc.writeRule(&a, actUpdate, sc.c.UpdateRule)
		if err != nil {
			return s.denied(ctx, tx, sc, id, err)
		}
		sets := []string{`"updated" = now()`}
		for _, ch := range changes {
			name := collections.Quote(ch.field.Name)
			switch ch.delta {
			case "":
				sets = append(sets, name+" = "+a.add(bindable(ch.value)))
			default:
				sets = append(sets, fmt.Sprintf("%s = COALESCE(%s, 0) %s %s", name, col(ch.field.Name), ch.delta, a.add(ch.value)))
			}
		}
		err = tx.QueryRowContext(ctx, "UPDATE "+sc.c.Table()+" AS "+alias+" SET "+strings.Join(sets, ", ")+
			" WHERE "+col("id")+" = "+idArg+" AND "+rule+" RETURNING "+recordJSON(sc.shown(), "NULL"), a.list...).Scan(&rec)
		if errors.Is(err, sql.ErrNoRows) {
			return s.denied(ctx, tx, sc, id, apierr.Forbidden("the update rule of %s does not allow this change", sc.c.Name))
		}
		if err != nil {
			return err
		}
		if err := checkIncrements(ctx, tx, sc.c, id, changes); err != nil {
			return err
		}
		return emitChanged(ctx, tx, sc.c, events.Update, []string{strings.ToLower(id)}, old)
	})
	return rec, err
}

// Delete removes a record the delete rule allows and, for non-admins, the
// view rule shows.
func (s *Service) Delete(ctx context.Context, collection, id string) error {
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
	return s.inTx(ctx, sc, func(tx *sql.Tx) error {
		old, err := lockOld(ctx, tx, sc.c, []string{strings.ToLower(id)})
		if err != nil {
			return err
		}
		var a args
		idArg := a.add(strings.ToLower(id))
		rule, err := sc.writeRule(&a, actDelete, sc.c.DeleteRule)
		if err != nil {
			return s.denied(ctx, tx, sc, id, err)
		}
		res, err := tx.ExecContext(ctx, "DELETE FROM "+sc.c.Table()+" AS "+alias+" WHERE "+col("id")+" = "+idArg+" AND "+rule, a.list...)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return s.denied(ctx, tx, sc, id, apierr.Forbidden("the delete rule of %s does not allow deleting this record", sc.c.Name))
		}
		return emitChanged(ctx, tx, sc.c, events.Delete, []string{strings.ToLower(id)}, old)
	})
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
