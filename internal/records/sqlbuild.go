package records

import (
	"strconv"
	"strings"

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

// dataJSON builds the "data" object of the row aliased row, its fields in
// the order given.
func dataJSON(row string, fields []*collections.Field) string {
	pairs := make([]string, len(fields))
	for i, f := range fields {
		pairs[i] = quoteLiteral(f.Name) + ", " + collections.TypeOf(f).JSON(f, colOf(row, f.Name))
	}
	return buildObject(pairs)
}

// buildObject joins key, value pairs into one json_build_object, in chunks
// of 50 pairs (PostgreSQL allows 100 arguments) spliced as text, which
// keeps the keys in order (jsonb would sort them).
func buildObject(pairs []string) string {
	const perChunk = 50
	if len(pairs) == 0 {
		return "'{}'::json"
	}
	if len(pairs) <= perChunk {
		return "json_build_object(" + strings.Join(pairs, ", ") + ")"
	}
	var parts []string
	for start := 0; start < len(pairs); start += perChunk {
		chunk := "json_build_object(" + strings.Join(pairs[start:min(start+perChunk, len(pairs))], ", ") + ")::text"
		switch {
		case start == 0:
			parts = append(parts, "left("+chunk+", -1)")
		case start+perChunk >= len(pairs):
			parts = append(parts, "substr("+chunk+", 2)")
		default:
			parts = append(parts, "substr(left("+chunk+", -1), 2)")
		}
	}
	return "(" + strings.Join(parts, " || ',' || ") + ")::json"
}

// quoteLiteral quotes a field name as an SQL string literal. Names are
// validated to letters, digits and underscores; doubling quotes is a second guard.
func quoteLiteral(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }
