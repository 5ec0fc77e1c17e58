package records

import (
	"strings"
	"unicode/utf8"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
)

// search compiles full-text search terms into a condition and a rank
// expression ("TRUE" and "" when there are no terms).
//
// Terms are in websearch syntax (`"a phrase" -excluded this or that`) and
// go through the same configuration as the indexed text, so case and
// accents do not matter (collections/search.go). Terms without a single
// word (only punctuation, say) match nothing. The rank is ts_rank over the
// weighted column: more hits, and hits in the first (title) field, rank
// higher. A collection without searchable fields has no search column, so
// searching it is a 400 rather than an empty page that looks like "no hits".
func (sc *scope) search(a *args, terms string) (cond, rank string, err error) {
	if strings.TrimSpace(terms) == "" {
		return "TRUE", "", nil
	}
	if !utf8.ValidString(terms) || strings.ContainsRune(terms, 0) {
		return "", "", apierr.BadRequest("search: must be valid UTF-8 text without NUL characters")
	}
	if len(collections.SearchFields(sc.c)) == 0 {
		return "", "", apierr.BadRequest("search: this collection has no searchable fields")
	}
	q := "websearch_to_tsquery('" + collections.SearchConfig + "'::regconfig, " + a.add(terms) + "::text)"
	vec := col(collections.SearchColumn)
	return vec + " @@ " + q, "ts_rank(" + vec + ", " + q + ")", nil
}
