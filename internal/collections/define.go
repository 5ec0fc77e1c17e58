package collections

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"

	"fastcms/internal/apierr"
)

// maxFields bounds a collection's width.
const maxFields = 100

// lookup finds a collection by name or id among the committed ones.
type lookup func(nameOrID string) *Collection

// checkFields validates a full field list for collection self (whose name
// may be new) and fills in what is derived: field ids (kept from prev by
// name or rename_from), relation target ids and names. Problems are keyed
// "schema[i].member" so the client sees which field is wrong.
func checkFields(self *Collection, fields []*Field, prev []*Field, find lookup) map[string]string {
	problems := map[string]string{}
	if len(fields) > maxFields {
		problems["schema"] = fmt.Sprintf("must have at most %d fields", maxFields)
		return problems
	}
	seen := map[string]bool{}
	byName := map[string]*Field{}
	for _, f := range prev {
		byName[f.Name] = f
	}
	renamedFrom := map[string]bool{}
	for i, f := range fields {
		key := fmt.Sprintf("schema[%d]", i)
		if f == nil {
			problems[key] = "must be a field definition"
			continue
		}
		if why := fieldNameProblem(f.Name); why != "" {
			problems[key+".name"] = why
		} else if seen[strings.ToLower(f.Name)] {
			problems[key+".name"] = "is used by another field"
		}
		seen[strings.ToLower(f.Name)] = true
		ft, ok := fieldTypes[f.Type]
		if !ok {
			problems[key+".type"] = "must be one of text, editor, number, bool, email, url, date, datetime, select, relation, file, json"
			continue
		}
		if f.Type != "select" {
			f.Select = nil
		}
		if f.Type != "relation" {
			f.Relation = nil
		}
		if f.Type != "file" {
			f.File = nil
		}
		if member, why := ft.Define(f); why != "" {
			problems[key+"."+member] = why
		}
		if why := checkValidation(f); why != "" {
			problems[key+".validation"] = why
		}
		if f.Relation != nil && f.Relation.Collection != "" {
			target := find(f.Relation.Collection)
			if target == nil && (f.Relation.Collection == self.Name || f.Relation.Collection == self.ID) {
				target = self
			}
			if target == nil {
				problems[key+".relation.collection"] = fmt.Sprintf("no collection %q", f.Relation.Collection)
			} else {
				f.Relation.Collection, f.Relation.CollectionID = target.Name, target.ID
			}
		}
		// Keep the id of the field this one continues.
		switch {
		case f.RenameFrom != "":
			old := byName[f.RenameFrom]
			if old == nil {
				problems[key+".rename_from"] = fmt.Sprintf("no field %q to rename", f.RenameFrom)
			} else if renamedFrom[f.RenameFrom] {
				problems[key+".rename_from"] = fmt.Sprintf("field %q is renamed twice", f.RenameFrom)
			} else {
				f.ID = old.ID
				renamedFrom[f.RenameFrom] = true
			}
		case byName[f.Name] != nil && !renamedFrom[f.Name]:
			f.ID = byName[f.Name].ID
		default:
			f.ID = newFieldID()
		}
	}
	return problems
}

func checkValidation(f *Field) string {
	v := f.Validation
	if v.MinLength != nil && *v.MinLength < 0 || v.MaxLength != nil && *v.MaxLength < 0 {
		return "min_length and max_length must not be negative"
	}
	if v.MinLength != nil && v.MaxLength != nil && *v.MinLength > *v.MaxLength {
		return "min_length must not exceed max_length"
	}
	if v.Pattern != "" {
		if len(v.Pattern) > 512 {
			return "pattern must be at most 512 characters"
		}
		if _, err := compilePattern(v.Pattern); err != nil {
			return "pattern is not a valid regular expression: " + err.Error()
		}
	}
	if v.Unique && (f.Type == "json" || f.Multi()) {
		return "unique is not supported on json or multi-value fields"
	}
	return ""
}

// newFieldID names a field for life: indexes and constraints carry it.
func newFieldID() string {
	b := make([]byte, 5)
	rand.Read(b) //nolint:errcheck // crypto/rand never fails on supported platforms
	return "f" + hex.EncodeToString(b)
}

func invalid(problems map[string]string) error {
	if len(problems) == 0 {
		return nil
	}
	return apierr.Invalid(problems)
}
