package records

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"sort"
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

// Subscriptions to record events (<collection>_mutated). Each event of the
// log carries the whole record (hidden fields too) before and after the
// change; every subscriber checks it against its own view rule and where:
// filter in memory (query.Eval over the record map) and renders its own
// selection from the event's JSON, so fanning an event out costs no
// database round trip per subscriber.
//
// Decisions, per event:
//   - Visibility is the collection's view rule (as PocketBase's realtime
//     does): whether the subscriber could read that one record. A nil rule
//     (admins only) refuses the subscription of anyone else.
//   - INSERT: delivered when the new record is visible and matches where:.
//     DELETE: when the old record is. UPDATE: when either state is visible
//     and matches, so a subscriber also learns that a record left its
//     filter; data (the new state) and old are each rendered only if that
//     state passes the view rule, and are null otherwise.
//   - A view rule with a path through a relation (author.team = …) needs
//     related records, which events do not carry: such a subscription checks
//     each INSERT and UPDATE with one query against the record as it is in
//     the database when the event is fanned out, and receives no DELETE
//     (nothing is left to check; the rule fails closed). Admins skip rules.
//   - where: accepts what a query's where: does except relation conditions
//     (refused with BAD_USER_INPUT). _regex/_iregex use Go's RE2 syntax,
//     which agrees with PostgreSQL's for ordinary patterns (no
//     backreferences or lookaround).
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
	fields  query.Fields
	opts    query.Options
	rule    query.Expr // nil: every record is visible
	ruleDB  bool       // the rule needs related records: check it in the database
	ruleSrc string
	where   pred
	ops     map[string]bool // nil: every op
	sel     []GQLSel        // the selection of the <collection>_event object
}

// pred is a compiled where: condition on a record map.
type pred func(rec map[string]any) (bool, error)

// NewEventSub checks and compiles a subscription of p to collection: its
// where: argument, the ops it wants (nil for all) and the selection of the
// event object (Kind GQLColumn for seq, event and id; GQLNode, with the
// record selection in Sub, for data and old).
func (s *Service) NewEventSub(snap *collections.Snapshot, collection string, p *auth.Principal, where map[string]any, ops []string, sel []GQLSel) (*EventSub, error) {
	c := snap.Get(collection)
	if c == nil {
		return nil, apierr.NotFound("collection %q not found", collection)
	}
	sc := newScope(snap, c, p, nil)
	es := &EventSub{svc: s, snap: snap, c: c, p: p, fields: sc.fields(), opts: sc.opts, sel: sel}
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
				_, err = query.Eval(expr, es.fields, map[string]any{}, es.opts)
			}
			if err != nil {
				return nil, apierr.Forbidden("the rules of %s do not allow this request", c.Name)
			}
			es.rule, es.ruleSrc, es.ruleDB = expr, *c.ViewRule, hasRelationPath(expr)
		}
	}
	if ops != nil {
		es.ops = map[string]bool{}
		for _, op := range ops {
			es.ops[op] = true
		}
	}
	var err error
	if es.where, err = es.compileWhere(sc, where); err != nil {
		return nil, err
	}
	if err := es.checkSelection(sel, false); err != nil {
		return nil, err
	}
	return es, nil
}

// Collection is the collection subscribed to.
func (es *EventSub) Collection() *collections.Collection { return es.c }

