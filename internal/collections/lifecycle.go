package collections

import (
	"fmt"
	"strings"
)

// Lifecycle is implemented by field types whose values are ids of objects
// kept outside the record's row (files). A column cannot say whether such
// an id may be used, nor free the object when no record needs it any
// more, so these types add two steps to a record's life:
//
//   - on write, each referenced object is looked up for the writer (one
//     that is missing or hidden from them is refused alike, so a write
//     never tells which) and checked against the field's options (Admit);
//   - when a record drops ids (it is deleted, or the value replaced), a
//     trigger releases the dropped objects that no field of the same type
//     in any collection still refers to, if the field says so (Releases).
//
// Lifecycle fields hold their ids as text, or text[] when Multi.
type Lifecycle interface {
	// Refs lists the ids of a parsed value of f.
	Refs(f *Field, v any) []string
	// Admit says what is wrong with f referring to object o, or "".
	Admit(f *Field, o Object) string
	// Releases reports whether f releases the objects a record drops.
	Releases(f *Field) bool
	// ReleaseSQL is a PL/pgSQL query (one row) releasing the objects whose
	// ids are in the text[] expression ids.
	ReleaseSQL(ids string) string
}

// Object is what Admit sees of a referenced object.
type Object struct {
	ID       string
	MimeType string
	Size     int64
}

// LifecycleOf returns the lifecycle of f's type, or nil when it has none.
func LifecycleOf(f *Field) Lifecycle {
	l, _ := TypeOf(f).(Lifecycle)
	return l
}

// refsSQL is the text[] of the ids column expression col of f holds.
func refsSQL(f *Field, col string) string {
	if f.Multi() {
		return "COALESCE(" + col + ", '{}'::text[])"
	}
	return "array_remove(ARRAY[" + col + "], NULL)"
}

// holdsAnySQL is a condition true when column col of f holds one of the
// ids in the text[] expression ids; it can use the field's index.
func holdsAnySQL(f *Field, col, ids string) string {
	if f.Multi() {
		return col + " && " + ids
	}
	return col + " = ANY(" + ids + ")"
}

// lifecycleIndexSQL indexes a lifecycle field, for the reference checks
// of releases.
func lifecycleIndexSQL(c *Collection, f *Field) string {
	using := ""
	if f.Multi() {
		using = " USING gin"
	}
	return fmt.Sprintf("CREATE INDEX %s ON %s%s (%s)", Quote("ix_"+f.ID), c.Table(), using, Quote(f.Name))
}

// lifecycleTriggersSQL rebuilds, for every field that releases, the
// trigger releasing what its records drop. Like the relation triggers
// they are rebuilt on every change: their bodies name the tables and
// columns of every field of the same type, which any change may alter.
func lifecycleTriggersSQL(all []*Collection) []ddl {
	stmts := []ddl{{`DO $$ DECLARE f record; BEGIN
  FOR f IN SELECT p.oid::regprocedure AS sig FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
    WHERE n.nspname = 'data' AND p.proname LIKE 'life\_%' LOOP
    EXECUTE 'DROP FUNCTION ' || f.sig || ' CASCADE';
  END LOOP;
END $$`, ""}}
	for _, c := range all {
		for _, f := range c.Fields {
			l := LifecycleOf(f)
			if l == nil || !l.Releases(f) {
				continue
			}
			col := Quote(f.Name)
			var users []string
			for _, oc := range all {
				for _, of := range oc.Fields {
					if TypeOf(of) == TypeOf(f) {
						users = append(users, "SELECT unnest("+refsSQL(of, Quote(of.Name))+") FROM "+oc.Table()+" WHERE "+holdsAnySQL(of, Quote(of.Name), "dropped"))
					}
				}
			}
			fn := `"data".` + Quote("life_"+f.ID)
			body := fmt.Sprintf(`DECLARE dropped text[]; n bigint;
BEGIN
  dropped := ARRAY(SELECT unnest(%s) EXCEPT SELECT unnest(CASE WHEN TG_OP = 'UPDATE' THEN %s ELSE '{}'::text[] END));
  IF cardinality(dropped) = 0 THEN RETURN NULL; END IF;
  dropped := ARRAY(SELECT unnest(dropped) EXCEPT (%s));
  %s INTO n;
  RETURN NULL;
END`, refsSQL(f, "OLD."+col), refsSQL(f, "NEW."+col), strings.Join(users, " UNION "), l.ReleaseSQL("dropped"))
			stmts = append(stmts, forField(f,
				fmt.Sprintf("CREATE FUNCTION %s() RETURNS trigger LANGUAGE plpgsql AS $fn$ %s $fn$", fn, body),
				fmt.Sprintf("CREATE TRIGGER %s AFTER DELETE OR UPDATE OF %s ON %s FOR EACH ROW EXECUTE FUNCTION %s()", Quote("life_"+f.ID), col, c.Table(), fn))...)
		}
	}
	return stmts
}
