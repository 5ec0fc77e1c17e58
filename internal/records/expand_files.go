package records

import (
	"fastcms/internal/auth"
	"fastcms/internal/collections"
)

// File fields expand too: expand=<file field> embeds the metadata of the
// files the field holds, as the files API's FileResponse — one object,
// or an array in the order of the ids for max_files above 1. Files are
// shown under the files API's visibility (the caller's own, every file
// for an admin); a file the caller may not see, or one deleted since, is
// left out like a record the caller may not view. A file field ends a
// path ("doc.x" is unknown) and counts max_files towards the budget.

// fileNode is the expand node of file field f of sc's collection, or nil
// when f is not a file field. Its target is sc itself, whose principal
// decides which files show.
func (sc *scope) fileNode(seg string, f *collections.Field) *expandNode {
	if collections.LifecycleOf(f) == nil {
		return nil
	}
	return &expandNode{key: seg, field: f, files: true, target: sc}
}

// fileFanOut is the most files a file field embeds per record.
func fileFanOut(f *collections.Field) int {
	if f.Multi() {
		return f.File.MaxFiles
	}
	return 1
}

// fileColumns are the members of a FileResponse (and of GraphQL's file
// type), in order, each with its SQL over the files row aliased row.
var fileColumns = []struct {
	name string
	sql  func(row string) string
}{
	{"id", fileCol("id")}, {"filename", fileCol("filename")}, {"original_filename", fileCol("original_filename")},
	{"mime_type", fileCol("mime_type")}, {"size", fileCol("size")}, {"collection_name", fileCol("collection_name")},
	{"record_id", fileCol("record_id")}, {"field_name", fileCol("field_name")}, {"user_id", fileCol("user_id")},
	{"created", func(row string) string { return collections.TimestampJSON(row + ".created") }},
	{"updated", func(row string) string { return collections.TimestampJSON(row + ".updated") }},
	{"url", func(row string) string { return "'/api/v1/files/' || " + row + ".id || '/download'" }},
}

func fileCol(name string) func(string) string {
	return func(row string) string { return row + "." + name }
}

// fileSeen is the condition that p may see the files row aliased row: the
// files API's visibility (their own, every file for an admin).
func fileSeen(a *args, p *auth.Principal, row string) string {
	switch {
	case p.IsAdmin():
		return "TRUE"
	case p == nil:
		return "FALSE"
	}
	return row + ".user_id = " + a.add(p.UserID) + "::uuid"
}

// filesOf is a scalar subquery rendering, as obj over the files rows
// aliased e that pass seen, the files that ids (the column of file field
// f) holds: one, or for a multi field an array in the order of the ids
// (NULL when none shows). Values written before file fields were checked
// may not be ids; they match nothing rather than fail the cast.
func filesOf(f *collections.Field, ids, e, obj, seen string) string {
	if !f.Multi() {
		return "(SELECT " + obj + " FROM files " + e + " WHERE " + e + ".id = CASE WHEN " + ids + " ~ " + quoteLiteral(uuidPattern) +
			" THEN " + ids + "::uuid END AND " + seen + ")"
	}
	return "(SELECT json_agg(" + obj + " ORDER BY array_position(" + ids + ", " + e + ".id::text)) FROM files " + e +
		" WHERE " + e + ".id = ANY(ARRAY(SELECT x::uuid FROM unnest(" + ids + ") x WHERE x ~ " + quoteLiteral(uuidPattern) + ")) AND " + seen + ")"
}

// uuidPattern matches the lower-case ids file fields keep.
const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
