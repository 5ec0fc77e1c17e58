package records

import (
	"bytes"
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/lib/pq"

	"fastcms/internal/auth"
	"fastcms/internal/collections"
)

// Live queries multiplexed (as Hasura does): the live queries of many
// subscribers that share a shape — the same statement text from the read
// builder, which already holds the document, the operation and the role
// class (rules and hidden fields compile into the text, their values into
// the arguments) — are refreshed by one statement. Each subscriber's
// arguments are one element of a JSON array bound as the only parameter;
// the builder's statement runs LATERAL to each element with its $n
// replaced by the element's n-th value cast to the type PostgreSQL infers
// for $n (read once per shape from pg_prepared_statements). A result is a
// function of the statement text and its arguments alone, so subscribers
// with equal arguments share one row, and sharing never shows anyone a
// row their own statement would not.

// LiveStatement builds the statement of a live query's read (a list, by id
// or aggregate) for the caller in ctx without running it; RunLive runs it.
// stmt is "" when the answer is null without asking (a by-id record the caller
// may never see).
func (s *Service) LiveStatement(ctx context.Context, snap *collections.Snapshot, op Op) (stmt string, args []any, err error) {
	if snap.Get(op.Collection) == nil {
		return "", nil, fmt.Errorf("records: collection %q not found", op.Collection)
	}
	stmt, args, err = Render(snap, auth.FromContext(ctx), op)
	return stmt, args, err
}

// LiveResult is one argument set's answer of RunLive.
type LiveResult struct {
	JSON []byte // nil for null
	Err  error
}

// RunLive runs stmt once for every argument set of sets, in one statement
// when there is more than one set, and returns the answers in order. When
// the shared statement fails (a value one subscriber's filter holds may
// not fit its column), each set runs alone, so an error stays with the
// set that causes it.
func (s *Service) RunLive(ctx context.Context, stmt string, sets [][]any) []LiveResult {
	out := make([]LiveResult, len(sets))
	if len(sets) > 1 {
		if rows, err := s.runShared(ctx, stmt, sets); err == nil {
			for i, r := range rows {
				out[i].JSON = r
			}
			return out
		} else if ctx.Err() != nil {
			for i := range out {
				out[i].Err = err
			}
			return out
		}
	}
	for i, a := range sets {
		out[i].JSON, out[i].Err = jsonRow(ctx, s.db, stmt, a)
	}
	return out
}

// runShared runs stmt for every set in one statement.
func (s *Service) runShared(ctx context.Context, stmt string, sets [][]any) ([][]byte, error) {
	types, err := s.paramTypes(ctx, stmt)
	if err != nil {
		return nil, err
	}
	shared, err := lateralStatement(stmt, types)
	if err != nil {
		return nil, err
	}
	elems := make([]any, len(sets))
	for i, set := range sets {
		if len(set) != len(types) {
			return nil, errors.New("records: a live query's arguments do not fit its statement")
		}
		vals := make([]any, len(set))
		for j, v := range set {
			if vals[j], err = jsonArg(v); err != nil {
				return nil, err
			}
		}
		elems[i] = vals
	}
	param, err := json.Marshal(elems)
	if err != nil {
		return nil, err
	}
	observe(shared)
	rows, err := s.db.QueryContext(ctx, shared, string(param))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := make([][]byte, len(sets))
	for rows.Next() {
		var i int
		var r []byte
		if err := rows.Scan(&i, &r); err != nil {
			return nil, err
		}
		if i < 1 || i > len(sets) {
			return nil, errors.New("records: a shared live query answered an unknown row")
		}
		out[i-1] = r
	}
	return out, rows.Err()
}

