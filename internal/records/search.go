package records

// search compiles full-text search terms into a condition and a rank
// expression ("TRUE" and "" when there are no terms).
func (sc *scope) search(a *args, terms string) (cond, rank string, err error) {
	return "TRUE", "", nil
}
