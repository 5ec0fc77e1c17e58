package collections

import (
	"fmt"
)

// alterSQL is the DDL taking collection old to its new definition c. Fields
// are matched by id (kept across renames by checkFields); a field that keeps
// its column type keeps its data, a few conversions are allowed, and any
// other type change is refused before anything runs.
func alterSQL(old, c *Collection, find func(id string) *Collection) ([]ddl, map[string]string) {
	var stmts []ddl
	problems := map[string]string{}
	table := c.Table()
	if old.Name != c.Name {
		stmts = append(stmts, ddl{fmt.Sprintf("ALTER TABLE %s RENAME TO %s", old.Table(), Quote(c.Name)), ""})
	}
	oldByID := map[string]*Field{}
	for _, f := range old.Fields {
		oldByID[f.ID] = f
	}
	kept := map[string]bool{}
	for _, f := range c.Fields {
		kept[f.ID] = true
	}
	for _, o := range old.Fields {
		if !kept[o.ID] {
			stmts = append(stmts, forField(o, fmt.Sprintf("ALTER TABLE %s DROP COLUMN %s", table, Quote(o.Name)))...)
		}
	}
	// Renames go through temporary names, so fields may swap names.
	var renames [][2]string
	for _, f := range c.Fields {
		if o := oldByID[f.ID]; o != nil && o.Name != f.Name {
			tmp := "tmp_" + f.ID
			stmts = append(stmts, forField(f, fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", table, Quote(o.Name), Quote(tmp)))...)
			renames = append(renames, [2]string{tmp, f.Name})
		}
	}
	for _, r := range renames {
		stmts = append(stmts, ddl{fmt.Sprintf("ALTER TABLE %s RENAME COLUMN %s TO %s", table, Quote(r[0]), Quote(r[1])), r[1]})
	}
	for i, f := range c.Fields {
		o := oldByID[f.ID]
		if o == nil {
			stmts = append(stmts, forField(f, fmt.Sprintf("ALTER TABLE %s ADD COLUMN %s %s", table, Quote(f.Name), TypeOf(f).Column(f)))...)
			stmts = append(stmts, fieldExtrasSQL(c, f, find)...)
			continue
		}
		if extrasKey(o) == extrasKey(f) {
			continue
		}
		stmts = append(stmts, forField(f,
			fmt.Sprintf("ALTER TABLE %s DROP CONSTRAINT IF EXISTS %s", table, Quote(ForeignKeyName(f))),
			fmt.Sprintf(`DROP INDEX IF EXISTS "data".%s`, Quote(UniqueIndexName(f))),
			fmt.Sprintf(`DROP INDEX IF EXISTS "data".%s`, Quote("ix_"+f.ID)))...)
		from, to := TypeOf(o).Column(o), TypeOf(f).Column(f)
		if from != to {
			using, ok := conversion(from, to, Quote(f.Name))
			if !ok {
				problems[fmt.Sprintf("schema[%d].type", i)] = fmt.Sprintf("cannot change a %s field to %s; add a new field instead", o.Type, f.Type)
				continue
			}
			stmts = append(stmts, forField(f, fmt.Sprintf("ALTER TABLE %s ALTER COLUMN %s TYPE %s USING %s", table, Quote(f.Name), to, using))...)
		}
		stmts = append(stmts, fieldExtrasSQL(c, f, find)...)
	}
	// The search column reads the text columns: it goes before they change
	// and comes back after (search.go).
	searchBefore, searchAfter := alterSearchSQL(old, c)
	stmts = append(append(searchBefore, stmts...), searchAfter...)
	return stmts, problems
}

// extrasKey changes exactly when a field's column type, index or foreign
// key must be rebuilt.
func extrasKey(f *Field) string {
	key := TypeOf(f).Column(f) + fmt.Sprintf("|unique=%v", f.Validation.Unique)
	if f.Relation != nil {
		key += fmt.Sprintf("|rel=%s|cascade=%v", f.Relation.CollectionID, f.Relation.CascadeDelete)
	}
	return key
}

// conversion is the USING expression turning a column of type from into
// type to, for the changes that keep the data's meaning. A value that does
// not convert (text "abc" to number) fails the statement, and with it the
// whole change.
func conversion(from, to, col string) (string, bool) {
	switch {
	case to == "text" && from != "text[]" && from != "uuid[]" && from != "jsonb":
		return col + "::text", true
	case to == "text[]" && from == "text", to == "uuid[]" && from == "uuid":
		return fmt.Sprintf("CASE WHEN %s IS NULL THEN NULL ELSE ARRAY[%s] END", col, col), true
	case to == "text" && from == "text[]", to == "uuid" && from == "uuid[]":
		return col + "[1]", true
	case to == "double precision" && from == "text":
		return fmt.Sprintf("NULLIF(btrim(%s), '')::double precision", col), true
	case to == "uuid" && from == "text":
		return fmt.Sprintf("NULLIF(btrim(%s), '')::uuid", col), true
	}
	return "", false
}
