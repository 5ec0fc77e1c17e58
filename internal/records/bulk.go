package records

import (
	"context"
	"database/sql"
	"strconv"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/events"
)

// BulkLimit is how many ids one bulk call may name.
const BulkLimit = 100

// BulkResult is the outcome of a bulk delete or update: the records it
// changed and, for each id it did not, why.
type BulkResult struct {
	Success int
	Failed  int
	// Errors are the ids not changed, in the order the request named them.
	Errors []BulkError
	// Changed are the ids of the records deleted or updated (lower case),
	// in the order the request named them.
	Changed []string
}

// BulkError is one id a bulk call did not change.
type BulkError struct {
	RecordID string // as the request spelled it
	Error    string
}

// Reasons in BulkError. A missing id, a malformed one and one the caller may
// not view all read the same, so a bulk call cannot probe for records.
const (
	bulkNotFound      = "record not found"
	bulkDeleteRefused = "not allowed by the delete rule"
	bulkUpdateRefused = "not allowed by the update rule"
)

// BulkDelete deletes the records named by ids that the delete rule allows,
// in one statement and one transaction, and reports the others.
//
//   - 1 to BulkLimit ids, else a 422 on "record_ids". The limit counts the
//     list as sent; an id given twice (UUIDs compare case-insensitively)
//     is acted on and counted once, so success + failed is the number of
//     distinct ids.
//   - An id that is malformed, missing or hidden by the view rule fails with
//     "record not found"; one the caller may view but the delete rule
//     refuses fails with "not allowed by the delete rule".
//   - A caller the rule shuts out altogether (an admins-only rule) gets the
//     rule's 401 or 403, before the ids are checked, and nothing is deleted.
func (s *Service) BulkDelete(ctx context.Context, collection string, ids []string) (*BulkResult, error) {
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	if err := sc.shutOut(actDelete, sc.c.DeleteRule); err != nil {
		return nil, err
	}
	req, problems := parseBulkIDs(ids)
	if len(problems) > 0 {
		return nil, apierr.Invalid(problems)
	}
	var a args
	idsArg := a.add(pq.Array(req.valid))
	rule, err := sc.writeRule(&a, actDelete, sc.c.DeleteRule)
	if err != nil {
		return nil, err
	}
	if len(req.valid) == 0 {
		return req.result(nil, bulkDeleteRefused), nil
	}
	change := "DELETE FROM " + sc.c.Table() + " AS " + alias + " WHERE " + col("id") + " = ANY(" + idsArg + "::uuid[]) AND " + rule + " RETURNING " + col("id")
	var outcome map[string]bool
	err = s.inTx(ctx, sc, func(tx *sql.Tx) error {
		old, err := lockOld(ctx, tx, sc.c, req.valid)
		if err != nil {
			return err
		}
		if outcome, err = s.bulkRun(ctx, tx, sc, &a, idsArg, change); err != nil {
			return err
		}
		return emitChanged(ctx, tx, sc.c, events.Delete, req.changed(outcome), old)
	})
	if err != nil {
		return nil, err
	}
	return req.result(outcome, bulkDeleteRefused), nil
}

// BulkUpdate applies data to the records named by ids that the update rule
// allows, in one statement and one transaction, and reports the others.
// data is validated as by Update ("field+"/"field-" increment in SQL); a
// validation failure (422), a unique violation (409) or an increment past
// a field's min or max (422) changes nothing. The ids are treated as by
// BulkDelete.
func (s *Service) BulkUpdate(ctx context.Context, collection string, ids []string, data map[string]any) (*BulkResult, error) {
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	if err := sc.shutOut(actUpdate, sc.c.UpdateRule); err != nil {
		return nil, err
	}
	req, problems := parseBulkIDs(ids)
	var changes []change
	var ruleData map[string]any
	if data == nil {
		problems["data"] = "must be an object of field values"
	} else if changes, ruleData, err = parseData(sc, data, false); err != nil {
		e, ok := apierr.As(err)
		if !ok {
			return nil, err
		}
		for k, v := range e.Fields {
			problems[k] = v
		}
	}
	if len(problems) > 0 {
		return nil, apierr.Invalid(problems)
	}
	sc = newScope(sc.snap, sc.c, sc.p, ruleData)
	var a args
	idsArg := a.add(pq.Array(req.valid))
	rule, err := sc.writeRule(&a, actUpdate, sc.c.UpdateRule)
	if err != nil {
		return nil, err
	}
	if len(req.valid) == 0 {
		return req.result(nil, bulkUpdateRefused), nil
	}
	sets := []string{`"updated" = now()`}
	for _, ch := range changes {
		sets = append(sets, collections.Quote(ch.field.Name)+" = "+setValue(&a, ch, true))
	}
	update := "UPDATE " + sc.c.Table() + " AS " + alias + " SET " + strings.Join(sets, ", ") +
		" WHERE " + col("id") + " = ANY(" + idsArg + "::uuid[]) AND " + rule + " RETURNING " + col("id")
	var outcome map[string]bool
	err = s.inTx(ctx, sc, func(tx *sql.Tx) error {
		if err := checkRelations(ctx, tx, sc, changes); err != nil {
			return err
		}
		old, err := lockOld(ctx, tx, sc.c, req.valid)
		if err != nil {
			return err
		}
		if outcome, err = s.bulkRun(ctx, tx, sc, &a, idsArg, update); err != nil {
			return err
		}
		return emitChanged(ctx, tx, sc.c, events.Update, req.changed(outcome), old)
	})
	if err != nil {
		return nil, err
	}
	return req.result(outcome, bulkUpdateRefused), nil
}

