package reference

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"

	"fastcms/graph"
	"fastcms/internal/collections"
	"fastcms/internal/query"
	"fastcms/rest"
)

// collectionPage is the reference of one collection, built from its
// definition as the caller may read it.
type collectionPage struct {
	Name, Type   string
	Fields       []fieldDoc
	Endpoints    []endpoint
	Query        []gqlOperation
	Mutation     []gqlOperation
	Subscription []gqlOperation
	Rules        []ruleDoc // nil when the caller may not read them
	Filters      filterDoc
}

type fieldDoc struct {
	Name, Type, Notes string
}

type ruleDoc struct {
	Action, Words string
}

// filterDoc is the filter grammar, with examples on the collection's fields.
type filterDoc struct {
	Operators, Macros []string
	Examples          []string
}

// sampleData is an example record: every field, or the first one only.
func sampleData(c *collections.Collection, all bool) map[string]any {
	data := map[string]any{}
	for _, f := range c.Fields {
		data[f.Name] = collections.Example(f)
		if !all {
			break
		}
	}
	return data
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// collectionEndpoints are the record routes of the table, for c, with
// example bodies of its own fields.
func collectionEndpoints(base string, c *collections.Collection) []endpoint {
	var out []endpoint
	for _, rt := range rest.Routes() {
		if !strings.Contains(rt.Path, "/{collection}") {
			continue
		}
		rq := exampleRequest(base, rt)
		rq.URL = strings.Replace(base+rt.Path, "{collection}", url.PathEscape(c.Name), 1)
		rq.URL = strings.ReplaceAll(rq.URL, "{id}", "RECORD_ID")
		if rt.Body == rest.FileBody {
			rq.File = c.Name + ".csv"
		}
		switch {
		case rt.Body != rest.JSONBody:
		case strings.HasSuffix(rt.Path, "/bulk-update"):
			rq.JSON = mustJSON(map[string]any{"record_ids": []string{"id1", "id2"}, "data": sampleData(c, false)})
		case strings.HasSuffix(rt.Path, "/records"):
			rq.JSON = mustJSON(map[string]any{"data": sampleData(c, true)})
		case strings.HasSuffix(rt.Path, "/{id}") && strings.Contains(rt.Path, "/records"):
			rq.JSON = mustJSON(map[string]any{"data": sampleData(c, false)})
		}
		out = append(out, endpoint{ID: endpointID(rt.Method, rt.Path), Method: rt.Method,
			Path: strings.Replace(rt.Path, "{collection}", c.Name, 1), Access: rt.Access, Summary: rt.Summary, Examples: examples(rq)})
	}
	return out
}

// recordSampler extends sampleValue with the collection's own input types.
func recordSampler(c *collections.Collection) sampler {
	n := c.Name
	byID := map[string]any{"id": map[string]any{"_eq": "RECORD_ID"}}
	return func(name, t string) (any, bool) {
		switch t {
		case "ID":
			return "RECORD_ID", true
		case n + "_insert_input":
			return sampleData(c, true), true
		case n + "_set_input":
			return sampleData(c, false), true
		case n + "_bool_exp":
			return byID, true
		case n + "_updates":
			return map[string]any{"where": byID, "_set": sampleData(c, false)}, true
		}
		return sampleValue(name, t)
	}
}

// newCollectionPage documents c, one of the collections in visible (the
// caller's redacted view of them all); admin says whether rules show.
func newCollectionPage(base string, c *collections.Collection, visible []*collections.Collection, admin bool) (*collectionPage, error) {
	p := &collectionPage{Name: c.Name, Type: c.Type, Endpoints: collectionEndpoints(base, c), Filters: filters(c)}
	for _, f := range c.Fields {
		p.Fields = append(p.Fields, fieldDoc{Name: f.Name, Type: f.Type, Notes: fieldNotes(f)})
	}
	ops, err := graph.CollectionOperations(collections.SnapshotOf(visible), c.Name)
	if err != nil {
		return nil, err
	}
	sample := recordSampler(c)
	for _, part := range []struct {
		kind string
		defs *[]gqlOperation
		src  []*ast.FieldDefinition
	}{{"query", &p.Query, ops.Query}, {"mutation", &p.Mutation, ops.Mutation}, {"subscription", &p.Subscription, ops.Subscription}} {
		for _, f := range part.src {
			if op, ok := operation(ops.Schema, part.kind, f, sample); ok {
				*part.defs = append(*part.defs, op)
			}
		}
	}
	if admin {
		p.Rules = rules(c)
	}
	return p, nil
}

// fieldNotes says in words what a field accepts.
func fieldNotes(f *collections.Field) string {
	var notes []string
	v := f.Validation
	if v.Required {
		notes = append(notes, "required")
	}
	if v.Unique {
		notes = append(notes, "unique")
	}
	if v.Min != nil {
		notes = append(notes, fmt.Sprintf("min %g", *v.Min))
	}
	if v.Max != nil {
		notes = append(notes, fmt.Sprintf("max %g", *v.Max))
	}
	if v.MinLength != nil {
		notes = append(notes, fmt.Sprintf("at least %d characters", *v.MinLength))
	}
	if v.MaxLength != nil {
		notes = append(notes, fmt.Sprintf("at most %d characters", *v.MaxLength))
	}
	if v.Pattern != "" {
		notes = append(notes, "matches "+v.Pattern)
	}
	if f.Select != nil {
		notes = append(notes, "one of "+strings.Join(f.Select.Values, ", "))
	}
	if f.Relation != nil {
		notes = append(notes, "ids of "+f.Relation.Collection+" records")
	}
	if f.Multi() {
		notes = append(notes, "a list")
	}
	if f.Hidden {
		notes = append(notes, "hidden: never in answers")
	}
	return strings.Join(notes, "; ")
}

// rules says each rule of c in words.
func rules(c *collections.Collection) []ruleDoc {
	say := func(action string, rule *string, rowFilter bool) ruleDoc {
		switch {
		case rule == nil:
			return ruleDoc{action, "admins only"}
		case *rule == "":
			return ruleDoc{action, "everyone, signed in or not"}
		case rowFilter:
			return ruleDoc{action, "only the records for which " + *rule + " holds (admins: all)"}
		}
		return ruleDoc{action, "callers for whom " + *rule + " holds (and admins)"}
	}
	return []ruleDoc{
		say("List", c.ListRule, true), say("View", c.ViewRule, true), say("Create", c.CreateRule, false),
		say("Update", c.UpdateRule, true), say("Delete", c.DeleteRule, true),
	}
}

// filters is the filter grammar with examples on c's first fields.
func filters(c *collections.Collection) filterDoc {
	d := filterDoc{Operators: query.Operators(), Macros: query.Macros()}
	for _, f := range c.Fields {
		if len(d.Examples) >= 3 {
			break
		}
		switch v := collections.Example(f).(type) {
		case string:
			if f.Multi() {
				break
			}
			d.Examples = append(d.Examples, fmt.Sprintf("%s = %s", f.Name, mustJSON(v)))
		case float64:
			d.Examples = append(d.Examples, fmt.Sprintf("%s >= %g", f.Name, v))
		case bool:
			d.Examples = append(d.Examples, fmt.Sprintf("%s = true", f.Name))
		case []any:
			d.Examples = append(d.Examples, fmt.Sprintf("%s ?= %s", f.Name, mustJSON(v[0])))
		}
	}
	d.Examples = append(d.Examples, "created >= @todayStart && created <= @todayEnd")
	return d
}
