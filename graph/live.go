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
	"fastcms/internal/records"
)

// Live queries: Subscription.X, X_by_pk and X_aggregate are the Query
// fields of the same name, kept up to date. On subscribe the query's
// statement is built by the Query read path (records.LiveStatement, with
// the subscriber's auth context, so the same rules apply), run and its
// result sent. The subscriber then joins the group of its statement's
// shape (livegroup.go): one refresh loop per shape follows the events of
// every collection the statement reads — through the selection, where:
// or a rule — and after the first event of a burst waits liveDebounce and
// refreshes every member with one statement. A member sends a result only
// when its bytes differ from the last it sent.
//
// A deleted or changed collection (the root or one the statement reads)
// ends the subscription as it does X_mutated.

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
	stmt, stmtArgs, err := g.records.LiveStatement(ctx, g.snap, op)
	if err != nil {
		return nil, err
	}
	watched := map[string]*collections.Collection{coll.ID: coll}
	for _, c := range reads(g.snap, stmt) {
		watched[c.ID] = c
	}

	ctx, cancel := context.WithCancel(ctx)
	ended := make(chan *gqlerror.Error, 1)
	var lives []*liveSub
	var group *liveGroup
	var member *liveMember
	cleanup := func() {
		cancel()
		if member != nil {
			g.srv.live.leave(group, member)
		}
		for _, ls := range lives {
			g.srv.subs.remove(ls)
		}
	}
	for _, c := range watched {
		ls := &liveSub{coll: c, ended: ended}
		lives = append(lives, ls)
		g.srv.subs.add(ls)
	}
	// A change committed between the snapshot and add is caught here.
	g.srv.subs.changed(g.srv.o.Collections.Registry().Current())

	var first []byte
	if stmt != "" {
		// Join first, so that no change committed after the first run is
		// missed: the group follows the events from here on.
		if group, member, err = g.srv.live.join(ctx, g.srv, g.snap, stmt, stmtArgs); err != nil {
			cleanup()
			return nil, err
		}
		r := g.records.RunLive(ctx, stmt, [][]any{stmtArgs})[0]
		if r.Err != nil {
			cleanup()
			return nil, r.Err
		}
		first = r.JSON
	}
	out := make(chan model.DynamicResult)
	path := fc.Path()
	fail := func(e *gqlerror.Error) {
		e.Path = path
		addSubscriptionError(ctx, e)
	}
	log := g.srv.o.Log
	var notify chan struct{} // nil (never ready) without a statement
	if member != nil {
		notify = member.notify
	}
	go func() {
		defer close(out)
		defer cleanup()
		last := first
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
			case <-notify:
			}
			u := member.take()
			switch {
			case u == nil:
				continue
			case u.err != nil:
				if ctx.Err() == nil {
					log.ErrorContext(ctx, "re-running a live query", "field", def.Name, "err", u.err)
					fail(subError("internal error", "INTERNAL_SERVER_ERROR"))
				}
				return
			case bytes.Equal(u.b, last) && (u.b == nil) == (last == nil):
				continue
			}
			last = u.b
			if !send(last) {
				return
			}
		}
	}()
	return out, nil
}
