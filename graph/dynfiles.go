package graph

import (
	"fmt"

	"github.com/99designs/gqlgen/graphql"
	"github.com/vektah/gqlparser/v2/ast"

	"fastcms/internal/collections"
	"fastcms/internal/records"
)

// A file field f keeps its ids as String (the contract) and gains a
// sibling member with the files' metadata as the static file type:
// f_file: file for one file, f_files: [file!]! for several. The files
// show under the files API's visibility (records/graphql_files.go).

// fileMember is the name and SDL of f's metadata member, or "" when f is
// not a file field.
func fileMember(f *collections.Field) (name, sdl string) {
	if collections.LifecycleOf(f) == nil {
		return "", ""
	}
	if f.Multi() {
		name = f.Name + "_files"
		return name, fmt.Sprintf("  \"The files of %s the caller may see, in its order.\"\n  %s: [file!]!\n", f.Name, name)
	}
	name = f.Name + "_file"
	return name, fmt.Sprintf("  \"The file of %s, if the caller may see it.\"\n  %s: file\n", f.Name, name)
}

// fileSelection is the selection of a file object: its scalar members.
func fileSelection(oc *graphql.OperationContext, set ast.SelectionSet) []records.Member {
	fields := graphql.CollectFields(oc, set, []string{"file"})
	out := make([]records.Member, 0, len(fields))
	for _, f := range fields {
		n := records.Member{Key: f.Alias, Kind: records.Column, Name: f.Name}
		if n.Key == "" {
			n.Key = f.Name
		}
		if f.Name == "__typename" {
			n.Kind, n.Name = records.Typename, "file"
		}
		out = append(out, n)
	}
	return out
}
