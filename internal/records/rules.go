package records

import (
	"strings"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/query"
)

// action names what a rule guards, for messages.
type action string

const (
	actList   action = "list"
	actView   action = "view"
	actCreate action = "create"
	actUpdate action = "update"
	actDelete action = "delete"
)

// scope is one request's view of one collection: who asks, which fields
// they see, and how rules and filters compile for them.
type scope struct {
	snap *collections.Snapshot
	c    *collections.Collection
	p    *auth.Principal
	opts query.Options
}

func newScope(snap *collections.Snapshot, c *collections.Collection, p *auth.Principal, data map[string]any) *scope {
	// As in PocketBase, an anonymous caller's @request.auth.id is "", so
	// `@request.auth.id != ""` is the idiom for "signed in".
	authMap := map[string]any{"id": "", "email": "", "role": "", "verified": false}
	if p != nil {
		authMap = map[string]any{"id": p.UserID, "email": p.Email, "role": p.Role, "verified": p.Verified}
	}
	if data == nil {
		data = map[string]any{}
	}
	return &scope{snap: snap, c: c, p: p, opts: query.Options{Alias: alias, Request: query.Request{Auth: authMap, Data: data}}}
}

// fields is what the caller may read and filter on: hidden fields are for
// admins, and relation paths reach only related records the caller may view.
func (s *scope) fields() query.Fields { return s.snap.ClientFields(s.c, s.p.IsAdmin()) }

// ruleFields is what the collection's rules read: everything, since admins
// write them.
func (s *scope) ruleFields() query.Fields { return s.snap.RuleFields(s.c) }

func (s *scope) visible(name string) *collections.Field {
	f := s.c.Field(name)
	if f == nil || (f.Hidden && !s.p.IsAdmin()) {
		return nil
	}
	return f
}

// shown are the data fields the caller sees, in definition order.
func (s *scope) shown() []*collections.Field {
	out := make([]*collections.Field, 0, len(s.c.Fields))
	for _, f := range s.c.Fields {
		if !f.Hidden || s.p.IsAdmin() {
			out = append(out, f)
		}
	}
	return out
}

// rule compiles the rule guarding act into a condition on the row, bound
// into a. A nil rule lets only admins through; "" lets everyone.
func (s *scope) rule(a *args, act action, rule *string) (string, error) {
	if s.p.IsAdmin() {
		return "TRUE", nil
	}
	if rule == nil {
		if s.p == nil {
			return "", apierr.Unauthorized("authentication required")
		}
		return "", apierr.Forbidden("only admins may %s records of %s", act, s.c.Name)
	}
	if strings.TrimSpace(*rule) == "" {
		return "TRUE", nil
	}
	return s.compileRule(a, *rule, s.ruleFields())
}

// shutOut is the 401/403 of a caller that a null (admins-only) rule bars
// whatever the request holds, else nil. Writes call it before validating
// data or sending any SQL, so a barred caller learns nothing from the
// answer: no field names, no unique-value or related-record oracle.
func (s *scope) shutOut(act action, rule *string) error {
	if rule != nil || s.p.IsAdmin() {
		return nil
	}
	_, err := s.rule(&args{}, act, rule)
	return err
}

// createShutOut is shutOut for creates. Besides a null create rule, a
// required hidden field bars non-admins (who cannot write hidden fields)
// as an admins-only rule does, without naming the field.
func (s *scope) createShutOut() error {
	if err := s.shutOut(actCreate, s.c.CreateRule); err != nil || s.p.IsAdmin() {
		return err
	}
	for _, f := range s.c.Fields {
		if f.Hidden && f.Validation.Required {
			_, err := s.rule(&args{}, actCreate, nil)
			return err
		}
	}
	return nil
}

// writeRule compiles the rule guarding a write (act) ANDed with the view
// rule: a non-admin may change or delete only records they may view, so a
// write rule broader than the view rule never reaches a hidden record, and
// a hidden record reads as missing on every write path.
func (s *scope) writeRule(a *args, act action, rule *string) (string, error) {
	cond, err := s.rule(a, act, rule)
	if err != nil || s.p.IsAdmin() {
		return cond, err
	}
	return cond + " AND " + s.viewCond(a), nil
}

// viewCond is the view rule as a condition on the row, compiled as for a
// read (no request data); an admins-only rule is FALSE for non-admins.
func (s *scope) viewCond(a *args) string {
	return newScope(s.snap, s.c, s.p, nil).relatedView(a)
}

// compileRule compiles a rule over fields into a condition on the row; a
// rule that does not compile for the request fails closed.
func (s *scope) compileRule(a *args, src string, fields query.Fields) (string, error) {
	expr, err := query.Parse(src)
	if err == nil {
		var sql string
		if sql, err = s.compileExpr(a, expr, fields); err == nil {
			return sql, nil
		}
	}
	return "", s.ruleFailed()
}

// compileExpr compiles a parsed condition over fields into a condition on
// the row.
func (s *scope) compileExpr(a *args, expr query.Expr, fields query.Fields) (string, error) {
	opts := s.opts
	opts.ArgOffset = len(a.list)
	sql, bound, err := query.Compile(expr, fields, opts)
	if err != nil {
		return "", err
	}
	a.list = append(a.list, bound...)
	return "(" + sql + ")", nil
}

// ruleFailed is the answer when a rule cannot be compiled for a request.
// Rules are checked when written, so what fails here is request data of
// the wrong type for the rule: the rule fails closed.
func (s *scope) ruleFailed() error {
	return apierr.Forbidden("the rules of %s do not allow this request", s.c.Name)
}
