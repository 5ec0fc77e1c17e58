package query

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

type tokKind int

const (
	tEOF    tokKind = iota
	tWord           // bare word or dotted path: title, author.name, true
	tAt             // @-prefixed path: @now, @request.auth.id, @record.title
	tString         // quoted string, decoded into str
	tNumber         // number, value in num
	tCmp            // comparison operator in op/anyOf
	tAnd            // &&
	tOr             // ||
	tLParen         // (
	tRParen         // )
)

type token struct {
	kind  tokKind
	pos   int
	text  string   // source text, used in error messages
	path  []string // tWord, tAt
	str   string   // tString
	num   float64  // tNumber
	op    Op       // tCmp
	anyOf bool     // tCmp
}

// describe renders a token for "unexpected ..." messages.
func (t token) describe() string {
	if t.kind == tEOF {
		return "end of expression"
	}
	return strconv.Quote(t.text)
}

// lex splits src into tokens, ending with a tEOF token.
func lex(src string) ([]token, error) {
	var toks []token
	for i := 0; ; {
		for i < len(src) && isSpace(src[i]) {
			i++
		}
		if i >= len(src) {
			return append(toks, token{kind: tEOF, pos: i}), nil
		}
		t, err := lexOne(src, i)
		if err != nil {
			return nil, err
		}
		toks = append(toks, t)
		i = t.pos + len(t.text)
	}
}

func lexOne(src string, i int) (token, error) {
	c := src[i]
	switch {
	case c == '(':
		return token{kind: tLParen, pos: i, text: "("}, nil
	case c == ')':
		return token{kind: tRParen, pos: i, text: ")"}, nil
	case c == '&' || c == '|':
		if i+1 < len(src) && src[i+1] == c {
			k := tAnd
			if c == '|' {
				k = tOr
			}
			return token{kind: k, pos: i, text: src[i : i+2]}, nil
		}
	case c == '"' || c == '\'':
		return lexString(src, i)
	case isDigit(c) || (c == '-' && i+1 < len(src) && isDigit(src[i+1])):
		return lexNumber(src, i)
	case isWordStart(c):
		return lexWord(src, i, i, tWord)
	case c == '@':
		if i+1 < len(src) && isWordStart(src[i+1]) {
			return lexWord(src, i, i+1, tAt)
		}
	default:
		if t, ok := lexOp(src, i); ok {
			return t, nil
		}
	}
	return token{}, errorf(i, "unexpected %s", strconv.Quote(runeAt(src, i)))
}

// lexOp recognises = != > >= < <= ~ !~ and their ?-prefixed any-of forms.
func lexOp(src string, i int) (token, bool) {
	start, anyOf := i, false
	if src[i] == '?' {
		anyOf = true
		i++
	}
	rest := src[i:]
	for _, cand := range []struct {
		s  string
		op Op
	}{{"!=", Neq}, {"!~", NotLike}, {">=", Gte}, {"<=", Lte}, {"=", Eq}, {">", Gt}, {"<", Lt}, {"~", Like}} {
		if strings.HasPrefix(rest, cand.s) {
			end := i + len(cand.s)
			return token{kind: tCmp, pos: start, text: src[start:end], op: cand.op, anyOf: anyOf}, true
		}
	}
	return token{}, false
}

func lexString(src string, start int) (token, error) {
	q := src[start]
	var b strings.Builder
	for i := start + 1; i < len(src); i++ {
		c := src[i]
		switch c {
		case q:
			return token{kind: tString, pos: start, text: src[start : i+1], str: b.String()}, nil
		case '\\':
			if i+1 >= len(src) {
				return token{}, errorf(start, "unterminated string")
			}
			switch e := src[i+1]; e {
			case '"', '\'', '\\':
				b.WriteByte(e)
			case 'n':
				b.WriteByte('\n')
			case 't':
				b.WriteByte('\t')
			default:
				return token{}, errorf(i, "invalid escape %s", strconv.Quote("\\"+runeAt(src, i+1)))
			}
			i++
		default:
			b.WriteByte(c)
		}
	}
	return token{}, errorf(start, "unterminated string")
}

func lexNumber(src string, start int) (token, error) {
	i := start
	if src[i] == '-' {
		i++
	}
	for i < len(src) && isDigit(src[i]) {
		i++
	}
	if i+1 < len(src) && src[i] == '.' && isDigit(src[i+1]) {
		i += 2
		for i < len(src) && isDigit(src[i]) {
			i++
		}
	}
	if i < len(src) && (isWordChar(src[i]) || src[i] == '.') {
		return token{}, errorf(start, "invalid number")
	}
	text := src[start:i]
	v, err := strconv.ParseFloat(text, 64)
	if err != nil || math.IsInf(v, 0) {
		return token{}, errorf(start, "number %s out of range", text)
	}
	return token{kind: tNumber, pos: start, text: text, num: v}, nil
}

// lexWord lexes a path starting at from into a token of kind k starting at start.
func lexWord(src string, start, from int, k tokKind) (token, error) {
	path, end, err := lexPath(src, from)
	if err != nil {
		return token{}, err
	}
	return token{kind: k, pos: start, text: src[start:end], path: path}, nil
}

// lexPath reads word('.'word)* starting at i and returns the segments and end offset.
func lexPath(src string, i int) ([]string, int, error) {
	var path []string
	for {
		s := i
		for i < len(src) && isWordChar(src[i]) {
			i++
		}
		path = append(path, src[s:i])
		if i+1 < len(src) && src[i] == '.' && isWordStart(src[i+1]) {
			i++
			continue
		}
		if i < len(src) && src[i] == '.' {
			return nil, 0, errorf(i, "unexpected \".\"")
		}
		return path, i, nil
	}
}

func runeAt(s string, i int) string {
	_, n := utf8.DecodeRuneInString(s[i:])
	return s[i : i+n]
}

func isSpace(c byte) bool     { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }
func isDigit(c byte) bool     { return c >= '0' && c <= '9' }
func isWordStart(c byte) bool { return c == '_' || (c|0x20 >= 'a' && c|0x20 <= 'z') }
func isWordChar(c byte) bool  { return isWordStart(c) || isDigit(c) }