// lateralStatement is stmt run once per element of the JSON array $1, its
// $n read from the element with the type types[n-1], answering (ordinal,
// result) rows; an element whose statement has no row answers null.
func lateralStatement(stmt string, types []string) (string, error) {
	var b strings.Builder
	b.WriteString("SELECT m.ord::int, q.r FROM jsonb_array_elements($1::jsonb) WITH ORDINALITY AS m(a, ord) LEFT JOIN LATERAL (")
	for i := 0; i < len(stmt); {
		switch c := stmt[i]; {
		case c == '\'' || c == '"':
			// A literal or a quoted name: copied as is (a doubled quote
			// inside it ends and restarts the scan, which copies the same).
			j := strings.IndexByte(stmt[i+1:], c)
			if j < 0 {
				return "", errors.New("records: an unterminated quote in a live query")
			}
			b.WriteString(stmt[i : i+j+2])
			i += j + 2
		case c == '$' && i+1 < len(stmt) && stmt[i+1] >= '0' && stmt[i+1] <= '9':
			j := i + 1
			for j < len(stmt) && stmt[j] >= '0' && stmt[j] <= '9' {
				j++
			}
			n, _ := strconv.Atoi(stmt[i+1 : j])
			if n < 1 || n > len(types) {
				return "", fmt.Errorf("records: a live query refers to $%d of %d", n, len(types))
			}
			fmt.Fprintf(&b, "CAST(m.a->>%d AS %s)", n-1, types[n-1])
			i = j
		case c == '$':
			return "", errors.New("records: a dollar-quoted string in a live query")
		default:
			b.WriteByte(c)
			i++
		}
	}
	b.WriteString(") AS q(r) ON true")
	return b.String(), nil
}

// jsonArg is an argument as the JSON value whose text (->>) PostgreSQL
// casts back to the same value.
func jsonArg(v any) (any, error) {
	if dv, ok := v.(driver.Valuer); ok {
		var err error
		if v, err = dv.Value(); err != nil {
			return nil, err
		}
	}
	switch x := v.(type) {
	case nil, string, bool, int, int64, float64:
		return x, nil
	case time.Time:
		return x.Format(time.RFC3339Nano), nil
	}
	return nil, fmt.Errorf("records: a live query argument of type %T cannot be shared", v)
}

// paramTypes are the types PostgreSQL infers for stmt's parameters, read
// once per statement text.
func (s *Service) paramTypes(ctx context.Context, stmt string) ([]string, error) {
	if t, ok := liveTypes.get(stmt); ok {
		return t, nil
	}
	conn, err := s.db.Conn(ctx)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	const name = "fastcms_live_shape"
	if _, err := conn.ExecContext(ctx, "PREPARE "+name+" AS "+stmt); err != nil {
		return nil, err
	}
	var types pq.StringArray
	err = conn.QueryRowContext(ctx, "SELECT parameter_types::text[] FROM pg_prepared_statements WHERE name = $1", name).Scan(&types)
	if _, derr := conn.ExecContext(context.WithoutCancel(ctx), "DEALLOCATE "+name); derr != nil && err == nil {
		// The connection keeps the name: drop it rather than reuse it.
		_ = conn.Raw(func(any) error { return driver.ErrBadConn })
		err = derr
	}
	if err != nil {
		return nil, err
	}
	liveTypes.put(stmt, types)
	return types, nil
}

// typeCache maps statement texts to their parameter types; it forgets
// everything when full (shapes are few; a schema change makes new ones).
type typeCache struct {
	mu sync.Mutex
	m  map[string][]string
}

const typeCacheSize = 1024

var liveTypes = &typeCache{m: map[string][]string{}}

func (c *typeCache) get(stmt string) ([]string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.m[stmt]
	return t, ok
}

func (c *typeCache) put(stmt string, t []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= typeCacheSize {
		clear(c.m)
	}
	c.m[stmt] = t
}

// LiveArgsKey is a key equal for argument sets that RunLive answers alike,
// and ok false when the arguments cannot be compared (run them alone).
func LiveArgsKey(args []any) (key string, ok bool) {
	vals := make([]any, len(args))
	for i, v := range args {
		var err error
		if vals[i], err = jsonArg(v); err != nil {
			return "", false
		}
	}
	var b bytes.Buffer
	if err := json.NewEncoder(&b).Encode(vals); err != nil {
		return "", false
	}
	return b.String(), true
}
