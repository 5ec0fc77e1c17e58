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

// parseData validates a create or update body's data. On create every
// field is assigned (absent ones to NULL, so required fields are checked);
// on update only the fields present. Problems are returned per field.
func parseData(c *collections.Collection, data map[string]any, create bool) ([]change, map[string]any, error) {
	problems := map[string]string{}
	var changes []change
	ruleData := map[string]any{}
	for key, v := range data {
		name, delta := key, ""
		if strings.HasSuffix(key, "+") || strings.HasSuffix(key, "-") {
			name, delta = key[:len(key)-1], key[len(key)-1:]
		}
		f := c.Field(name)
		switch {
		case name == "id" || name == "created" || name == "updated":
			problems[key] = "is set by the server"
			continue
		case f == nil:
			problems[key] = fmt.Sprintf("is not a field of %s", c.Name)
			continue
		case delta != "" && (create || f.Type != "number"):
			problems[key] = "only number fields can be incremented, and only in an update"
			continue
		}
		if delta != "" {
			x, why := collections.ParseValue(&collections.Field{Type: "number"}, v)
			if why != "" || x == nil {
				problems[key] = "must be a finite number"
				continue
			}
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
