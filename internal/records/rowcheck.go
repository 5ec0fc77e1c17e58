package records

import (
	"context"
	"encoding/json"
	"sync"
)

// Row checks of subscriptions, batched per event: a view rule (or a
// filter) through a relation is checked in the database against the row
// an event logged. Every subscriber whose check has the same
// statement text — one rule or filter shape, its values in the arguments —
// registers it here; the first subscriber to check an event runs one
// statement (RunLive) for the distinct arguments of every registered
// subscriber, and the others read their answer from it. A subscriber that
// registered after that statement ran checks alone.

// rowCheck is one subscriber's compiled check: stmt's $1 and $2 are the
// record id and its logged JSON, the rest are args.
type rowCheck struct {
	stmt string
	args []any
	key  string // LiveArgsKey of args; "" checks alone
	bad  bool   // the condition did not compile: nothing passes
}

// rowShape is the registered checks of one statement and the recent
// events' answers.
type rowShape struct {
	members map[*rowCheck]int // registrations
	batches map[int64]*rowBatch
	order   []int64
}

// rowBatch is one event's answers, by argument key.
type rowBatch struct {
	once sync.Once
	ok   map[string]bool
	err  error
}

type rowShapeKey struct {
	svc  *Service
	stmt string
}

// rowChecks holds the shapes of every service (keyed by it: statement
// texts of different databases are different shapes).
var rowChecks = struct {
	mu     sync.Mutex
	shapes map[rowShapeKey]*rowShape
}{shapes: map[rowShapeKey]*rowShape{}}

// rowBatchHistory is how many events' answers a shape keeps: subscribers
// of a collection check the same few events at about the same time.
const rowBatchHistory = 64

// newRowCheck compiles cond for subscribers of c and registers it.
func (es *EventSub) newRowCheck(cond func(a *args) (string, error)) *rowCheck {
	var a args
	idCond := col("id") + " = " + a.add("") + "::uuid AND (" + fullJSON(es.c, alias) + ")::jsonb = " + a.add("") + "::jsonb"
	c, err := cond(&a)
	if err != nil {
		return &rowCheck{bad: true}
	}
	rc := &rowCheck{stmt: "SELECT EXISTS (SELECT 1 FROM " + es.c.Table() + " " + alias + " WHERE " + idCond + " AND " + c + ")", args: a.list[2:]}
	if k, ok := LiveArgsKey(rc.args); ok {
		rc.key = "k" + k
	}
	rowChecks.mu.Lock()
	defer rowChecks.mu.Unlock()
	sk := rowShapeKey{es.svc, rc.stmt}
	sh := rowChecks.shapes[sk]
	if sh == nil {
		sh = &rowShape{members: map[*rowCheck]int{}, batches: map[int64]*rowBatch{}}
		rowChecks.shapes[sk] = sh
	}
	sh.members[rc]++
	return rc
}

// release unregisters rc.
func (s *Service) releaseRowCheck(rc *rowCheck) {
	if rc == nil || rc.bad {
		return
	}
	rowChecks.mu.Lock()
	defer rowChecks.mu.Unlock()
	sk := rowShapeKey{s, rc.stmt}
	sh := rowChecks.shapes[sk]
	if sh == nil {
		return
	}
	delete(sh.members, rc)
	if len(sh.members) == 0 {
		delete(rowChecks.shapes, sk)
	}
}

// check answers whether the row of record id, while its current JSON is
// state (the event seq logged), passes rc.
func (s *Service) check(ctx context.Context, rc *rowCheck, seq int64, id string, state json.RawMessage) (bool, error) {
	if rc.bad {
		return false, nil // fails closed, like rules
	}
	run := func(ctx context.Context, sets [][]any) []LiveResult {
		for i, set := range sets {
			sets[i] = append([]any{id, string(state)}, set...)
		}
		return s.RunLive(ctx, rc.stmt, sets)
	}
	if rc.key == "" {
		r := run(ctx, [][]any{rc.args})[0]
		return string(r.JSON) == "true", r.Err
	}
	rowChecks.mu.Lock()
	sh := rowChecks.shapes[rowShapeKey{s, rc.stmt}]
	if sh == nil {
		rowChecks.mu.Unlock()
		r := run(ctx, [][]any{rc.args})[0]
		return string(r.JSON) == "true", r.Err
	}
	b := sh.batches[seq]
	if b == nil {
		b = &rowBatch{}
		sh.batches[seq] = b
		sh.order = append(sh.order, seq)
		if len(sh.order) > rowBatchHistory {
			delete(sh.batches, sh.order[0])
			sh.order = sh.order[1:]
		}
	}
	rowChecks.mu.Unlock()
	b.once.Do(func() {
		rowChecks.mu.Lock()
		var keys []string
		var sets [][]any
		seen := map[string]bool{}
		for m := range sh.members {
			if m.key != "" && !seen[m.key] {
				seen[m.key] = true
				keys = append(keys, m.key)
				sets = append(sets, m.args)
			}
		}
		rowChecks.mu.Unlock()
		// Not ended by the first caller's cancellation: the others wait for it.
		res := run(context.WithoutCancel(ctx), sets)
		b.ok = map[string]bool{}
		for i, r := range res {
			if r.Err != nil {
				b.err = r.Err
				return
			}
			b.ok[keys[i]] = string(r.JSON) == "true"
		}
	})
	if b.err != nil {
		return false, b.err
	}
	if ok, found := b.ok[rc.key]; found {
		return ok, nil
	}
	r := run(ctx, [][]any{rc.args})[0]
	return string(r.JSON) == "true", r.Err
}
