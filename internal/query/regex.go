package query

import (
	"errors"
	"regexp"
	"regexp/syntax"
	"strings"
)

// MaxPatternLength bounds like and regex patterns.
const MaxPatternLength = 1024

// matcher is how Eval runs a like or regex function: Go's RE2, which
// matches in linear time.
type matcher interface{ MatchString(string) bool }

// newMatcher compiles the pattern of a like or regex function for Eval and
// checks that the SQL back end will read it the same way.
func newMatcher(fn Func, pattern string) (matcher, error) {
	if len(pattern) > MaxPatternLength {
		return nil, errors.New("the pattern is too long")
	}
	like, ok := likeRegexp(pattern)
	if !ok {
		return nil, errors.New("the pattern ends with an escape character")
	}
	src := "(?s)^" + like + "$"
	if fn == FuncRegex || fn == FuncIRegex {
		if err := checkRegex(pattern); err != nil {
			return nil, err
		}
		src = "(?s)" + pattern
	}
	if fn == FuncILike || fn == FuncNotILike || fn == FuncIRegex {
		src = "(?i)" + src
	}
	return regexp.Compile(src)
}

// checkRegex accepts only patterns that RE2 and PostgreSQL's regular
// expressions read alike, so that both back ends agree and no pattern can
// make PostgreSQL's backtracking engine run for long: RE2 has no
// backreferences or lookaround and refuses them when it parses. Escapes
// that mean other things in PostgreSQL (\b is a backspace there, \B a
// backslash; \p, \Q and \x{…} do not exist there) and inline flag groups
// (whose letters differ) are refused too; _iregex covers case folding.
func checkRegex(p string) error {
	for i := 0; i < len(p); i++ {
		switch {
		case p[i] == '\\' && i+1 < len(p):
			i++
			switch p[i] {
			case 'b', 'B', 'p', 'P', 'Q', 'E', 'C', 'z', 'A':
				return errors.New(`the escape \` + p[i:i+1] + ` is not supported`)
			case 'x':
				if i+1 < len(p) && p[i+1] == '{' {
					return errors.New(`the escape \x{…} is not supported`)
				}
			}
		case strings.HasPrefix(p[i:], "(?"):
			return errors.New("groups starting with (? are not supported")
		}
	}
	if _, err := syntax.Parse(p, syntax.Perl); err != nil {
		var se *syntax.Error
		if errors.As(err, &se) {
			return errors.New(string(se.Code) + ": " + se.Expr)
		}
		return err
	}
	return nil
}

// likeRegexp turns a LIKE pattern (% and _ wildcards, \ escapes) into a
// regular expression; ok is false when p ends in a lone escape, which
// PostgreSQL refuses.
func likeRegexp(p string) (re string, ok bool) {
	var b strings.Builder
	escaped := false
	for _, r := range p {
		switch {
		case escaped:
			b.WriteString(regexp.QuoteMeta(string(r)))
			escaped = false
		case r == '\\':
			escaped = true
		case r == '%':
			b.WriteString(".*")
		case r == '_':
			b.WriteString(".")
		default:
			b.WriteString(regexp.QuoteMeta(string(r)))
		}
	}
	return b.String(), !escaped
}
