package records

import (
	"fmt"
	"strings"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
)

// change is one column assignment of a write.
type change struct {
	field *collections.Field
	value any // as collections.ParseValue returns it
	// delta is "+" or "-" for an atomic increment of a number field.
	delta string
}

// parseData validates a create or update body's data for the caller of
// sc. On create every field is assigned (absent ones to NULL, so required
// fields are checked); on update only the fields present. Problems are
// returned per field.
//
//   - Hidden fields are unknown to non-admins, as on reads: writing them
//     is refused like writing a field that does not exist, so nothing
//     (not even a min/max error after an increment) reveals their values.
//   - "field+"/"field-" appear to rules as @request.data.<field> holding
//     the signed amount ("views-": 3 is -3), so a rule that bars setting
//     a field (`@request.data.views = null`) bars incrementing it too.
//   - A field given twice (a value and an increment, or both increments)
//     is refused: the rules and the SQL would not agree on one value.
func parseData(sc *scope, data map[string]any, create bool) ([]change, map[string]any, error) {
	c := sc.c
	problems := map[string]string{}
	var changes []change
	ruleData := map[string]any{}
	given := map[string]int{}
	for key := range data {
		name, _ := splitKey(key)
		given[name]++
	}
	for key, v := range data {
		name, delta := splitKey(key)
		f := sc.visible(name)
		switch {
		case name == "id" || name == "created" || name == "updated":
			problems[key] = "is set by the server"
			continue
		case f == nil:
			problems[key] = fmt.Sprintf("is not a field of %s", c.Name)
			continue
		case given[name] > 1:
			problems[name] = "is given more than once"
			continue
		case delta != "" && (create || !collections.ShapeOf(f).Numeric):
			problems[key] = "only number fields can be incremented, and only in an update"
			continue
		}
		if delta != "" {
			x, why := collections.ParseValue(&collections.Field{Type: "number"}, v)
			amount, ok := x.(float64)
			if why != "" || !ok {
				problems[key] = "must be a finite number"
				continue
			}
			if delta == "-" {
				amount = -amount
			}
			ruleData[name] = amount
			changes = append(changes, change{field: f, value: x, delta: delta})
			continue
		}
		value, why := collections.ParseValue(f, v)
		if why != "" {
			problems[name] = why
			continue
		}
		ruleData[name] = ruleValue(value)
		changes = append(changes, change{field: f, value: value})
	}
	if create {
		for _, f := range c.Fields {
			if _, ok := data[f.Name]; !ok && f.Validation.Required {
				problems[f.Name] = "is required"
			}
		}
	}
	if len(problems) > 0 {
		return nil, nil, apierr.Invalid(problems)
	}
	return changes, ruleData, nil
}

// splitKey splits a data key into the field name and the increment
// ("+", "-" or "" for a plain value).
func splitKey(key string) (name, delta string) {
	if strings.HasSuffix(key, "+") || strings.HasSuffix(key, "-") {
		return key[:len(key)-1], key[len(key)-1:]
	}
	return key, ""
}

// bindable adapts a parsed value for lib/pq: lists go as array literals.
func bindable(v any) any {
	if list, ok := v.([]string); ok {
		return pq.Array(list)
	}
	return v
}

// ruleValue is how a parsed value appears as @request.data in rules.
func ruleValue(v any) any {
	switch x := v.(type) {
	case collections.JSONValue:
		return string(x)
	case []string:
		return strings.Join(x, ",")
	}
	return v
}
