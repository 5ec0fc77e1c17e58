package collections

import (
	"testing"

	"fastcms/internal/query"
)

const fileID = "0b8e2a4e-7a9c-4d5e-9f00-00000000000a"

func TestFileField(t *testing.T) {
	one := &Field{Name: "f", Type: "file", File: &FileOptions{}}
	checkFacts(t, one, typeFacts{"text", query.KindText, Shape{Scalar: ScalarText, Sortable: true}, "to_json(c)"})
	checkParse(t, one, []parseCase{
		{"0B8E2A4E-7A9C-4D5E-9F00-00000000000A", fileID, ""},
		{"f1", nil, "must be a file id"},
		{"../etc/passwd", nil, "must be a file id"},
		{1.0, nil, "must be a file id"},
		{[]any{fileID}, nil, "must be a file id"},
	})
	many := &Field{Name: "f", Type: "file", File: &FileOptions{MaxFiles: 2}}
	checkFacts(t, many, typeFacts{"text[]", query.KindMulti, Shape{Scalar: ScalarText, List: true}, "COALESCE(to_json(c), '[]'::json)"})
	other := "0b8e2a4e-7a9c-4d5e-9f00-00000000000b"
	checkParse(t, many, []parseCase{
		{[]any{fileID, other, fileID}, []string{fileID, other}, ""},
		{[]any{}, []string{}, ""},
		{[]any{fileID, other, "0b8e2a4e-7a9c-4d5e-9f00-00000000000c"}, nil, "must have at most 2 files"},
		{fileID, nil, "must be a list of file ids"},
		{[]any{"x"}, nil, "must be a list of file ids"},
	})
}

func TestFileFieldDefine(t *testing.T) {
	cases := []struct {
		opts         *FileOptions
		member, why  string
		wantOnDelete string
	}{
		{nil, "", "", OnDeleteKeep},
		{&FileOptions{MaxFiles: 3, MimeTypes: []string{"image/*", "application/pdf"}, MaxSize: 10, OnDelete: "delete"}, "", "", OnDeleteDelete},
		{&FileOptions{MaxFiles: 101}, "file.max_files", "must be between 0 and 100", ""},
		{&FileOptions{MaxSize: -1}, "file.max_size", "must not be negative", ""},
		{&FileOptions{OnDelete: "cascade"}, "file.on_delete", "must be keep or delete", ""},
		{&FileOptions{MimeTypes: []string{"*/*"}}, "file.mime_types", `"*/*" is not a media type such as image/png or image/*`, ""},
		{&FileOptions{MimeTypes: []string{"text/plain; charset=utf-8"}}, "file.mime_types", `"text/plain; charset=utf-8" is not a media type such as image/png or image/*`, ""},
	}
	for _, c := range cases {
		f := &Field{Name: "f", Type: "file", File: c.opts}
		member, why := TypeOf(f).Define(f)
		if member != c.member || why != c.why {
			t.Errorf("%+v: got %q %q, want %q %q", c.opts, member, why, c.member, c.why)
		}
		if why == "" && f.File.OnDelete != c.wantOnDelete {
			t.Errorf("%+v: on_delete %q, want %q", c.opts, f.File.OnDelete, c.wantOnDelete)
		}
	}
}

// Admit holds a file's metadata to the field's options.
func TestFileFieldAdmit(t *testing.T) {
	f := &Field{Name: "f", Type: "file", File: &FileOptions{MaxSize: 100, MimeTypes: []string{"image/*", "application/pdf"}}}
	l := LifecycleOf(f)
	cases := []struct {
		o   Object
		why string
	}{
		{Object{ID: "a", MimeType: "image/png", Size: 100}, ""},
		{Object{ID: "b", MimeType: "application/pdf", Size: 1}, ""},
		{Object{ID: "e", MimeType: "image/svg+xml; charset=utf-8", Size: 1}, ""},
		{Object{ID: "c", MimeType: "image/png", Size: 101}, "file c is 101 bytes, more than the 100 allowed"},
		{Object{ID: "d", MimeType: "text/plain; charset=utf-8", Size: 1}, "file d is text/plain; charset=utf-8, not one of image/*, application/pdf"},
	}
	for _, c := range cases {
		if why := l.Admit(f, c.o); why != c.why {
			t.Errorf("%+v: %q, want %q", c.o, why, c.why)
		}
	}
	if LifecycleOf(&Field{Type: "text"}) != nil {
		t.Error("text fields have no lifecycle")
	}
}
