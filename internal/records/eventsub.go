package records

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/query"
)

// Subscriptions to record events (GraphQL's <collection>_mutated). Each event of the
// log carries the whole record (hidden fields too) before and after the
// change; every subscriber checks it against its own view rule and filter
// in memory (query.Eval over the record map) and renders its own
// selection from the event's JSON, so fanning an event out costs no
// database round trip per subscriber.
//
// Decisions, per event:
//   - Visibility is the collection's view rule (as PocketBase's realtime
//     does): whether the subscriber could read that one record. A nil rule
//     (admins only) refuses the subscription of anyone else.
//   - INSERT: delivered when the new record is visible and matches the filter.
//     DELETE: when the old record is. UPDATE: when either state is visible
//     and matches, so a subscriber also learns that a record left its
//     filter; data (the new state) and old are each rendered only if that
//     state passes the view rule, and are null otherwise.
//   - A view rule with a path through a relation (author.team = …) needs
//     related records, which events do not carry: such a subscription checks
//     each INSERT and UPDATE against the record as it is in the database
//     when the event is fanned out, and receives no DELETE (nothing is left
//     to check; the rule fails closed). One statement per event answers
//     every subscriber of the same rule (rowcheck.go). Admins skip
//     rules.
//   - The filter is the same AST a query's filter compiles to, here
//     evaluated in memory with query.Eval, so every operator means what it
//     means in a query. A filter with a relation condition needs related
//     records, which events do not carry: like a relation-path view rule,
//     it is checked with one query against the current row, and an old
//     state or a DELETE does not match it.
//   - The selection renders from the event: a relation field may select
//     only id (and __typename); back relations (<other>_via_<field>) are
//     refused. Hidden fields are null for non-admins, as in queries.
//   - The rules and fields are those of the snapshot the subscription
//     started with; the caller ends it when the collection changes.

// EventSub is one subscriber's filter and renderer of one collection's events.
type EventSub struct {
	svc     *Service
	snap    *collections.Snapshot
	c       *collections.Collection
	p       *auth.Principal
	fields  query.Fields // what the subscriber's filter reads
	opts    query.Options
	rule    query.Expr // nil: every record is visible
	ruleDB  bool       // the rule needs related records: check it in the database
	ruleSrc string
	where   query.Expr      // nil: every record matches
	whereDB bool            // filter needs related records: check it in the database
	ops     map[string]bool // nil: every op
	sel     []Member        // the selection of the <collection>_event object
	// renderKey is the subscriber's class of renderings (selectionKey).
	renderKey string

	ruleCheck, whereCheck *rowCheck // the database checks of ruleDB and whereDB
}

// NewEventSub checks and compiles a subscription of p to collection: its
// filter, the ops it wants (nil for all) and the selection of the
// event object (Kind Column for seq, event and id; Node, with the
// record selection in Sub, for data and old).
func (s *Service) NewEventSub(snap *collections.Snapshot, collection string, p *auth.Principal, where query.Expr, ops []string, sel []Member) (*EventSub, error) {
	c := snap.Get(collection)
	if c == nil {
		return nil, apierr.NotFound("collection %q not found", collection)
	}
	sc := newScope(snap, c, p, nil)
	es := &EventSub{svc: s, snap: snap, c: c, p: p, fields: sc.fields(), opts: sc.opts, sel: sel, renderKey: selectionKey(snap, p.IsAdmin(), sel)}
	es.opts.Alias = ""
	if !p.IsAdmin() {
		switch {
		case c.ViewRule == nil && p == nil:
			return nil, apierr.Unauthorized("authentication required")
		case c.ViewRule == nil:
			return nil, apierr.Forbidden("only admins may view records of %s", c.Name)
		case strings.TrimSpace(*c.ViewRule) != "":
			expr, err := query.Parse(*c.ViewRule)
			if err == nil {
				_, err = query.Eval(expr, sc.ruleFields(), map[string]any{}, es.opts)
			}
			if err != nil {
				return nil, apierr.Forbidden("the rules of %s do not allow this request", c.Name)
			}
			es.rule, es.ruleSrc, es.ruleDB = expr, *c.ViewRule, needsRelated(expr)
		}
	}
	if ops != nil {
		es.ops = map[string]bool{}
		for _, op := range ops {
			es.ops[op] = true
		}
	}
	expr := where
	if _, err := query.Eval(expr, es.fields, map[string]any{}, es.opts); err != nil {
		return nil, whereError(err)
	}
	es.where, es.whereDB = expr, needsRelated(expr)
	if err := es.checkSelection(sel, false); err != nil {
		return nil, err
	}
	if es.ruleDB {
		es.ruleCheck = es.newRowCheck(func(a *args) (string, error) {
			return sc.rule(a, actView, &es.ruleSrc)
		})
	}
	if es.whereDB {
		es.whereCheck = es.newRowCheck(func(a *args) (string, error) {
			opts := sc.opts
			opts.ArgOffset = len(a.list)
			cond, bound, err := query.Compile(es.where, sc.fields(), opts)
			a.list = append(a.list, bound...)
			return cond, err
		})
	}
	return es, nil
}

