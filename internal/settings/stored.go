package settings

import "encoding/json"

// Stored is the value of key as set through the API, as text (a string
// as is, any other value as its JSON), or false when it is not stored:
// for settings read once at start, whose defaults and environment values
// their reader applies itself (the storage backend).
func (s *Snapshot) Stored(key string) (string, bool) {
	e := s.entries[key]
	if e == nil || e.Source != SourceDatabase {
		return "", false
	}
	var text string
	if json.Unmarshal(e.Value, &text) == nil {
		return text, true
	}
	return string(e.Value), true
}
