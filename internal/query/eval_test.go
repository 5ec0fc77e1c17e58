package query

import (
	"errors"
	"testing"
	"time"
)

func TestEval(t *testing.T) {
	pub := map[string]any{"id": "p1", "name": "Penguin"}
	ann := map[string]any{"id": uuid1, "name": "Ann", "age": 41, "nick": []string{"annie"}, "publisher": pub}
	bob := map[string]any{"id": "b", "name": "Bob", "age": 25.0, "nick": nil, "publisher": nil}
	rec := map[string]any{
		"id":        uuid1,
		"title":     "Hello 50%_World",
		"status":    nil,
		"views":     10,
		"published": true,
		"day":       time.Date(2024, 2, 29, 0, 0, 0, 0, time.FixedZone("X", -8*3600)),
		"created":   time.Date(2024, 2, 29, 23, 30, 0, 0, time.FixedZone("Y", 3600)), // 22:30 UTC
		"meta":      map[string]any{"a": 1},
		"tags":      []any{"go", nil, "Rust"},
		"author":    ann,
		"editors":   []any{ann, bob},
	}
	req := Request{Auth: map[string]any{"id": uuid1}, Data: map[string]any{"title": "hello"}}
	tests := []struct {
		in   string
		want bool
	}{
		{``, true},
		{`title = "Hello 50%_World"`, true},
		{`title ~ "50%_w"`, true},
		{`title ~ "50%w"`, false},
		{`title !~ "xyz"`, true},
		{`status = null`, true},
		{`status != "x"`, true},
		{`status = "x"`, false},
		{`status < "x" || status > "x"`, false},
		{`status !~ "x"`, true},
		{`status ~ ""`, false},
		{`title ~ ""`, true},
		{`views = 10 && views > 9.5 && views <= 10`, true},
		{`published = true && published > false`, true},
		{`day = "2024-02-29" && day = @today && day = @todayEnd && day < @tomorrow && day > @yesterday`, true},
		{`created > @now && created < @tomorrow && created <= @todayEnd`, true},
		{`created = "2024-02-29T22:30:00Z"`, true},
		{`day = created`, true},
		{`created >= @monthStart && created <= @monthEnd && created >= @yearStart && created <= @yearEnd`, true},
		{`meta != null`, true},
		{`tags != null && tags ?= "go" && tags ?~ "rus" && tags ?= null`, true},
		{`tags ?= "rust"`, false},
		{`tags ?!= "go"`, true},
		{`tags = null`, false},
		{`id = @request.auth.id && author = @request.auth.id && author.id = @request.auth.id`, true},
		{`title ~ @request.data.title`, true},
		{`@request.data.missing = null`, true},
		{`author.name = "Ann" && author.age > 40 && author.publisher.name = "Penguin"`, true},
		{`author.nick ?= "annie"`, true},
		{`editors ?= "b" && editors ?= "` + uuid1 + `"`, true},
		{`editors.name ?= "Bob" && editors.age ?< 30`, true},
		{`editors.publisher.name ?= "Penguin"`, true},
		{`editors.publisher.name ?= null`, false}, // Bob has no publisher: no element, not a NULL one
		{`editors.nick ?= "annie"`, true},
		{`views = 1 || views = 10 && title = "x"`, false},
		{`(views = 1 || views = 10) && title ~ "hello"`, true},
	}
	for _, tt := range tests {
		e, err := Parse(tt.in)
		if err != nil {
			t.Fatalf("Parse(%q): %v", tt.in, err)
		}
		got, err := Eval(e, posts, rec, Options{Now: testNow, Request: req})
		if err != nil {
			t.Errorf("Eval(%q): %v", tt.in, err)
			continue
		}
		if got != tt.want {
			t.Errorf("Eval(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestEvalMissingRelation(t *testing.T) {
	rec := map[string]any{"author": nil, "editors": nil}
	for in, want := range map[string]bool{
		`author.name = null`:           true,
		`author.name != "x"`:           true,
		`author.publisher.name = null`: true,
		`author.nick = null`:           true,
		`editors ?= null`:              false,
		`editors = null`:               true,
		`editors.name ?!= "x"`:         false,
	} {
		e, _ := Parse(in)
		got, err := Eval(e, posts, rec, Options{})
		if err != nil || got != want {
			t.Errorf("Eval(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestEvalErrors(t *testing.T) {
	e, _ := Parse(`author.name = "x"`)
	if _, err := Eval(e, posts, map[string]any{"author": uuid1}, Options{}); err == nil {
		t.Error("unexpanded relation: want error")
	}
	e, _ = Parse(`views = 1`)
	if _, err := Eval(e, posts, map[string]any{"views": "1"}, Options{}); err == nil {
		t.Error("wrong Go type: want error")
	}
	e, _ = Parse(`nope = 1`)
	var qe *Error
	if _, err := Eval(e, posts, nil, Options{}); !errors.As(err, &qe) || qe.Pos != 0 {
		t.Errorf("unknown field: got %v", err)
	}
}
