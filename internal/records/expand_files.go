package records

import "fastcms/internal/collections"

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

// fileJSON is the FileResponse of the files row aliased row.
func fileJSON(row string) string {
	col := func(name string) string { return row + "." + name }
	return "json_build_object('id', " + col("id") + ", 'filename', " + col("filename") + ", 'original_filename', " + col("original_filename") +
		", 'mime_type', " + col("mime_type") + ", 'size', " + col("size") + ", 'collection_name', " + col("collection_name") +
		", 'record_id', " + col("record_id") + ", 'field_name', " + col("field_name") + ", 'user_id', " + col("user_id") +
		", 'created', " + collections.TimestampJSON(col("created")) + ", 'updated', " + collections.TimestampJSON(col("updated")) +
		", 'url', '/api/v1/files/' || " + col("id") + " || '/download')"
}

// files is the value of a file field's expand key for the row aliased
// row: a scalar subquery yielding a FileResponse, an array of them, or NULL.
func (b *expandBuilder) files(n *expandNode, row string) string {
	e := b.alias("f")
	seen := "TRUE"
	if p := n.target.p; !p.IsAdmin() {
		seen = "FALSE"
		if p != nil {
			seen = e + ".user_id = " + b.a.add(p.UserID) + "::uuid"
		}
	}
	// Values written before file fields were checked may not be ids; they
	// match nothing rather than fail the cast.
	ids := colOf(row, n.field.Name)
	if !n.field.Multi() {
		return "(SELECT " + fileJSON(e) + " FROM files " + e + " WHERE " + e + ".id = CASE WHEN " + ids + " ~ " + quoteLiteral(uuidPattern) +
			" THEN " + ids + "::uuid END AND " + seen + ")"
	}
	return "(SELECT json_agg(" + fileJSON(e) + " ORDER BY array_position(" + ids + ", " + e + ".id::text)) FROM files " + e +
		" WHERE " + e + ".id = ANY(ARRAY(SELECT x::uuid FROM unnest(" + ids + ") x WHERE x ~ " + quoteLiteral(uuidPattern) + ")) AND " + seen + ")"
}

// uuidPattern matches the lower-case ids file fields keep.
const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`
