package query

import (
	"errors"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	tests := []struct{ in, want string }{
		{`title = "x"`, `title = "x"`},
		{`title='x'`, `title = "x"`},
		{`a=1 && b=2 || c=3`, `a = 1 && b = 2 || c = 3`},
		{`a=1 || b=2 && c=3`, `a = 1 || b = 2 && c = 3`},
		{`(a=1 || b=2) && c=3`, `(a = 1 || b = 2) && c = 3`},
		{`a=1 && (b=2 && c=3)`, `a = 1 && (b = 2 && c = 3)`},
		{`((a=1))`, `a = 1`},
		{`a != 1 && a > 1 && a >= 1 && a < 1 && a <= 1 && a ~ "x" && a !~ "x"`,
			`a != 1 && a > 1 && a >= 1 && a < 1 && a <= 1 && a ~ "x" && a !~ "x"`},
		{`t ?= 1 && t ?!= 1 && t ?> 1 && t ?>= 1 && t ?< 1 && t ?<= 1 && t ?~ "x" && t ?!~ "x"`,
			`t ?= 1 && t ?!= 1 && t ?> 1 && t ?>= 1 && t ?< 1 && t ?<= 1 && t ?~ "x" && t ?!~ "x"`},
		{`a = -1.50`, `a = -1.5`},
		{`a = 007`, `a = 7`},
		{`a = true || a = false || a = null`, `a = true || a = false || a = null`},
		{`a = "q\"u\\o\n\t'"`, `a = "q\"u\\o\n\t'"`},
		{`a = 'it\'s'`, `a = "it's"`},
		{`a = "日本語"`, `a = "日本語"`},
		{`status=published`, `status = published`},
		{`author.name = x.y.z`, `author.name = x.y.z`},
		{`@record.title = @request.auth.id`, `@record.title = @request.auth.id`},
		{`@request.data.a.b != @request.auth.role`, `@request.data.a.b != @request.auth.role`},
		{`created > @now && d < @todayEnd && d > @yesterday`, `created > @now && d < @todayEnd && d > @yesterday`},
		{" \n\ta\t=\r\n1 ", `a = 1`},
		{`1 = a`, `1 = a`},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Errorf("Parse(%q): %v", tt.in, err)
			continue
		}
		if got := e.String(); got != tt.want {
			t.Errorf("Parse(%q).String() = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseTree(t *testing.T) {
	e, err := Parse(`a=1 || b=2 && c=3`)
	if err != nil {
		t.Fatal(err)
	}
	or, ok := e.(*Logical)
	if !ok || or.Op != Or {
		t.Fatalf("top is %#v, want ||", e)
	}
	if and, ok := or.Right.(*Logical); !ok || and.Op != And {
		t.Fatalf("right is %#v, want &&", or.Right)
	}
	c := or.Left.(*Comparison)
	if c.OpPos != 1 || c.Left.Position() != 0 || c.Right.Position() != 2 {
		t.Errorf("positions: op %d left %d right %d", c.OpPos, c.Left.Position(), c.Right.Position())
	}
	e, _ = Parse(`tags ?!~ 'x'`)
	if c := e.(*Comparison); !c.AnyOf || c.Op != NotLike {
		t.Errorf("got %#v", c)
	}
	e, _ = Parse(`a = x.y && @record.b = 1 && @request.auth.id = @now`)
	want := []Operand{
		&Ident{Path: []string{"a"}}, &Ident{Path: []string{"x", "y"}, Pos: 4},
		&Ident{Path: []string{"b"}, Record: true, Pos: 11}, &Literal{Value: 1.0, Pos: 23},
		&RequestRef{Scope: "auth", Path: []string{"id"}, Pos: 28}, &Macro{Name: "now", Pos: 47},
	}
	var got []Operand
	walk(e, func(c *Comparison) { got = append(got, c.Left, c.Right) })
	for i := range want {
		if got[i].String() != want[i].String() || got[i].Position() != want[i].Position() {
			t.Errorf("operand %d = %s@%d, want %s@%d", i, got[i], got[i].Position(), want[i], want[i].Position())
		}
	}
}

func walk(e Expr, f func(*Comparison)) {
	switch e := e.(type) {
	case *Logical:
		walk(e.Left, f)
		walk(e.Right, f)
	case *Comparison:
		f(e)
	}
}

func TestParseEmpty(t *testing.T) {
	for _, in := range []string{"", "   ", "\n\t"} {
		e, err := Parse(in)
		if e != nil || err != nil {
			t.Errorf("Parse(%q) = %v, %v; want nil, nil", in, e, err)
		}
	}
}

func TestParseErrors(t *testing.T) {
	deep := strings.Repeat("(", MaxDepth+1) + "a=1" + strings.Repeat(")", MaxDepth+1)
	ok := strings.Repeat("(", MaxDepth) + "a=1" + strings.Repeat(")", MaxDepth)
	if _, err := Parse(ok); err != nil {
		t.Errorf("depth %d: %v", MaxDepth, err)
	}
	tests := []struct {
		in  string
		pos int
		msg string
	}{
		{`a = 1)`, 5, `unexpected ")" at position 5`},
		{`(a = 1`, 6, `unexpected end of expression at position 6`},
		{`a = `, 4, `unexpected end of expression at position 4`},
		{`a`, 1, `unexpected end of expression at position 1`},
		{`a = 1 b = 2`, 6, `unexpected "b" at position 6`},
		{`a = 1 &&`, 8, `unexpected end of expression at position 8`},
		{`a = 1 & b = 2`, 6, `unexpected "&" at position 6`},
		{`a == 1`, 3, `unexpected "=" at position 3`},
		{`a ! 1`, 2, `unexpected "!" at position 2`},
		{`a = "abc`, 4, `unterminated string at position 4`},
		{`a = 'abc\'`, 4, `unterminated string at position 4`},
		{`a = "a\x"`, 6, `invalid escape "\\x" at position 6`},
		{`a = 1x`, 4, `invalid number at position 4`},
		{`a = 1.`, 4, `invalid number at position 4`},
		{`a = 1.2.3`, 4, `invalid number at position 4`},
		{`a = - 1`, 4, `unexpected "-" at position 4`},
		{`a. = 1`, 1, `unexpected "." at position 1`},
		{`a = @foo`, 4, `unknown macro "@foo" at position 4`},
		{`a = @request.auth`, 4, `unknown macro "@request.auth" at position 4`},
		{`a = @request.foo.x`, 4, `unknown macro "@request.foo.x" at position 4`},
		{`@record = 1`, 0, `unknown macro "@record" at position 0`},
		{`a = @`, 4, `unexpected "@" at position 4`},
		{`a.b.c.d.e.f.g = 1`, 0, `field path too long (max 6 segments) at position 0`},
		{`() `, 1, `unexpected ")" at position 1`},
		{`a = (1)`, 4, `unexpected "(" at position 4`},
		{`a = 1 && é = 2`, 9, `unexpected "é" at position 9`},
		{`a ?? 1`, 2, `unexpected "?" at position 2`},
		{"a = 1e999", 4, `invalid number at position 4`},
		{deep, MaxDepth, `expression nested too deeply (max 32) at position 32`},
		{strings.Repeat(" ", MaxLength) + "a=1", MaxLength, `expression too long (max 4096 bytes) at position 4096`},
	}
	for _, tt := range tests {
		_, err := Parse(tt.in)
		var qe *Error
		if !errors.As(err, &qe) {
			t.Errorf("Parse(%q) error = %v, want *Error", tt.in, err)
			continue
		}
		if qe.Pos != tt.pos || qe.Message != tt.msg {
			t.Errorf("Parse(%q) = {%d, %q}, want {%d, %q}", tt.in, qe.Pos, qe.Message, tt.pos, tt.msg)
		}
	}
}