// Close releases the subscription's shared checks.
func (es *EventSub) Close() {
	es.svc.releaseRowCheck(es.ruleCheck)
	es.svc.releaseRowCheck(es.whereCheck)
}

// Collection is the collection subscribed to.
func (es *EventSub) Collection() *collections.Collection { return es.c }

// needsRelated reports whether e reads related records: a path through a
// relation or a relation condition.
func needsRelated(e query.Expr) bool {
	switch x := e.(type) {
	case *query.Logical:
		return needsRelated(x.Left) || needsRelated(x.Right)
	case *query.Not:
		return needsRelated(x.X)
	case *query.Exists:
		return true
	case *query.Comparison:
		for _, o := range []query.Operand{x.Left, x.Right} {
			if id, ok := o.(*query.Ident); ok && len(id.Path) > 1 {
				return true
			}
		}
	}
	return false
}

// checkSelection refuses what cannot be rendered from an event.
func (es *EventSub) checkSelection(sel []Member, inRecord bool) error {
	for _, n := range sel {
		switch n.Kind {
		case Node:
			if err := es.checkSelection(n.Sub, true); err != nil {
				return err
			}
		case BackRelation:
			return apierr.BadRequest("%s: subscriptions render the changed record only; query %s separately", n.Key, n.Key)
		case Relation:
			for _, s := range n.Sub {
				if s.Kind != Typename && s.Name != "id" {
					return apierr.BadRequest("%s: subscriptions render the changed record only: select just the id of %s", n.Key, n.Key)
				}
			}
		}
	}
	return nil
}

// Match decides whether ev goes to the subscriber and, if so, renders it.
// It returns nil for an event the subscriber does not get.
func (es *EventSub) Match(ctx context.Context, ev events.Event) ([]byte, error) {
	if es.ops != nil && !es.ops[ev.Op] {
		return nil, nil
	}
	pe := parsedEvents.get(ev, es.c)
	if pe.err != nil {
		return nil, pe.err
	}
	newRec, oldRec := pe.data, pe.old
	newSeen, err := es.visible(ctx, ev.Seq, newRec, ev.Data)
	if err != nil {
		return nil, err
	}
	oldSeen, err := es.visible(ctx, ev.Seq, oldRec, nil)
	if err != nil {
		return nil, err
	}
	newHit, err := es.matches(ctx, ev.Seq, newSeen, newRec, ev.Data)
	if err != nil {
		return nil, err
	}
	oldHit, err := es.matches(ctx, ev.Seq, oldSeen, oldRec, nil)
	if err != nil {
		return nil, err
	}
	if !newHit && !oldHit {
		return nil, nil
	}
	if !newSeen {
		newRec = nil
	}
	if !oldSeen {
		oldRec = nil
	}
	key := es.renderKey + strconv.FormatBool(newRec != nil) + strconv.FormatBool(oldRec != nil)
	return pe.rendered(key, func(b *bytes.Buffer) { es.renderEvent(b, ev, newRec, oldRec) }), nil
}

// selectionKey identifies what renderEvent writes for a subscriber, apart
// from which states it may see: the snapshot (fields, relation targets),
// whether hidden fields show, and the selection.
func selectionKey(snap *collections.Snapshot, admin bool, sel []Member) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d %t ", snap.Version, admin)
	var walk func([]Member)
	walk = func(ms []Member) {
		for _, m := range ms {
			fmt.Fprintf(&b, "%q%d%q{", m.Key, m.Kind, m.Name)
			walk(m.Sub)
			b.WriteByte('}')
		}
	}
	walk(sel)
	return b.String()
}

