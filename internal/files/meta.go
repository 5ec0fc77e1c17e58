package files

import (
	"strings"
	"unicode"
	"unicode/utf8"

	"fastcms/internal/apierr"
	"fastcms/internal/ids"
)

// Meta links a file to a record field; each part is optional, but
// record_id and field_name need collection_name.
type Meta struct {
	CollectionName *string
	RecordID       *string
	FieldName      *string
}

func (m Meta) validate() error {
	bad := map[string]string{}
	if m.CollectionName != nil && !isName(*m.CollectionName) {
		bad["collection_name"] = "must be 1 to 63 letters, digits or underscores"
	}
	if m.FieldName != nil && !isName(*m.FieldName) {
		bad["field_name"] = "must be 1 to 63 letters, digits or underscores"
	}
	if m.RecordID != nil && !ids.IsUUID(*m.RecordID) {
		bad["record_id"] = "must be a record id (a UUID)"
	}
	if m.CollectionName == nil && (m.RecordID != nil || m.FieldName != nil) {
		bad["collection_name"] = "is required with record_id or field_name"
	}
	if len(bad) > 0 {
		return apierr.Invalid(bad)
	}
	return nil
}

func isName(s string) bool {
	if s == "" || len(s) > 63 {
		return false
	}
	for _, c := range s {
		if !(c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
			return false
		}
	}
	return true
}

// maxNameBytes bounds original_filename, as most file systems do a name.
const maxNameBytes = 255

// CleanName is the client's file name as kept in original_filename: the
// last element of any path (either slash), without control characters or
// invalid UTF-8, at most 255 bytes; "file" when nothing is left. It is
// only ever shown back (Content-Disposition), never used on disk.
func CleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.ToValidUTF8(name, "")
	name = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return -1
		}
		return r
	}, name)
	name = strings.TrimSpace(name)
	for len(name) > maxNameBytes {
		_, size := utf8.DecodeLastRuneInString(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}
