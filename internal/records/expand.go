package records

// expand compiles expand paths into the SQL of the "expand" member
// ("NULL" when there are none).
func (sc *scope) expand(a *args, paths []string) (string, error) {
	return "NULL", nil
}