// bulkRun runs change (a DELETE or UPDATE … RETURNING id over the ids in
// idsArg; its rule includes the view rule, see writeRule) and, in the same
// statement, reads which of the ids the caller may view. Every part of one statement sees the table as it was before it, so
// the answer maps each id changed to true and each id visible but left
// unchanged (refused by the write rule) to false; the ids absent from it
// are missing or hidden.
func (s *Service) bulkRun(ctx context.Context, tx *sql.Tx, sc *scope, a *args, idsArg, change string) (map[string]bool, error) {
	view := sc.viewCond(a)
	stmt := "WITH done AS (" + change + "), seen AS (SELECT " + col("id") + " FROM " + sc.c.Table() + " " + alias +
		" WHERE " + col("id") + " = ANY(" + idsArg + "::uuid[]) AND " + view + ")" +
		" SELECT id, true FROM done UNION ALL SELECT id, false FROM seen WHERE id NOT IN (SELECT id FROM done)"
	rows, err := tx.QueryContext(ctx, stmt, a.list...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	outcome := map[string]bool{}
	for rows.Next() {
		var id string
		var done bool
		if err := rows.Scan(&id, &done); err != nil {
			return nil, err
		}
		outcome[id] = done
	}
	return outcome, rows.Err()
}

// bulkIDs is a bulk call's id list without repeats.
type bulkIDs struct {
	given []string // each distinct id once, as first spelled, in order
	valid []string // the well-formed ones, lower-cased
}

// parseBulkIDs checks the length of ids and drops repeats. The problems
// map is never nil, so callers may add to it.
func parseBulkIDs(ids []string) (*bulkIDs, map[string]string) {
	problems := map[string]string{}
	if len(ids) == 0 || len(ids) > BulkLimit {
		problems["record_ids"] = "must list 1 to " + strconv.Itoa(BulkLimit) + " record ids"
		return nil, problems
	}
	req := &bulkIDs{}
	seen := map[string]bool{}
	for _, id := range ids {
		key := strings.ToLower(id)
		if seen[key] {
			continue
		}
		seen[key] = true
		req.given = append(req.given, id)
		if collections.IsUUID(id) {
			req.valid = append(req.valid, key)
		}
	}
	return req, problems
}

// changed lists the ids outcome marks as changed, in request order.
func (req *bulkIDs) changed(outcome map[string]bool) []string {
	var out []string
	for _, id := range req.given {
		if outcome[strings.ToLower(id)] {
			out = append(out, strings.ToLower(id))
		}
	}
	return out
}

// result turns a bulkRun outcome into the reply; refused is the reason
// given for a visible record the write rule left alone.
func (req *bulkIDs) result(outcome map[string]bool, refused string) *BulkResult {
	res := &BulkResult{Errors: []BulkError{}, Changed: []string{}}
	for _, id := range req.given {
		key := strings.ToLower(id)
		done, visible := outcome[key]
		switch {
		case !collections.IsUUID(id) || !visible:
			res.Errors = append(res.Errors, BulkError{RecordID: id, Error: bulkNotFound})
		case done:
			res.Changed = append(res.Changed, key)
		default:
			res.Errors = append(res.Errors, BulkError{RecordID: id, Error: refused})
		}
	}
	res.Success, res.Failed = len(res.Changed), len(res.Errors)
	return res
}
