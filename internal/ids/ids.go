// Package ids checks record and user ids, so a malformed id becomes a clean
// 404 or 422 instead of a PostgreSQL cast error.
package ids

// IsUUID reports whether s is a UUID in the 8-4-4-4-12 hex form (any case).
func IsUUID(s string) bool {
	if len(s) != 36 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch i {
		case 8, 13, 18, 23:
			if c != '-' {
				return false
			}
		default:
			if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F') {
				return false
			}
		}
	}
	return true
}
