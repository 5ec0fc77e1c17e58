package query

// Kind is the storage type of a field; it decides how values are compared
// and which SQL is generated.
type Kind int

// Field kinds. The SQL column type each one expects is given in brackets;
// the Go type Eval expects in a record is given after the arrow.
const (
	// KindText [text/varchar] -> string.
	KindText Kind = iota
	// KindNumber [double precision, numeric or integer] -> float64 (any Go number is accepted).
	KindNumber
	// KindBool [boolean] -> bool.
	KindBool
	// KindDate [date] -> time.Time (its own calendar date is used) or "2006-01-02".
	KindDate
	// KindDateTime [timestamptz] -> time.Time.
	KindDateTime
	// KindJSON [jsonb]; only `= null` / `!= null` are supported -> any.
	KindJSON
	// KindUUID [uuid] -> lowercase canonical string. Compared as text (e.g. system field id).
	KindUUID
	// KindMulti [text[], or uuid[] when Target is set (multi relation)] -> []string or []any.
	KindMulti
	// KindRelation [uuid] single relation -> nil, the id string, or the
	// related record as map[string]any (needed for `rel.field` paths).
	KindRelation
)

var kindNames = [...]string{"text", "number", "bool", "date", "datetime", "json", "uuid", "multi", "relation"}

func (k Kind) String() string {
	if k >= 0 && int(k) < len(kindNames) {
		return kindNames[k]
	}
	return "unknown"
}

// Fields resolves field names of one collection. The query package does not
// know the database layer; the caller implements this from its schema. System
// fields (id, created, updated) must be provided here too.
type Fields interface {
	// Field returns the field named name in this collection (ok=false if unknown).
	Field(name string) (f Field, ok bool)
}

// Field describes one field as far as querying needs.
type Field struct {
	// Name is the field name used in expressions and as the record map key.
	Name string
	// Column is the SQL column name. It is always double-quoted in output.
	Column string
	Kind   Kind
	// Target is the related collection for KindRelation and for KindMulti
	// fields that hold relation ids; it enables paths like `author.name`.
	// The related table must have a uuid primary key column named "id".
	Target Fields
	// TargetTable is the qualified, already-quoted related table, e.g. `"data"."authors"`.
	TargetTable string
	// View, when set, limits the related records a path through this
	// relation reaches (client filters of non-admins); nil reaches all.
	View *View
	// Back marks a back-relation: the records of Target whose relation
	// column Column (Kind KindRelation, or KindMulti for a multi relation)
	// points at this record. It fans out like a multi relation and is only
	// walked through (a path or Exists), never compared itself. Eval reads
	// the related records as a list of maps under Name.
	Back bool
}

// isRelation reports whether a path may continue through f.
func (f Field) isRelation() bool {
	return f.Target != nil && (f.Kind == KindRelation || f.Kind == KindMulti)
}

// MapFields is a ready-made Fields backed by a map, handy for tests and
// for callers that already hold their schema in memory.
type MapFields map[string]Field

// Field implements Fields.
func (m MapFields) Field(name string) (Field, bool) {
	f, ok := m[name]
	return f, ok
}