// matches applies the filter to one state of the record that the subscriber
// may see; state is that state's logged JSON for the state after the
// change, nil for the state before it. A filter through relations is
// checked in the database, so only while the state is the row's current
// one, as a relation-path view rule is (see visible).
func (es *EventSub) matches(ctx context.Context, seq int64, seen bool, r *eventRecord, state json.RawMessage) (bool, error) {
	switch {
	case !seen:
		return false, nil
	case es.where == nil:
		return true, nil
	case es.whereDB && state == nil:
		return false, nil
	case es.whereDB:
		return es.svc.check(ctx, es.whereCheck, seq, r.ID, state)
	}
	return query.Eval(es.where, es.fields, r.values(es.c), es.opts)
}

// visible applies the view rule to one state of the record (nil: none).
// state is that state's JSON as the event logged it, for the state after
// the change; nil for the state before it.
//
// A rule through a relation (ruleDB) can only be checked in the database,
// against the row as it is now: the state is visible only while it is
// still the row's current state (the row's JSON equals the logged one) and
// the rule passes. A state that the row has since left, replayed with
// after_seq or overtaken by a later write, is not shown: it may have been
// hidden when it happened (the review's finding 12).
func (es *EventSub) visible(ctx context.Context, seq int64, r *eventRecord, state json.RawMessage) (bool, error) {
	switch {
	case r == nil:
		return false, nil
	case es.rule == nil:
		return true, nil
	case es.ruleDB && state == nil:
		return false, nil // only the current row can be checked in the database
	case es.ruleDB:
		return es.svc.check(ctx, es.ruleCheck, seq, r.ID, state)
	}
	return query.Eval(es.rule, es.snap.RuleFields(es.c), r.values(es.c), es.opts)
}

// parsedEvent is an event's records, parsed once for all subscribers, and
// its renderings, each made once for all the subscribers of one class
// (selectionKey and the states they may see): 1,000 subscribers with the
// same subscription render an event once.
type parsedEvent struct {
	once      sync.Once
	data, old *eventRecord
	err       error

	mu      sync.Mutex
	renders map[string]*rendering
}

// rendering is one class's rendering of an event; its bytes are shared,
// so read only.
type rendering struct {
	once sync.Once
	b    []byte
}

// rendered returns the rendering of key, made by render on first use.
func (pe *parsedEvent) rendered(key string, render func(*bytes.Buffer)) []byte {
	pe.mu.Lock()
	r := pe.renders[key]
	if r == nil {
		if pe.renders == nil {
			pe.renders = map[string]*rendering{}
		}
		r = &rendering{}
		pe.renders[key] = r
	}
	pe.mu.Unlock()
	r.once.Do(func() {
		var b bytes.Buffer
		render(&b)
		r.b = b.Bytes()
	})
	return r.b
}

// eventCache keeps the last events parsed: every subscriber of a
// collection looks at the same events at about the same time.
type eventCache struct {
	mu      sync.Mutex
	entries map[int64]*parsedEvent
	order   []int64
}

const eventCacheSize = 1024

var parsedEvents = &eventCache{entries: map[int64]*parsedEvent{}}

// get parses ev (with c's field kinds) or returns it parsed. The records
// are read-only once parsed.
func (ec *eventCache) get(ev events.Event, c *collections.Collection) *parsedEvent {
	ec.mu.Lock()
	pe := ec.entries[ev.Seq]
	if pe == nil {
		pe = &parsedEvent{}
		ec.entries[ev.Seq] = pe
		ec.order = append(ec.order, ev.Seq)
		if len(ec.order) > eventCacheSize {
			delete(ec.entries, ec.order[0])
			ec.order = ec.order[1:]
		}
	}
	ec.mu.Unlock()
	pe.once.Do(func() {
		if ev.Op != events.Delete {
			if pe.data, pe.err = parseEventRecord(ev.Data); pe.err != nil {
				return
			}
			pe.data.prepare(c)
		}
		if ev.Op != events.Insert {
			if pe.old, pe.err = parseEventRecord(ev.Old); pe.err != nil {
				return
			}
			pe.old.prepare(c)
		}
	})
	return pe
}

// eventRecord is the record JSON an event carries (RecordResponse).
type eventRecord struct {
	ID      string                     `json:"id"`
	Data    map[string]json.RawMessage `json:"data"`
	Created json.RawMessage            `json:"created"`
	Updated json.RawMessage            `json:"updated"`
	vals    map[string]any
}

func parseEventRecord(b json.RawMessage) (*eventRecord, error) {
	if len(b) == 0 || string(b) == "null" {
		return nil, nil
	}
	var r eventRecord
	if err := json.Unmarshal(b, &r); err != nil {
		return nil, fmt.Errorf("records: reading an event: %w", err)
	}
	return &r, nil
}

