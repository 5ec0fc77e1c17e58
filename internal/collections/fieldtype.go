package collections

import (
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"strings"
	"unicode/utf8"

	"fastcms/internal/query"
)

// FieldType is one kind of field: how it is stored, checked, rendered and
// compared. Each type lives in its own field_<type>.go; REST, GraphQL, CSV
// and rules all go through it, so adding a type touches one file.
type FieldType interface {
	// Column is the SQL type of the field's column.
	Column(f *Field) string
	// Kind says how internal/query compares the field.
	Kind(f *Field) query.Kind
	// Parse converts a JSON value (decoded with UseNumber) to the value bound
	// to the column, or says what is wrong with it. nil never reaches it.
	Parse(f *Field, v any) (any, string)
	// JSON is the SQL expression rendering column expression col as JSON.
	JSON(f *Field, col string) string
	// Define checks the type's own options in a field definition and names
	// the member at fault, e.g. ("select.values", "must list …").
	Define(f *Field) (member, why string)
}

var fieldTypes = map[string]FieldType{
	"text":     textType{},
	"editor":   textType{},
	"email":    emailType{},
	"url":      urlType{},
	"number":   numberType{},
	"bool":     boolType{},
	"date":     dateType{},
	"datetime": datetimeType{},
	"select":   selectType{},
	"relation": relationType{},
	"file":     fileType{},
	"json":     jsonType{},
}

// TypeOf returns the type of a field (definitions are validated, so it exists).
func TypeOf(f *Field) FieldType { return fieldTypes[f.Type] }

// ParseValue checks and converts one input value of field f: nil means
// NULL and is checked against required; everything else goes through the
// field's type and then the common checks of its Validation.
func ParseValue(f *Field, v any) (any, string) {
	if v == nil {
		if f.Validation.Required {
			return nil, "is required"
		}
		return nil, ""
	}
	out, why := TypeOf(f).Parse(f, v)
	if why != "" {
		return nil, why
	}
	if f.Validation.Required && isEmpty(out) {
		return nil, "is required"
	}
	return out, ""
}

func isEmpty(v any) bool {
	switch x := v.(type) {
	case string:
		return x == ""
	case []string:
		return len(x) == 0
	}
	return false
}

// textual is the shared parse of the string types: length and pattern.
func textual(f *Field, v any) (string, string) {
	s, ok := v.(string)
	if !ok {
		return "", "must be a string"
	}
	if !utf8.ValidString(s) || strings.ContainsRune(s, 0) {
		return "", "must be valid UTF-8 text without NUL characters"
	}
	n := utf8.RuneCountInString(s)
	if f.Validation.MinLength != nil && n < *f.Validation.MinLength && n > 0 {
		return "", fmt.Sprintf("must be at least %d characters", *f.Validation.MinLength)
	}
	if f.Validation.MaxLength != nil && n > *f.Validation.MaxLength {
		return "", fmt.Sprintf("must be at most %d characters", *f.Validation.MaxLength)
	}
	if f.Validation.Pattern != "" && s != "" {
		re, err := compilePattern(f.Validation.Pattern)
		if err != nil || !re.MatchString(s) {
			return "", "does not match the pattern " + f.Validation.Pattern
		}
	}
	if len(f.Validation.Values) > 0 && s != "" && !contains(f.Validation.Values, s) {
		return "", "must be one of " + strings.Join(f.Validation.Values, ", ")
	}
	return s, ""
}

// compilePattern anchors a pattern for a full match. Go's RE2 engine runs
// in time linear in the input, so a pattern cannot be made to blow up.
func compilePattern(p string) (*regexp.Regexp, error) {
	return regexp.Compile(`^(?:` + p + `)$`)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// number reads a JSON number as a finite float64.
func number(v any) (float64, bool) {
	var x float64
	switch n := v.(type) {
	case json.Number:
		f, err := n.Float64()
		if err != nil {
			return 0, false
		}
		x = f
	case float64:
		x = n
	case int:
		x = float64(n)
	default:
		return 0, false
	}
	return x, !math.IsNaN(x) && !math.IsInf(x, 0)
}

// plainJSON renders a column whose to_json is already the API's shape.
func plainJSON(col string) string { return "to_json(" + col + ")" }
