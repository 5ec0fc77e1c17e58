package graph

import (
	"context"
	"errors"
	"strconv"
	"sync"

	"github.com/99designs/gqlgen/graphql"
	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/vektah/gqlparser/v2/gqlerror"

	"fastcms/graph/model"
	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/events"
)

// Subscriptions: <collection>_mutated is routed to the Subscription
// carrier like any collection field. Its resolver subscribes to the events
// broker, and a goroutine per subscription checks each event against the
// subscriber's rules and where: (records.EventSub, in memory) and renders
// the selected fields from the event into the carrier's bytes. Rendering
// happens in that goroutine, where the selection is known, so the carrier
// scalar stays a pass-through.
//
// An error ends only its own subscription (an "error" message for its id):
// a client too slow for its buffer (events.ErrOverflow), a collection that
// was deleted or changed (rules and fields are fixed at subscribe time;
// resubscribe with after_seq to resume without a gap), an after_seq older
// than the retained log (at subscribe time).

// subBuffer is how many events a subscription may fall behind the log
// before it is ended (see events.ErrOverflow).
const subBuffer = 128

// liveSub is an open subscription, watched for changes of its collection.
type liveSub struct {
	coll  *collections.Collection
	ended chan *gqlerror.Error // buffered: at most one reason
}

// subscriptions tracks the open subscriptions of a server.
type subscriptions struct {
	mu   sync.Mutex
	subs map[*liveSub]struct{}
}

func (s *subscriptions) add(ls *liveSub) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.subs == nil {
		s.subs = map[*liveSub]struct{}{}
	}
	s.subs[ls] = struct{}{}
}

func (s *subscriptions) remove(ls *liveSub) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.subs, ls)
}

// changed ends the subscriptions whose collection snap deleted or changed.
func (s *subscriptions) changed(snap *collections.Snapshot) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for ls := range s.subs {
		now := snap.Get(ls.coll.ID)
		var e *gqlerror.Error
		switch {
		case now == nil:
			e = subError("collection "+strconv.Quote(ls.coll.Name)+" was deleted", "NOT_FOUND")
		case now.Name != ls.coll.Name || !now.Updated.Equal(ls.coll.Updated):
			e = subError("collection "+strconv.Quote(ls.coll.Name)+" changed: subscribe again (after_seq resumes without a gap)", "CONFLICT")
		default:
			continue
		}
		select {
		case ls.ended <- e:
		default:
		}
	}
}

func subError(msg, code string) *gqlerror.Error {
	return &gqlerror.Error{Message: msg, Extensions: map[string]any{"code": code}}
}

// SubscribeDynamic resolves the Subscription carrier: the collection
// subscription it stands for (its Definition), as a stream of JSON values.
func SubscribeDynamic(ctx context.Context) (<-chan model.DynamicResult, error) {
	g, _ := ctx.Value(generationKey{}).(*generation)
	fc := graphql.GetFieldContext(ctx)
	oc := graphql.GetOperationContext(ctx)
	if g == nil || g.srv == nil || g.srv.o.Events == nil || fc == nil || fc.Field.Definition == nil {
		return nil, errors.New("graph: a subscription carrier outside a generation")
	}
	if err := subscribe(ctx); err != nil {
		return nil, err
	}
	def := fc.Field.Definition
	if root, ok := g.info.live[def.Name]; ok {
		return g.subscribeLive(ctx, root)
	}
	c, ok := g.info.subscription[def.Name]
	if !ok {
		return nil, errors.New("graph: unknown subscription field " + def.Name)
	}
	args := fc.Field.ArgumentMap(oc.Variables)
	rows, err := g.rows(ctx, c, map[string]any{"where": args["where"]})
	if err != nil {
		return nil, err
	}
	var ops []string
	switch v := args["events"].(type) {
	case []any:
		ops = []string{}
		for _, o := range v {
			if s, ok := o.(string); ok {
				ops = append(ops, s)
			}
		}
	case string:
		ops = []string{v}
	}
	after := int64(-1)
	if s, ok := args["after_seq"].(string); ok {
		n, err := strconv.ParseInt(s, 10, 64)
		if err != nil || n < 0 {
			return nil, apierr.BadRequest("after_seq must be the seq of an event (a non-negative integer)")
		}
		after = n
	}
	sel, err := g.selection(ctx, oc, fc.Field.Selections, def.Type.Name())
	if err != nil {
		return nil, err
	}
	es, err := g.records.NewEventSub(g.snap, c.Name, auth.FromContext(ctx), rows.Where, ops, sel)
	if err != nil {
		return nil, err
	}
	sub, err := g.srv.o.Events.Subscribe(ctx, c.ID, after, subBuffer)
	if err != nil {
		es.Close()
	}
	if errors.Is(err, events.ErrTooOld) {
		return nil, apierr.BadRequest("after_seq is older than the retained event log: query the current state and subscribe again")
	}
	if errors.Is(err, events.ErrReplayTooLong) {
		return nil, apierr.BadRequest("after_seq is more than %d events of %s back: query the current state and subscribe again", events.MaxReplay, c.Name)
	}
	if err != nil {
		return nil, err
	}
	ls := &liveSub{coll: es.Collection(), ended: make(chan *gqlerror.Error, 1)}
	g.srv.subs.add(ls)
	// A change committed between the snapshot and add is caught here.
	g.srv.subs.changed(g.srv.o.Collections.Registry().Current())
	out := make(chan model.DynamicResult)
	path := fc.Path()
	fail := func(e *gqlerror.Error) {
		e.Path = path
		addSubscriptionError(ctx, e)
	}
	log := g.srv.o.Log
	go func() {
		defer close(out)
		defer es.Close()
		defer sub.Close()
		defer g.srv.subs.remove(ls)
		for {
			select {
			case <-ctx.Done():
				return
			case e := <-ls.ended:
				fail(e)
				return
			case ev, ok := <-sub.C:
				if !ok {
					switch err := sub.Err(); {
					case errors.Is(err, events.ErrOverflow):
						fail(subError("the client fell too far behind its events: subscribe again with after_seq", "SLOW_CONSUMER"))
					case err != nil && !errors.Is(err, context.Canceled):
						log.ErrorContext(ctx, "following events", "err", err)
						fail(subError("internal error", "INTERNAL_SERVER_ERROR"))
					}
					return
				}
				b, err := es.Match(ctx, ev)
				if err != nil {
					if ctx.Err() == nil {
						log.ErrorContext(ctx, "filtering an event", "seq", ev.Seq, "err", err)
						fail(subError("internal error", "INTERNAL_SERVER_ERROR"))
					}
					return
				}
				if b == nil {
					continue
				}
				if !stillEntitled(ctx) {
					return
				}
				select {
				case out <- b:
				case <-ctx.Done():
					return
				case e := <-ls.ended:
					fail(e)
					return
				}
			}
		}
	}()
	return out, nil
}

// addSubscriptionError reports e as the end of the subscription; only the
// websocket transport carries subscriptions, others have nowhere to put it.
func addSubscriptionError(ctx context.Context, e *gqlerror.Error) {
	defer func() { _ = recover() }() // gqlgen panics outside its websocket transport
	transport.AddSubscriptionError(ctx, e)
}
