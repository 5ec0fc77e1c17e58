package query

import "slices"

// Operators lists the comparison operators the parser reads, then their
// any-of forms; the API reference page prints them from here.
func Operators() []string {
	out := append([]string{}, opNames[:]...)
	for _, op := range opNames {
		out = append(out, "?"+op)
	}
	return out
}

// Macros lists the date macros (with their @), sorted.
func Macros() []string {
	out := make([]string, 0, len(macros))
	for name := range macros {
		out = append(out, "@"+name)
	}
	slices.Sort(out)
	return out
}
