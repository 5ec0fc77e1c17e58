package records

import (
	"strconv"
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
)

// alias names the collection's table in every statement.
const alias = "r"

// args collects bound parameters; add returns the placeholder of one.
type args struct{ list []any }

func (a *args) add(v any) string {
	a.list = append(a.list, v)
	return "$" + strconv.Itoa(len(a.list))
}

// col is a column of the aliased row.
func col(name string) string { return colOf(alias, name) }

// colOf is a column of the row aliased row (expand nests other aliases).
func colOf(row, name string) string { return row + "." + collections.Quote(name) }

// recordJSON is the SQL expression that renders one row as a RecordResponse
// ({"id","data","created","updated","expand"}) inside PostgreSQL, so a list
// is one statement and no Go-side conversion. fields are the data fields to
// show, in order; expand is the SQL of the "expand" member ("NULL" for none).
func recordJSON(fields []*collections.Field, expand string) string {
	return recordJSONOf(alias, fields, expand)
}

// recordJSONOf is recordJSON for the row aliased row.
func recordJSONOf(row string, fields []*collections.Field, expand string) string {
	var b strings.Builder
	b.WriteString("json_build_object('id', " + colOf(row, "id") + ", 'data', ")
	b.WriteString(dataJSON(row, fields))
	b.WriteString(", 'created', " + collections.TimestampJSON(colOf(row, "created")))
	b.WriteString(", 'updated', " + collections.TimestampJSON(colOf(row, "updated")))
	b.WriteString(", 'expand', " + expand + ")")
	return b.String()
}

// dataJSON builds the "data" object of the row aliased row.
// json_build_object takes at most 100 arguments, so wide collections are
// built in chunks joined as jsonb.
func dataJSON(row string, fields []*collections.Field) string {
	const perChunk = 50
	if len(fields) == 0 {
		return "'{}'::json"
	}
	var chunks []string
	for start := 0; start < len(fields); start += perChunk {
		end := min(start+perChunk, len(fields))
		parts := make([]string, 0, 2*(end-start))
		for _, f := range fields[start:end] {
			parts = append(parts, quoteLiteral(f.Name), collections.TypeOf(f).JSON(f, colOf(row, f.Name)))
		}
		chunks = append(chunks, "json_build_object("+strings.Join(parts, ", ")+")")
	}
	if len(chunks) == 1 {
		return chunks[0]
	}
	return "(" + strings.Join(chunks, "::jsonb || ") + "::jsonb)::json"
}

// quoteLiteral quotes a field name as an SQL string literal. Names are
// validated to letters, digits and underscores; doubling quotes is a second guard.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// orderBy parses sort ("-created,title", "@random") into an ORDER BY list
// ending in the id, so pages are stable. visible is the caller's view of
// the fields (hidden ones are unknown to non-admins).
func orderBy(sort string, visible func(string) *collections.Field) (string, error) {
	sort = strings.TrimSpace(sort)
	if sort == "" {
		return col("created") + " ASC, " + col("id") + " ASC", nil
	}
	if sort == "@random" {
		return "random()", nil
	}
	var keys []string
	hasID, dir := false, "ASC"
	for i, part := range strings.Split(sort, ",") {
		part = strings.TrimSpace(part)
		dir = "ASC"
		switch {
		case strings.HasPrefix(part, "-"):
			dir, part = "DESC", part[1:]
		case strings.HasPrefix(part, "+"):
			part = part[1:]
		}
		switch part {
		case "id", "created", "updated":
			hasID = hasID || part == "id"
		default:
			f := visible(part)
			if f == nil {
				return "", apierr.BadRequest("sort: unknown field %q (item %d)", part, i+1)
			}
			if !collections.ShapeOf(f).Sortable {
				return "", apierr.BadRequest("sort: field %q cannot be sorted", part)
			}
		}
		// PostgreSQL's default null order (nulls as the largest value) lets
		// one plain index serve both directions of a sort.
		keys = append(keys, col(part)+" "+dir)
	}
	// The id breaks ties in the direction of the last key, so an index
	// ending in id (the default (created, id) one) serves both directions.
	if !hasID {
		keys = append(keys, col("id")+" "+dir)
	}
	return strings.Join(keys, ", "), nil
}
