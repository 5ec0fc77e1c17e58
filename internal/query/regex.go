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
	switch fn {
	case FuncRegex, FuncIRegex:
		if err := checkRegex(pattern); err != nil {
			return nil, err
		}
		src = "(?s)" + pattern
		if fn == FuncIRegex {
			src = "(?i)" + src
		}
	case FuncILike, FuncNotILike:
		// ILIKE compares lower-cased text, as ~ does (see compare).
		like, _ = likeRegexp(strings.ToLower(pattern))
		re, err := regexp.Compile("(?s)^" + like + "$")
		return lowered{re}, err
	}
	return regexp.Compile(src)
}

// lowered matches the lower-cased text.
type lowered struct{ re *regexp.Regexp }

func (l lowered) MatchString(s string) bool { return l.re.MatchString(strings.ToLower(s)) }

// checkRegex accepts only patterns that RE2 and PostgreSQL's regular
// expressions read alike, so that both back ends agree and no pattern can
// make PostgreSQL's backtracking engine run for long: RE2 has no
// backreferences or lookaround and refuses them when it parses. Refused
// too: escapes that mean other things in PostgreSQL (\b is a backspace
// there, \B a backslash, \1 a backreference where RE2 reads \10 as octal;
// \p, \Q and \x{…} do not exist there), inline
// flag groups (whose letters differ; _iregex covers case), and character
// classes whose members depend on the database's locale in PostgreSQL but
// are ASCII in RE2 (\d \w \s and their negations, [[:alpha:]] and the
// other bracket classes): write [0-9] or [a-z] instead.
func checkRegex(p string) error {
	inBracket := false
	for i := 0; i < len(p); i++ {
		switch c := p[i]; {
		case c == '\\' && i+1 < len(p):
			i++
			switch p[i] {
			case 'b', 'B', 'p', 'P', 'Q', 'E', 'C', 'z', 'A', 'd', 'D', 'w', 'W', 's', 'S',
				'0', '1', '2', '3', '4', '5', '6', '7', '8', '9': // backreferences, or octal in RE2
				return errors.New(`the escape \` + p[i:i+1] + ` is not supported`)
			case 'x':
				if i+1 < len(p) && p[i+1] == '{' {
					return errors.New(`the escape \x{…} is not supported`)
				}
			}
		case inBracket && c == '[' && i+1 < len(p) && strings.IndexByte(":=.", p[i+1]) >= 0:
			return errors.New("character classes such as [:alpha:] are not supported")
		case inBracket && c == ']':
			inBracket = false
		case !inBracket && c == '[':
			inBracket = true
			if strings.HasPrefix(p[i+1:], "^") {
				i++
			}
			if strings.HasPrefix(p[i+1:], "]") {
				i++ // a leading ] is a member
			}
		case !inBracket && strings.HasPrefix(p[i:], "(?"):
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
