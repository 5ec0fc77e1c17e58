package graph

import (
	"bytes"
	"context"
	"errors"
	"time"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"fastcms/graph/model"
	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/records"
)

// Live queries: Subscription.X, X_by_pk and X_aggregate are the Query
// fields of the same name, kept up to date. On subscribe the query runs
// through the Query read path (records.Service.GraphQL, with the
// subscriber's auth context, so the same rules apply) and its result is
// sent; then the subscription follows the events of its collection and of
// the collections its selection reaches through relations (forward,
// back-relations and aggregate nodes). After the first event of a burst it
// waits liveDebounce, runs the query again (one run at a time per
// subscription) and sends the result only when its bytes differ from the
// last sent.
//
// Limits: collections that only where: (a relation filter) or a rule
// refers to do not trigger a re-run; identical live queries of different
// subscribers are not shared, each runs its own. A deleted or changed
// collection (the root or a reached one) ends the subscription as it does
// X_mutated.

// liveDebounce is how long a live query waits after the first event of a
// burst before it runs again.
const liveDebounce = 50 * time.Millisecond

// subscribeLive starts the live query root of the current field.
func (g *generation) subscribeLive(ctx context.Context, root rootOp) (<-chan model.DynamicResult, error) {
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	def := fc.Field.Definition
	args := fc.Field.ArgumentMap(oc.Variables)
	rows, err := g.rows(ctx, root.coll, args)
	if err != nil {
		return nil, err
	}
	op := records.Op{Kind: root.kind, Collection: root.coll.Name, Rows: rows}
	if root.kind == records.ReadByID {
		op.ID, _ = args["id"].(string)
	}
	if op.Members, err = g.selection(ctx, oc, fc.Field.Selections, def.Type.Name()); err != nil {
		return nil, err
	}
	coll := g.snap.Get(root.coll.ID)
	if coll == nil {
		return nil, errors.New("graph: live query of a collection gone from its snapshot")
	}
	watched := map[string]*collections.Collection{coll.ID: coll}
	liveReach(g.snap, coll, op.Members, watched)

	// Follow the events first, so that no change committed after the
	// first run is missed.
	ctx, cancel := context.WithCancel(ctx)
	dirty := make(chan struct{}, 1)
	failed := make(chan error, len(watched))
	ended := make(chan *gqlerror.Error, 1)
	var subs []*events.Subscription
	var lives []*liveSub
	cleanup := func() {
		cancel()
		for _, s := range subs {
			s.Close()
		}
		for _, ls := range lives {
			g.srv.subs.remove(ls)
		}
	}
	for _, c := range watched {
		sub, err := g.srv.o.Events.Subscribe(ctx, c.ID, -1, subBuffer)
		if err != nil {
			cleanup()
			return nil, err
		}
		subs = append(subs, sub)
		ls := &liveSub{coll: c, ended: ended}
		lives = append(lives, ls)
		g.srv.subs.add(ls)
		go func() {
			// Never blocks on the reader: events only mark the query dirty.
			for range sub.C {
				select {
				case dirty <- struct{}{}:
				default:
				}
			}
			failed <- sub.Err()
		}()
	}
	// A change committed between the snapshot and add is caught here.
	g.srv.subs.changed(g.srv.o.Collections.Registry().Current())

	first, err := g.records.Do(ctx, g.snap, op)
	if err != nil {
		cleanup()
		return nil, err
	}
	out := make(chan model.DynamicResult)
	path := fc.Path()
	fail := func(e *gqlerror.Error) {
		e.Path = path
		addSubscriptionError(ctx, e)
	}
	log := g.srv.o.Log
	go func() {
		defer close(out)
		defer cleanup()
		last := []byte(first)
		// send delivers v; false when the subscription is over.
		send := func(v []byte) bool {
			if !stillEntitled(ctx) {
				return false
			}
			select {
			case out <- model.DynamicResult(v):
				return true
			case <-ctx.Done():
			case e := <-ended:
				fail(e)
			}
			return false
		}
		if !send(last) {
			return
		}
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-ended:
				fail(e)
				return
			case err := <-failed:
				if err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
					log.ErrorContext(ctx, "following events", "err", err)
					fail(subError("internal error", "INTERNAL_SERVER_ERROR"))
				}
				return
			case <-dirty:
			}
			t := time.NewTimer(liveDebounce)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case e := <-ended:
				t.Stop()
				fail(e)
				return
			case <-t.C:
			}
			// The events up to here are committed: this run sees them.
			select {
			case <-dirty:
			default:
			}
			b, err := g.records.Do(ctx, g.snap, op)
			if err != nil {
				if ctx.Err() == nil {
					log.ErrorContext(ctx, "re-running a live query", "field", def.Name, "err", err)
					fail(subError("internal error", "INTERNAL_SERVER_ERROR"))
				}
				return
			}
			if bytes.Equal(b, last) && (b == nil) == (last == nil) {
				continue
			}
			last = b
			if !send(last) {
				return
			}
		}
	}()
	return out, nil
}

// liveReach adds to into the collections that sel, a selection of a
// record of c (or of its aggregate), reaches through relations.
func liveReach(snap *collections.Snapshot, c *collections.Collection, sel []records.Member, into map[string]*collections.Collection) {
	for _, s := range sel {
		var t *collections.Collection
		switch s.Kind {
		case records.Relation:
			if f := c.Field(s.Name); f != nil && f.Relation != nil {
				t = snap.Get(f.Relation.CollectionID)
			}
		case records.BackRelation:
			t = snap.Get(s.Name)
		case records.Nodes:
			t = c
		}
		if t == nil {
			continue
		}
		into[t.ID] = t
		liveReach(snap, t, s.Sub, into)
	}
}
