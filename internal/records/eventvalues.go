package records

import (
	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/query"
)

// EventValues returns the record states of ev (of collection c) as
// query.Eval reads them, parsed once and shared with the subscriptions
// that look at the same event; nil for a state the event does not carry.
// Webhook filters use it, so they mean what subscription filters mean.
func EventValues(ev events.Event, c *collections.Collection) (data, old map[string]any, err error) {
	pe := parsedEvents.get(ev, c)
	if pe.err != nil {
		return nil, nil, pe.err
	}
	if pe.data != nil {
		data = pe.data.vals
	}
	if pe.old != nil {
		old = pe.old.vals
	}
	return data, old, nil
}

// ReadsRelated reports whether e reads related records (a path through a
// relation, or a relation condition), which an event does not carry.
func ReadsRelated(e query.Expr) bool { return needsRelated(e) }
