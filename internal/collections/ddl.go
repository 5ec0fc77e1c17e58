package collections

import (
	"fmt"
	"strings"
)

// ddl is one DDL statement and the field it serves ("" for the table), so
// a failure can name the field.
type ddl struct {
	sql   string
	field string
}

func forField(f *Field, stmts ...string) []ddl {
	out := make([]ddl, len(stmts))
	for i, s := range stmts {
		out[i] = ddl{s, f.Name}
	}
	return out
}

// The DDL of a collection's table. Identifiers come only from validated
// definitions and are always quoted; index and constraint names carry the
// field's stable id, so renames never touch them.

func createTableSQL(c *Collection, find func(id string) *Collection) []ddl {
	cols := []string{
		`"id" uuid PRIMARY KEY DEFAULT gen_random_uuid()`,
		`"created" timestamptz NOT NULL DEFAULT now()`,
		`"updated" timestamptz NOT NULL DEFAULT now()`,
	}
	for _, f := range c.Fields {
		cols = append(cols, Quote(f.Name)+" "+TypeOf(f).Column(f))
	}
	stmts := []ddl{
		{fmt.Sprintf("CREATE TABLE %s (\n  %s\n)", c.Table(), strings.Join(cols, ",\n  ")), ""},
		{fmt.Sprintf(`CREATE INDEX %s ON %s ("created", "id")`, Quote("ix_"+shortID(c.ID)+"_created"), c.Table()), ""},
	}
	for _, f := range c.Fields {
		stmts = append(stmts, fieldExtrasSQL(c, f, find)...)
	}
	// The full-text search column and its index (search.go).
	stmts = append(stmts, searchColumnSQL(c)...)
	return stmts
}

// fieldExtrasSQL is what a field needs beside its column: its unique index,
// foreign key and lookup index (relations and lifecycle fields).
func fieldExtrasSQL(c *Collection, f *Field, find func(id string) *Collection) []ddl {
	var out []ddl
	if f.Validation.Unique {
		out = append(out, forField(f, uniqueIndexSQL(c, f))...)
	}
	if f.Relation != nil {
		if f.Multi() {
			out = append(out, forField(f, fmt.Sprintf("CREATE INDEX %s ON %s USING gin (%s)", Quote("ix_"+f.ID), c.Table(), Quote(f.Name)))...)
		} else {
			out = append(out, forField(f, foreignKeySQL(c, f, find),
				fmt.Sprintf("CREATE INDEX %s ON %s (%s)", Quote("ix_"+f.ID), c.Table(), Quote(f.Name)))...)
		}
	}
	if LifecycleOf(f) != nil {
		out = append(out, forField(f, lifecycleIndexSQL(c, f))...)
	}
	return out
}

func uniqueIndexSQL(c *Collection, f *Field) string {
	return fmt.Sprintf("CREATE UNIQUE INDEX %s ON %s (%s)", Quote(UniqueIndexName(f)), c.Table(), Quote(f.Name))
}

// UniqueIndexName is the index that makes field f unique; a unique violation
// names it, which is how the violation is traced back to the field.
func UniqueIndexName(f *Field) string { return "uq_" + f.ID }

func foreignKeySQL(c *Collection, f *Field, find func(id string) *Collection) string {
	target := find(f.Relation.CollectionID)
	onDelete := "SET NULL"
	if f.Relation.CascadeDelete {
		onDelete = "CASCADE"
	}
	return fmt.Sprintf(`ALTER TABLE %s ADD CONSTRAINT %s FOREIGN KEY (%s) REFERENCES %s ("id") ON DELETE %s`,
		c.Table(), Quote(ForeignKeyName(f)), Quote(f.Name), target.Table(), onDelete)
}

// ForeignKeyName is the constraint of a single relation field.
func ForeignKeyName(f *Field) string { return "fk_" + f.ID }

// relationTriggersSQL rebuilds, for every multi relation, the trigger on its
// target that removes a deleted target's id from the lists (or deletes the
// referencing records with cascade_delete). They are rebuilt on every change
// because their bodies name tables and columns, which renames change.
func relationTriggersSQL(all []*Collection, find func(id string) *Collection) []ddl {
	stmts := []ddl{{`DO $$ DECLARE f record; BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'data' AND p.proname LIKE 'rel\_%' LOOP
    EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
  END LOOP;
END $$`, ""}}
	for _, c := range all {
		for _, f := range c.Fields {
			if f.Relation == nil || !f.Multi() {
				continue
			}
			target := find(f.Relation.CollectionID)
			if target == nil {
				continue
			}
			fn := `"data".` + Quote("rel_"+f.ID)
			action := fmt.Sprintf(`UPDATE %s SET %s = array_remove(%s, OLD."id") WHERE %s @> ARRAY[OLD."id"]`,
				c.Table(), Quote(f.Name), Quote(f.Name), Quote(f.Name))
			if f.Relation.CascadeDelete {
				action = fmt.Sprintf(`DELETE FROM %s WHERE %s @> ARRAY[OLD."id"]`, c.Table(), Quote(f.Name))
			}
			stmts = append(stmts, forField(f,
				fmt.Sprintf("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN %s; RETURN OLD; END $fn$", fn, action),
				fmt.Sprintf("CREATE TRIGGER %s AFTER DELETE ON %s FOR EACH ROW EXECUTE FUNCTION %s()", Quote("rel_"+f.ID), target.Table(), fn))...)
		}
	}
	return stmts
}

// shortID is a collection id without dashes, for index names.
func shortID(id string) string { return strings.ReplaceAll(id, "-", "") }
