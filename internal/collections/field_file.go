package collections

import (
	"fmt"
	"mime"
	"strings"

	"fastcms/internal/ids"
	"fastcms/internal/query"
)

// fileType holds ids of uploaded files (see the files API): one (text) or,
// with max_files above 1, several (text[]). Its lifecycle (lifecycle.go)
// checks each file when written and releases the files a record drops.
type fileType struct{}

// FileOptions limit the files a file field accepts and say what happens
// to the files a record drops.
type FileOptions struct {
	// MaxFiles above 1 makes a multi file field.
	MaxFiles int `json:"max_files,omitempty"`
	// MimeTypes are media types or "type/*" families; empty allows all.
	MimeTypes []string `json:"mime_types,omitempty"`
	// MaxSize is the largest file in bytes; 0 leaves it to max_file_size.
	MaxSize int64 `json:"max_size,omitempty"`
	// OnDelete is OnDeleteKeep (the default) or OnDeleteDelete.
	OnDelete string `json:"on_delete,omitempty"`
}

// What a file field does with a file a record drops (deleted, or its
// value replaced): keep it, or delete it once no record of any file field
// refers to it any more.
const (
	OnDeleteKeep   = "keep"
	OnDeleteDelete = "delete"
)

// maxFiles bounds max_files, so a value's check and its release stay small.
const maxFiles = 100

func (fileType) Column(f *Field) string {
	if f.Multi() {
		return "text[]"
	}
	return "text"
}

func (fileType) Kind(f *Field) query.Kind {
	if f.Multi() {
		return query.KindMulti
	}
	return query.KindText
}

// Parse checks the form of the ids only; that the files exist, may be
// used by the writer and fit the options needs the database (Admit).
func (fileType) Parse(f *Field, v any) (any, string) {
	if !f.Multi() {
		s, ok := v.(string)
		if !ok || !ids.IsUUID(s) {
			return nil, "must be a file id"
		}
		return strings.ToLower(s), ""
	}
	items, ok := v.([]any)
	if !ok {
		return nil, "must be a list of file ids"
	}
	out := make([]string, 0, len(items))
	for _, it := range items {
		s, ok := it.(string)
		if !ok || !ids.IsUUID(s) {
			return nil, "must be a list of file ids"
		}
		if s = strings.ToLower(s); !contains(out, s) {
			out = append(out, s)
		}
	}
	if len(out) > f.File.MaxFiles {
		return nil, fmt.Sprintf("must have at most %d files", f.File.MaxFiles)
	}
	return out, ""
}

func (fileType) JSON(f *Field, col string) string {
	if f.Multi() {
		return "COALESCE(to_json(" + col + "), '[]'::json)"
	}
	return plainJSON(col)
}

func (fileType) Define(f *Field) (member, why string) {
	if f.File == nil {
		f.File = &FileOptions{}
	}
	o := f.File
	if o.OnDelete == "" {
		o.OnDelete = OnDeleteKeep
	}
	switch {
	case o.MaxFiles < 0 || o.MaxFiles > maxFiles:
		return "file.max_files", fmt.Sprintf("must be between 0 and %d", maxFiles)
	case o.MaxSize < 0:
		return "file.max_size", "must not be negative"
	case o.OnDelete != OnDeleteKeep && o.OnDelete != OnDeleteDelete:
		return "file.on_delete", "must be keep or delete"
	}
	for _, t := range o.MimeTypes {
		if !validMediaRange(t) {
			return "file.mime_types", fmt.Sprintf("%q is not a media type such as image/png or image/*", t)
		}
	}
	return "", ""
}

// validMediaRange accepts "type/subtype" and "type/*", without parameters.
func validMediaRange(t string) bool {
	typ, sub, ok := strings.Cut(t, "/")
	if !ok || typ == "" || typ == "*" || len(t) > 255 {
		return false
	}
	if sub == "*" {
		sub = "x"
	}
	mt, params, err := mime.ParseMediaType(typ + "/" + sub)
	return err == nil && len(params) == 0 && mt == strings.ToLower(typ+"/"+sub)
}

// Refs lists the file ids of a parsed value.
func (fileType) Refs(_ *Field, v any) []string {
	switch x := v.(type) {
	case string:
		return []string{x}
	case []string:
		return x
	}
	return nil
}

// Admit checks one file against the field's options.
func (fileType) Admit(f *Field, o Object) string {
	opts := f.File
	if opts.MaxSize > 0 && o.Size > opts.MaxSize {
		return fmt.Sprintf("file %s is %d bytes, more than the %d allowed", o.ID, o.Size, opts.MaxSize)
	}
	if !MediaTypeAllowed(opts.MimeTypes, o.MimeType) {
		return fmt.Sprintf("file %s is %s, not one of %s", o.ID, o.MimeType, strings.Join(opts.MimeTypes, ", "))
	}
	return ""
}

// MediaTypeAllowed reports whether media type t (parameters aside) is one
// of allowed, exactly or by a "family/*" entry; an empty list allows all.
func MediaTypeAllowed(allowed []string, t string) bool {
	if len(allowed) == 0 {
		return true
	}
	mt, _, _ := strings.Cut(t, ";")
	mt = strings.TrimSpace(mt)
	family, _, _ := strings.Cut(mt, "/")
	for _, a := range allowed {
		if a == mt || a == family+"/*" {
			return true
		}
	}
	return false
}

func (fileType) Releases(f *Field) bool { return f.File.OnDelete == OnDeleteDelete }

// ReleaseSQL deletes the rows of the files in the text[] variable ids and
// announces each blob key on ReleasedChannel: the bytes go once the
// transaction commits (internal/files), or else with the orphan sweep.
// Values written before file fields were checked may not be ids; they
// release nothing.
func (fileType) ReleaseSQL(ids string) string {
	return "WITH d AS (DELETE FROM files WHERE id = ANY(ARRAY(SELECT x::uuid FROM unnest(" + ids + ") x WHERE x ~ '" + uuidPattern + "')) RETURNING filename) " +
		"SELECT count(pg_notify('" + ReleasedChannel + "', d.filename)) FROM d"
}

// uuidPattern matches the lower-case ids Parse keeps.
const uuidPattern = `^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`

// ReleasedChannel carries the storage key of each released file.
const ReleasedChannel = "fastcms_files_released"