// hasRelationPath reports whether e reads a field through a relation.
func hasRelationPath(e query.Expr) bool {
	switch x := e.(type) {
	case *query.Logical:
		return hasRelationPath(x.Left) || hasRelationPath(x.Right)
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
func (es *EventSub) checkSelection(sel []GQLSel, inRecord bool) error {
	for _, n := range sel {
		switch n.Kind {
		case GQLNode:
			if err := es.checkSelection(n.Sub, true); err != nil {
				return err
			}
		case GQLBackRelation:
			return gqlError("%s: subscriptions render the changed record only; query %s separately", n.Key, n.Key)
		case GQLRelation:
			for _, s := range n.Sub {
				if s.Kind != GQLTypename && s.Name != "id" {
					return gqlError("%s: subscriptions render the changed record only: select just the id of %s", n.Key, n.Key)
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
	newSeen, err := es.visible(ctx, newRec, ev.Data)
	if err != nil {
		return nil, err
	}
	oldSeen, err := es.visible(ctx, oldRec, nil)
	if err != nil {
		return nil, err
	}
	match := func(seen bool, r *eventRecord) (bool, error) {
		if !seen {
			return false, nil
		}
		return es.where(r.values(es.c))
	}
	newHit, err := match(newSeen, newRec)
	if err != nil {
		return nil, err
	}
	oldHit, err := match(oldSeen, oldRec)
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
	var b bytes.Buffer
	es.renderEvent(&b, ev, newRec, oldRec)
	return b.Bytes(), nil
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
func (es *EventSub) visible(ctx context.Context, r *eventRecord, state json.RawMessage) (bool, error) {
	switch {
	case r == nil:
		return false, nil
	case es.rule == nil:
		return true, nil
	case es.ruleDB && state == nil:
		return false, nil // only the current row can be checked in the database
	case es.ruleDB:
		sc := newScope(es.snap, es.c, es.p, nil)
		var a args
		cond, err := sc.rule(&a, actView, &es.ruleSrc)
		if err != nil {
			return false, nil
		}
		var ok bool
		err = es.svc.db.QueryRowContext(ctx, "SELECT EXISTS (SELECT 1 FROM "+es.c.Table()+" "+alias+
			" WHERE "+col("id")+" = "+a.add(r.ID)+"::uuid AND ("+fullJSON(es.c, alias)+")::jsonb = "+a.add(string(state))+"::jsonb AND "+cond+")", a.list...).Scan(&ok)
		return ok, err
	}
	return query.Eval(es.rule, es.fields, r.values(es.c), es.opts)
}

// parsedEvent is an event's records, parsed once for all subscribers.
type parsedEvent struct {
	once      sync.Once
	data, old *eventRecord
	err       error
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
	b.WriteByte('{')
	for i, n := range es.sel {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, n.Key)
		b.WriteByte(':')
		switch {
		case n.Kind == GQLTypename:
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
	}
	b.WriteByte('}')
}

// renderRecord writes the selection of a record, or null.
func (es *EventSub) renderRecord(b *bytes.Buffer, r *eventRecord, sel []GQLSel) {
	if r == nil {
		b.WriteString("null")
		return
	}
	b.WriteByte('{')
	for i, n := range sel {
		if i > 0 {
			b.WriteByte(',')
		}
		writeJSONString(b, n.Key)
		b.WriteByte(':')
		if n.Kind == GQLTypename {
			writeJSONString(b, n.Name)
			continue
		}
		switch n.Name {
		case "id":
			writeJSONString(b, r.ID)
			continue
		case "created":
			writeRaw(b, r.Created)
			continue
		case "updated":
			writeRaw(b, r.Updated)
			continue
		}
		f := es.c.Field(n.Name)
		hidden := f == nil || (f.Hidden && !es.p.IsAdmin())
		if n.Kind != GQLRelation {
			if hidden {
				b.WriteString("null")
			} else {
				writeRaw(b, r.Data[n.Name])
			}
			continue
		}
		if hidden || f.Relation == nil || es.snap.Get(f.Relation.CollectionID) == nil {
			if f != nil && f.Multi() && hidden {
				b.WriteString("[]")
			} else {
				b.WriteString("null")
			}
			continue
		}
		target := es.snap.Get(f.Relation.CollectionID).Name
		var v any
		_ = json.Unmarshal(r.Data[n.Name], &v)
		ref := func(id string) {
			b.WriteByte('{')
			for j, s := range n.Sub {
				if j > 0 {
					b.WriteByte(',')
				}
				writeJSONString(b, s.Key)
				b.WriteByte(':')
				if s.Kind == GQLTypename {
					writeJSONString(b, target)
				} else {
					writeJSONString(b, id)
				}
			}
			b.WriteByte('}')
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
	b.WriteByte('}')
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

// compileWhere compiles a <collection>_bool_exp into a predicate with the
// meaning graphql_where.go gives it in SQL.
func (es *EventSub) compileWhere(sc *scope, w map[string]any) (pred, error) {
	if len(w) == 0 {
		return func(map[string]any) (bool, error) { return true, nil }, nil
	}
	keys := make([]string, 0, len(w))
	for k := range w {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var parts []pred
	for _, k := range keys {
		v := w[k]
		if v == nil {
			continue
		}
		switch k {
		case "_and", "_or":
			list, _ := v.([]any)
			var subs []pred
			for _, item := range list {
				m, _ := item.(map[string]any)
				p, err := es.compileWhere(sc, m)
				if err != nil {
					return nil, err
				}
				subs = append(subs, p)
			}
			if k == "_and" {
				parts = append(parts, all(subs))
			} else {
				parts = append(parts, anyOf(subs))
			}
		case "_not":
			m, _ := v.(map[string]any)
			p, err := es.compileWhere(sc, m)
			if err != nil {
				return nil, err
			}
			parts = append(parts, func(rec map[string]any) (bool, error) {
				ok, err := p(rec)
				return !ok, err
			})
		default:
			m, _ := v.(map[string]any)
			p, err := es.fieldPred(sc, k, m)
			if err != nil {
				return nil, err
			}
			parts = append(parts, p)
		}
	}
	return all(parts), nil
}

func all(ps []pred) pred {
	return func(rec map[string]any) (bool, error) {
		for _, p := range ps {
			if ok, err := p(rec); err != nil || !ok {
				return false, err
			}
		}
		return true, nil
	}
}

func anyOf(ps []pred) pred {
	return func(rec map[string]any) (bool, error) {
		for _, p := range ps {
			if ok, err := p(rec); err != nil || ok {
				return ok, err
			}
		}
		return false, nil
	}
}

// fieldPred is the predicate of one field's comparison object.
func (es *EventSub) fieldPred(sc *scope, name string, ops map[string]any) (pred, error) {
	var f *collections.Field
	switch name {
	case "id", "created", "updated":
	default:
		if f = sc.visible(name); f == nil {
			return nil, gqlError("where: unknown field %q", name)
		}
	}
	if f != nil && f.Relation != nil {
		return nil, gqlError("where: %s: conditions on related records are not supported in subscriptions", name)
	}
	keys := make([]string, 0, len(ops))
	for k := range ops {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var expr query.Expr
	and := func(e query.Expr) {
		if expr == nil {
			expr = e
		} else {
			expr = &query.Logical{Op: query.And, Left: expr, Right: e}
		}
	}
	cmp := func(op query.Op, v any) query.Expr {
		return &query.Comparison{Op: op, Left: &query.Ident{Path: []string{name}}, Right: &query.Literal{Value: literal(v)}}
	}
	var raw []pred // conditions outside the filter language
	for _, op := range keys {
		v := ops[op]
		if v == nil {
			return nil, gqlError("where: %s.%s: null is not a value here (use _is_null)", name, op)
		}
		switch op {
		case "_eq", "_neq", "_gt", "_gte", "_lt", "_lte":
			and(cmp(map[string]query.Op{"_eq": query.Eq, "_neq": query.Neq, "_gt": query.Gt, "_gte": query.Gte, "_lt": query.Lt, "_lte": query.Lte}[op], v))
		case "_in", "_nin":
			list, _ := v.([]any)
			if len(list) == 0 {
				if op == "_in" {
					raw = append(raw, func(map[string]any) (bool, error) { return false, nil })
				}
				continue
			}
			var chain query.Expr
			for _, item := range list {
				if item == nil {
					return nil, gqlError("where: %s.%s: null is not a value here (use _is_null)", name, op)
				}
				e, join := cmp(query.Eq, item), query.Or
				if op == "_nin" {
					e, join = cmp(query.Neq, item), query.And
				}
				if chain == nil {
					chain = e
				} else {
					chain = &query.Logical{Op: join, Left: chain, Right: e}
				}
			}
			and(chain)
		case "_is_null":
			if isNull, _ := v.(bool); isNull {
				and(cmp(query.Eq, nil))
			} else {
				and(cmp(query.Neq, nil))
			}
		case "_like", "_ilike", "_nlike", "_nilike", "_regex", "_iregex":
			s, _ := v.(string)
			src := "(?s)^" + likePattern(s) + "$"
			if op == "_regex" || op == "_iregex" {
				src = "(?s)" + s
			}
			if op == "_ilike" || op == "_nilike" || op == "_iregex" {
				src = "(?i)" + src
			}
			re, err := regexp.Compile(src)
			if err != nil {
				return nil, gqlError("where: %s.%s: %v", name, op, err)
			}
			negate := strings.HasPrefix(op, "_n")
			raw = append(raw, func(rec map[string]any) (bool, error) {
				s, ok := rec[name].(string)
				if !ok {
					return negate && rec[name] == nil, nil
				}
				return re.MatchString(s) != negate, nil
			})
		case "_has_key":
			key, _ := v.(string)
			raw = append(raw, func(rec map[string]any) (bool, error) {
				m, ok := rec[name].(map[string]any)
				if !ok {
					return false, nil
				}
				_, has := m[key]
				return has, nil
			})
		case "_contains", "_contained_in", "_overlaps":
			if f != nil && f.Type == "json" {
				if op != "_contains" {
					return nil, gqlError("where: %s: %s does not apply to jsonb", name, op)
				}
				want := jsonValue(v)
				raw = append(raw, func(rec map[string]any) (bool, error) {
					got, ok := rec[name]
					return ok && got != nil && jsonContains(got, want), nil
				})
				continue
			}
			list, _ := v.([]any)
			want := make([]string, 0, len(list))
			for _, item := range list {
				s, _ := item.(string)
				want = append(want, s)
			}
			raw = append(raw, func(rec map[string]any) (bool, error) {
				items, ok := rec[name].([]any)
				if !ok {
					return false, nil
				}
				have := make([]string, 0, len(items))
				for _, it := range items {
					s, _ := it.(string)
					have = append(have, s)
				}
				switch op {
				case "_contains":
					return subset(want, have), nil
				case "_contained_in":
					return subset(have, want), nil
				}
				for _, w := range want {
					if slices.Contains(have, w) {
						return true, nil
					}
				}
				return false, nil
			})
		default:
			return nil, gqlError("where: %s: unknown operator %s", name, op)
		}
	}
	if expr != nil {
		if _, err := query.Eval(expr, es.fields, map[string]any{}, es.opts); err != nil {
			var qe *query.Error
			if errors.As(err, &qe) {
				return nil, gqlError("where: %v", err)
			}
		}
		e := expr
		raw = append([]pred{func(rec map[string]any) (bool, error) { return query.Eval(e, es.fields, rec, es.opts) }}, raw...)
	}
	return all(raw), nil
}

// likePattern turns a LIKE pattern (% _ and \ escapes) into a regexp.
func likePattern(p string) string {
	var b strings.Builder
	for i := 0; i < len(p); i++ {
		switch c := p[i]; c {
		case '%':
			b.WriteString(".*")
		case '_':
			b.WriteString(".")
		case '\\':
			if i+1 < len(p) {
				i++
				b.WriteString(regexp.QuoteMeta(p[i : i+1]))
			}
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	return b.String()
}

// subset reports whether every element of a is in b.
func subset(a, b []string) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// jsonValue normalises a GraphQL argument to what json.Unmarshal gives.
func jsonValue(v any) any {
	b, err := json.Marshal(v)
	if err != nil {
		return v
	}
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

// jsonContains is jsonb's @>: objects contain sub-objects, arrays contain
// the elements of arrays (or a scalar element), scalars are equal.
func jsonContains(a, b any) bool {
	switch bv := b.(type) {
	case map[string]any:
		am, ok := a.(map[string]any)
		if !ok {
			return false
		}
		for k, v := range bv {
			if av, ok := am[k]; !ok || !jsonContains(av, v) {
				return false
			}
		}
		return true
	case []any:
		aa, ok := a.([]any)
		if !ok {
			return false
		}
		for _, x := range bv {
			if !slices.ContainsFunc(aa, func(y any) bool { return jsonContains(y, x) }) {
				return false
			}
		}
		return true
	}
	if aa, ok := a.([]any); ok {
		return slices.ContainsFunc(aa, func(y any) bool { return jsonContains(y, b) })
	}
	return a == b
}