// values is the record as query.Eval expects it: datetimes as time.Time,
// relations as ids, lists as []any. Eval only reads it.
func (r *eventRecord) values(*collections.Collection) map[string]any { return r.vals }

// prepare computes values, once, before the record is shared.
func (r *eventRecord) prepare(c *collections.Collection) {
	if r == nil {
		return
	}
	m := map[string]any{"id": r.ID, "created": jsonTime(r.Created), "updated": jsonTime(r.Updated)}
	for _, f := range c.Fields {
		raw, ok := r.Data[f.Name]
		if !ok {
			continue
		}
		var v any
		if json.Unmarshal(raw, &v) != nil {
			continue
		}
		if s, ok := v.(string); ok && collections.TypeOf(f).Kind(f) == query.KindDateTime {
			if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
				v = t
			}
		}
		m[f.Name] = v
	}
	r.vals = m
}

func jsonTime(raw json.RawMessage) any {
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return nil
	}
	return t
}

// renderEvent writes the selected members of the event object.
func (es *EventSub) renderEvent(b *bytes.Buffer, ev events.Event, newRec, oldRec *eventRecord) {
	writeObject(b, es.sel, func(n Member) {
		switch {
		case n.Kind == Typename:
			writeJSONString(b, n.Name)
		case n.Name == "seq":
			writeJSONString(b, strconv.FormatInt(ev.Seq, 10))
		case n.Name == "event":
			writeJSONString(b, ev.Op)
		case n.Name == "id":
			writeJSONString(b, ev.RecordID)
		case n.Name == "data":
			es.renderRecord(b, newRec, n.Sub)
		case n.Name == "old":
			es.renderRecord(b, oldRec, n.Sub)
		default:
			b.WriteString("null")
		}
	})
}

// writeObject writes {"key":value,…} for the members of sel, value
// writing each member's value.
func writeObject(b *bytes.Buffer, sel []Member, value func(Member)) {
	b.WriteByte('{')
	for i, n := range sel {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, n.Key)
		b.WriteByte(':')
		value(n)
	}
	b.WriteByte('}')
}

// renderRecord writes the selection of a record, or null.
func (es *EventSub) renderRecord(b *bytes.Buffer, r *eventRecord, sel []Member) {
	if r == nil {
		b.WriteString("null")
		return
	}
	writeObject(b, sel, func(n Member) { es.renderMember(b, r, n) })
}

// renderMember writes one selected member of a record: a relation selects
// only id (and __typename), which the record's own column holds.
func (es *EventSub) renderMember(b *bytes.Buffer, r *eventRecord, n Member) {
	if n.Kind == Typename {
		writeJSONString(b, n.Name)
		return
	}
	switch n.Name {
	case "id":
		writeJSONString(b, r.ID)
		return
	case "created":
		writeRaw(b, r.Created)
		return
	case "updated":
		writeRaw(b, r.Updated)
		return
	}
	f := es.c.Field(n.Name)
	hidden := f == nil || (f.Hidden && !es.p.IsAdmin())
	if n.Kind != Relation {
		if hidden {
			b.WriteString("null")
		} else {
			writeRaw(b, r.Data[n.Name])
		}
		return
	}
	if hidden || f.Relation == nil || es.snap.Get(f.Relation.CollectionID) == nil {
		if f != nil && f.Multi() && hidden {
			b.WriteString("[]")
		} else {
			b.WriteString("null")
		}
		return
	}
	target := es.snap.Get(f.Relation.CollectionID).Name
	var v any
	_ = json.Unmarshal(r.Data[n.Name], &v)
	ref := func(id string) {
		writeObject(b, n.Sub, func(s Member) {
			if s.Kind == Typename {
				writeJSONString(b, target)
			} else {
				writeJSONString(b, id)
			}
		})
	}
	switch x := v.(type) {
	case string:
		ref(x)
	case []any:
		b.WriteByte('[')
		for j, item := range x {
			if j > 0 {
				b.WriteByte(',')
			}
			s, _ := item.(string)
			ref(s)
		}
		b.WriteByte(']')
	default:
		if f.Multi() {
			b.WriteString("[]")
		} else {
			b.WriteString("null")
		}
	}
}

func writeRaw(b *bytes.Buffer, raw json.RawMessage) {
	if len(raw) == 0 {
		b.WriteString("null")
		return
	}
	b.Write(raw)
}

func writeJSONString(b *bytes.Buffer, s string) {
	j, _ := json.Marshal(s)
	b.Write(j)
}
