package records

import (
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/query"
)

// REST's reads translate into read plans here, from protocol-neutral
// parameters (ListParams, GetParams): a RecordResponse is the members id,
// data (an Object of the fields shown), created, updated and expand (an
// Expand of the expand tree, expand.go), so REST and GraphQL render
// through the one renderer. The parameters are checked first, so their
// errors name them as REST does (filter, sort, fields, expand).

// restPartNames are the REST parameters the parts of a plan come from,
// for the renderer's errors about them. REST checks its filter and sort
// before rendering, so these name what slips past that check.
var restPartNames = map[Part]string{PartWhere: "filter", PartOrder: "sort", PartLimit: "per_page", PartOffset: "page"}

// restRecord is the members of a RecordResponse with the data fields
// shown, in order, and the relations of expand node n.
func restRecord(shown []*collections.Field, n *expandNode) []Member {
	data := make([]Member, len(shown))
	for i, f := range shown {
		data[i] = Member{Key: f.Name, Kind: Column, Name: f.Name}
	}
	return []Member{
		{Key: "id", Kind: Column, Name: "id"},
		{Key: "data", Kind: Object, Sub: data},
		{Key: "created", Kind: Column, Name: "created"},
		{Key: "updated", Kind: Column, Name: "updated"},
		{Key: "expand", Kind: Expand, Sub: expandMembers(n)},
	}
}

// expandMembers are the relations under n: a forward relation, a
// back-relation (ordered by created then id, at most maxBackRelation) or
// a file field's files, each embedding the target's RecordResponses
// (FileResponses for files).
func expandMembers(n *expandNode) []Member {
	if n == nil {
		return nil
	}
	out := make([]Member, len(n.children))
	for i, c := range n.children {
		switch {
		case c.files:
			files := make([]Member, len(fileColumns))
			for j, fc := range fileColumns {
				files[j] = Member{Key: fc.name, Kind: Column, Name: fc.name}
			}
			out[i] = Member{Key: c.key, Kind: Files, Field: c.field.Name, Sub: files}
		case c.back:
			limit := maxBackRelation
			out[i] = Member{Key: c.key, Kind: BackRelation, Name: c.target.c.Name, Field: c.field.Name,
				Rows: &Rows{Limit: &limit}, Sub: restRecord(c.target.shown(), c)}
		default:
			out[i] = Member{Key: c.key, Kind: Relation, Name: c.field.Name, Sub: restRecord(c.target.shown(), c)}
		}
	}
	return out
}

// restRows checks a list's filter, sort and search as REST names them and
// translates them into the rows of a plan (paging aside).
func (sc *scope) restRows(p ListParams) (Rows, error) {
	var rows Rows
	// The list rule first: a caller it bars learns nothing from the filter.
	if _, err := sc.rule(&args{}, actList, sc.c.ListRule); err != nil {
		return rows, err
	}
	if strings.TrimSpace(p.Filter) != "" {
		expr, err := query.Parse(p.Filter)
		if err == nil {
			// Compiled here too (discarded) so a field the caller cannot
			// filter on is reported as REST reports it, with its position.
			_, err = sc.compileExpr(&args{}, expr, sc.fields())
		}
		if err != nil {
			return rows, apierr.BadRequest("filter: %v", err)
		}
		rows.Where = expr
	}
	if _, _, err := sc.search(&args{}, p.Search); err != nil {
		return rows, err // before the expand is checked, as the list renders after it
	}
	rows.Search = p.Search
	order, err := restOrder(p.Sort, sc.visible)
	if err != nil {
		return rows, err
	}
	if len(order) == 0 && strings.TrimSpace(p.Search) != "" {
		// Ranked by search, then in the default order.
		order = []SortKey{{Rank: true, Desc: true, NullsFirst: true}, {Path: []string{"created"}}}
	}
	rows.Order = order
	return rows, nil
}

// restOrder parses a REST sort ("-created,title", "@random") into order
// keys; a descending key puts NULLs first. visible is the caller's view of
// the fields (hidden ones are unknown to non-admins).
func restOrder(sort string, visible func(string) *collections.Field) ([]SortKey, error) {
	sort = strings.TrimSpace(sort)
	switch sort {
	case "":
		return nil, nil
	case "@random":
		return []SortKey{{Random: true}}, nil
	}
	var keys []SortKey
	for i, part := range strings.Split(sort, ",") {
		part = strings.TrimSpace(part)
		var k SortKey
		switch {
		case strings.HasPrefix(part, "-"):
			k.Desc, k.NullsFirst, part = true, true, part[1:]
		case strings.HasPrefix(part, "+"):
			part = part[1:]
		}
		switch part {
		case "id", "created", "updated":
		default:
			f := visible(part)
			if f == nil {
				return nil, apierr.BadRequest("sort: unknown field %q (item %d)", part, i+1)
			}
			if !collections.ShapeOf(f).Sortable {
				return nil, apierr.BadRequest("sort: field %q cannot be sorted", part)
			}
		}
		k.Path = []string{part}
		keys = append(keys, k)
	}
	return keys, nil
}
