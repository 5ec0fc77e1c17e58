// Package collections owns the runtime data model: collection definitions,
// their field types, the DDL that keeps each collection's real table in step
// with its definition, and the in-memory registry every instance shares.
package collections

import (
	"time"
)

// Collection is one collection definition. Rules are nil for "admins only",
// "" for "everyone", or an expression of internal/query.
type Collection struct {
	ID         string
	Name       string
	Type       string
	Fields     []*Field
	ListRule   *string
	ViewRule   *string
	CreateRule *string
	UpdateRule *string
	DeleteRule *string
	Options    map[string]any
	Created    time.Time
	Updated    time.Time
}

// Field is one field of a collection. Its JSON shape is FieldSchema of
// spec/rest-api.md; ID is internal and stable across renames, so the names
// of indexes and constraints never need to change.
type Field struct {
	ID         string           `json:"id,omitempty"`
	Name       string           `json:"name"`
	Type       string           `json:"type"`
	Validation Validation       `json:"validation"`
	Relation   *RelationOptions `json:"relation,omitempty"`
	Select     *SelectOptions   `json:"select,omitempty"`
	File       *FileOptions     `json:"file,omitempty"`
	Hidden     bool             `json:"hidden"`
	// RenameFrom, in an update, names the field this one was.
	RenameFrom string `json:"rename_from,omitempty"`
}

// Validation holds the checks a value must pass.
type Validation struct {
	Required  bool     `json:"required"`
	Unique    bool     `json:"unique"`
	Min       *float64 `json:"min,omitempty"`
	Max       *float64 `json:"max,omitempty"`
	MinLength *int     `json:"min_length,omitempty"`
	MaxLength *int     `json:"max_length,omitempty"`
	Pattern   string   `json:"pattern,omitempty"`
	Values    []string `json:"values,omitempty"`
}

// RelationOptions is where a relation points and what deleting the target does.
type RelationOptions struct {
	// Collection is the target's name in the API; CollectionID is what is
	// stored, so renaming the target changes nothing here.
	Collection    string `json:"collection"`
	CollectionID  string `json:"collection_id,omitempty"`
	CascadeDelete bool   `json:"cascade_delete"`
	// MaxSelect above 1 makes a multi relation (a uuid[] column).
	MaxSelect int `json:"max_select,omitempty"`
}

// SelectOptions are the allowed values of a select and how many may be chosen.
type SelectOptions struct {
	Values    []string `json:"values"`
	MaxSelect int      `json:"max_select,omitempty"`
}

// Multi reports whether the field holds a list (multi select, relation or file).
func (f *Field) Multi() bool {
	switch {
	case f.File != nil:
		return f.File.MaxFiles > 1
	case f.Select != nil:
		return f.Select.MaxSelect > 1
	case f.Relation != nil:
		return f.Relation.MaxSelect > 1
	}
	return false
}

// Field returns the collection's field named name.
func (c *Collection) Field(name string) *Field {
	for _, f := range c.Fields {
		if f.Name == name {
			return f
		}
	}
	return nil
}

// Table is the quoted, qualified name of the collection's table.
func (c *Collection) Table() string { return TableOf(c.Name) }

// TableOf quotes the table of a collection name (names are validated to
// letters, digits and underscores, so quoting is belt and braces).
func TableOf(name string) string { return `"data".` + Quote(name) }
