package graph

import (
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/validator"
	"github.com/vektah/gqlparser/v2/validator/core"
	"github.com/vektah/gqlparser/v2/validator/rules"
)

// Bounds on the work of validating one document, which runs before the
// depth and complexity limits (and before authentication) on every
// transport: POST, GET and each websocket subscribe message.
//
// gqlparser's OverlappingFieldsCanBeMerged rule compares every pair of
// fields that share a response key, and reports each conflicting pair: N
// aliases of one field with different arguments cost N²/2 comparisons and
// as many errors (a 21 KB document made a 100 MB response). The parser's
// token limit bounds the document; these bound the rule, and the errors.
const (
	// maxSameKey is how many fields one selection set may select under one
	// response key, counting those its fragments bring in. Real documents
	// repeat a key a few times at most (to merge fragments).
	maxSameKey = 100
	// maxFieldPairs bounds the field comparisons of the whole document: the
	// pairs within each group of fields that share a response key, weighted
	// by nesting depth (the rule compares a nested group again for each
	// enclosing pair).
	maxFieldPairs = 20000
	// maxFieldVisits bounds the walk that counts those pairs, which visits
	// a fragment once for each place it is spread. Far above what any
	// document within the complexity limit selects.
	maxFieldVisits = 100000
	// maxValidationErrors is how many validation errors a response lists.
	maxValidationErrors = 20
)

// DefaultMaxTokens is the parser's token limit when none is configured:
// three tokens (alias, colon, name) for each of the 5000 fields that the
// default complexity limit admits, so the token limit refuses no document
// that the complexity limit would accept, yet bounds parsing and the AST
// at about 15,000 nodes (the body limit alone allows a million).
const DefaultMaxTokens = 15000

// validationRules is the default rule set with OverlappingFieldsCanBeMerged
// bounded (boundedOverlaps) and with at most maxValidationErrors errors
// reported, the last of them saying that more were left out. gqlgen calls
// it once per validated document, so the count is per document.
func validationRules() *rules.Rules {
	rs := rules.NewDefaultRules()
	rs.ReplaceRule(rules.OverlappingFieldsCanBeMergedRule.Name, boundedOverlaps)
	out := rules.NewRules()
	errs := 0
	for name, fn := range rs.GetInner() {
		out.AddRule(name, func(observers *core.Events, addError core.AddErrFunc) {
			fn(observers, func(options ...core.ErrorOption) {
				errs++
				switch {
				case errs <= maxValidationErrors:
					addError(options...)
				case errs == maxValidationErrors+1:
					addError(core.Message("too many validation errors: only the first %d are reported", maxValidationErrors))
				}
			})
		})
	}
	return out
}

// boundedOverlaps runs gqlparser's OverlappingFieldsCanBeMerged over the
// document once its cost is known to be bounded (repetition); otherwise
// it reports why the document is refused and skips the rule.
func boundedOverlaps(observers *core.Events, addError core.AddErrFunc) {
	done := false
	observers.OnOperation(func(w *core.Walker, _ *ast.OperationDefinition) {
		if done {
			return
		}
		done = true
		if err := repetition(w.Document); err != nil {
			addError(copyError(err))
			return
		}
		only := rules.NewRules(rules.OverlappingFieldsCanBeMergedRule)
		for _, err := range validator.ValidateWithRules(w.Schema, w.Document, only) {
			addError(copyError(err))
		}
	})
}

// copyError reports err, found by a nested validation, as this rule's.
func copyError(err *gqlerror.Error) core.ErrorOption {
	return func(e *gqlerror.Error) {
		e.Message = err.Message
		e.Locations = append(e.Locations, err.Locations...)
	}
}

// repetition refuses a document whose overlapping-fields check would
// exceed maxSameKey or maxFieldPairs. It merges the fields that share a
// response key, as the rule does, and counts the pairs of each group; a
// group's children are merged again. A fragment is expanded once per
// path (the rule compares a pair of fragments once; a cycle is another
// rule's error). Walking stops at maxFieldVisits.
func repetition(doc *ast.QueryDocument) *gqlerror.Error {
	r := repeats{doc: doc}
	for _, op := range doc.Operations {
		if err := r.check([]ast.SelectionSet{op.SelectionSet}, 1, nil); err != nil {
			return err
		}
	}
	for _, f := range doc.Fragments {
		if err := r.check([]ast.SelectionSet{f.SelectionSet}, 1, map[string]bool{f.Name: true}); err != nil {
			return err
		}
	}
	return nil
}

type repeats struct {
	doc    *ast.QueryDocument
	pairs  int
	visits int
}

// check counts the fields of sets, merged; expanded holds the fragments
// that enclosing levels expanded.
func (r *repeats) check(sets []ast.SelectionSet, depth int, expanded map[string]bool) *gqlerror.Error {
	var keys []string
	groups := map[string][]*ast.Field{}
	seen := make(map[string]bool, len(expanded))
	for name := range expanded {
		seen[name] = true
	}
	var collect func(set ast.SelectionSet) *gqlerror.Error
	collect = func(set ast.SelectionSet) *gqlerror.Error {
		for _, sel := range set {
			if r.visits++; r.visits > maxFieldVisits {
				return tooRepetitive(fmt.Sprintf("the document selects more than %d fields once its fragments are spread", maxFieldVisits), nil)
			}
			switch s := sel.(type) {
			case *ast.Field:
				key := s.Alias
				if key == "" {
					key = s.Name
				}
				if groups[key] == nil {
					keys = append(keys, key)
				}
				groups[key] = append(groups[key], s)
			case *ast.InlineFragment:
				if err := collect(s.SelectionSet); err != nil {
					return err
				}
			case *ast.FragmentSpread:
				// Once per path; an unknown fragment is another
				// rule's error.
				f := r.doc.Fragments.ForName(s.Name)
				if f == nil || seen[s.Name] {
					continue
				}
				seen[s.Name] = true
				if err := collect(f.SelectionSet); err != nil {
					return err
				}
			}
		}
		return nil
	}
	for _, set := range sets {
		if err := collect(set); err != nil {
			return err
		}
	}
	for _, key := range keys {
		fields := groups[key]
		n := len(fields)
		if n > maxSameKey {
			return tooRepetitive(fmt.Sprintf("%d fields of one selection set share the response key %q; at most %d may", n, key, maxSameKey), fields[0].Position)
		}
		if r.pairs += n * (n - 1) / 2 * depth; r.pairs > maxFieldPairs {
			return tooRepetitive(fmt.Sprintf("the document repeats response keys too often: checking that its fields merge would take more than %d comparisons", maxFieldPairs), fields[0].Position)
		}
		var children []ast.SelectionSet
		for _, f := range fields {
			if len(f.SelectionSet) > 0 {
				children = append(children, f.SelectionSet)
			}
		}
		if len(children) == 0 {
			continue
		}
		if err := r.check(children, depth+1, seen); err != nil {
			return err
		}
	}
	return nil
}

func tooRepetitive(msg string, at *ast.Position) *gqlerror.Error {
	err := &gqlerror.Error{Message: msg}
	if at != nil {
		err.Locations = []gqlerror.Location{{Line: at.Line, Column: at.Column}}
	}
	return err
}
