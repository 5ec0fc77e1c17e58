package query

import "strings"

// Parse parses a filter expression. Input that is empty after trimming
// whitespace means "no filter": Parse returns a nil Expr and a nil error, and
// Compile/Eval treat a nil Expr as matching everything.
//
// Parse checks syntax only; field names are resolved by Compile and Eval,
// which need the schema. All errors are *Error.
func Parse(src string) (Expr, error) {
	if len(src) > MaxLength {
		return nil, errorf(MaxLength, "expression too long (max %d bytes)", MaxLength)
	}
	return parse(src)
}

// parse is Parse without the length limit (used to re-parse String output in tests).
func parse(src string) (Expr, error) {
	if strings.Trim(src, " \t\n\r") == "" {
		return nil, nil
	}
	toks, err := lex(src)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	e, err := p.or(0)
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tEOF {
		return nil, unexpected(t)
	}
	return e, nil
}

// parser is a recursive-descent parser over a pre-lexed token slice:
//
//	or      = and { "||" and }
//	and     = primary { "&&" primary }
//	primary = "(" or ")" | operand cmpop operand
//	operand = word | @path | string | number
type parser struct {
	toks []token
	i    int
}

func (p *parser) peek() token { return p.toks[p.i] }

func (p *parser) next() token {
	t := p.toks[p.i]
	if t.kind != tEOF {
		p.i++
	}
	return t
}

func unexpected(t token) error { return errorf(t.pos, "unexpected %s", t.describe()) }

func (p *parser) or(depth int) (Expr, error) {
	left, err := p.and(depth)
	for err == nil && p.peek().kind == tOr {
		p.next()
		var right Expr
		if right, err = p.and(depth); err == nil {
			left = &Logical{Op: Or, Left: left, Right: right}
		}
	}
	return left, err
}

func (p *parser) and(depth int) (Expr, error) {
	left, err := p.primary(depth)
	for err == nil && p.peek().kind == tAnd {
		p.next()
		var right Expr
		if right, err = p.primary(depth); err == nil {
			left = &Logical{Op: And, Left: left, Right: right}
		}
	}
	return left, err
}

func (p *parser) primary(depth int) (Expr, error) {
	if t := p.peek(); t.kind == tLParen {
		if depth >= MaxDepth {
			return nil, errorf(t.pos, "expression nested too deeply (max %d)", MaxDepth)
		}
		p.next()
		e, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if t := p.next(); t.kind != tRParen {
			return nil, unexpected(t)
		}
		return e, nil
	}
	left, err := p.operand()
	if err != nil {
		return nil, err
	}
	opTok := p.next()
	if opTok.kind != tCmp {
		return nil, unexpected(opTok)
	}
	right, err := p.operand()
	if err != nil {
		return nil, err
	}
	return &Comparison{Op: opTok.op, AnyOf: opTok.anyOf, OpPos: opTok.pos, Left: left, Right: right}, nil
}

func (p *parser) operand() (Operand, error) {
	t := p.next()
	switch t.kind {
	case tString:
		return &Literal{Value: t.str, Pos: t.pos}, nil
	case tNumber:
		return &Literal{Value: t.num, Pos: t.pos}, nil
	case tWord:
		if len(t.path) == 1 {
			switch t.path[0] {
			case "true":
				return &Literal{Value: true, Pos: t.pos}, nil
			case "false":
				return &Literal{Value: false, Pos: t.pos}, nil
			case "null":
				return &Literal{Value: nil, Pos: t.pos}, nil
			}
		}
		if len(t.path) > MaxPathSegments {
			return nil, errorf(t.pos, "field path too long (max %d segments)", MaxPathSegments)
		}
		return &Ident{Path: t.path, Pos: t.pos}, nil
	case tAt:
		return atOperand(t)
	}
	return nil, unexpected(t)
}

// atOperand interprets @macro, @record.<path> and @request.{auth,data}.<path>.
func atOperand(t token) (Operand, error) {
	path := t.path
	switch {
	case len(path) == 1 && isMacro(path[0]):
		return &Macro{Name: path[0], Pos: t.pos}, nil
	case path[0] == "record" && len(path) > 1:
		if len(path)-1 > MaxPathSegments {
			return nil, errorf(t.pos, "field path too long (max %d segments)", MaxPathSegments)
		}
		return &Ident{Path: path[1:], Record: true, Pos: t.pos}, nil
	case path[0] == "request" && len(path) > 2 && (path[1] == "auth" || path[1] == "data"):
		if len(path)-2 > MaxPathSegments {
			return nil, errorf(t.pos, "request path too long (max %d segments)", MaxPathSegments)
		}
		return &RequestRef{Scope: path[1], Path: path[2:], Pos: t.pos}, nil
	}
	return nil, errorf(t.pos, "unknown macro %q", t.text)
}
