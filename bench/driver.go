package main

// A database/sql connector that wraps lib/pq's, counting every statement
// and, while recording is on, keeping each one with its bound arguments.
// The server's pool goes through it (statements per request), and the SQL
// twins replay what it recorded through a second pool built the same way.

import (
	"bytes"
	"context"
	"database/sql"
	"database/sql/driver"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/lib/pq"

	"fastcms/internal/ids"
)

// stmtKind tells a recorded step apart: a statement or a transaction edge.
type stmtKind string

const (
	kindQuery    stmtKind = "query"
	kindExec     stmtKind = "exec"
	kindBegin    stmtKind = "begin"
	kindCommit   stmtKind = "commit"
	kindRollback stmtKind = "rollback"
)

// sqlStep is one recorded step, with the arguments as pq was given them
// (after CheckNamedValue), so a replay sends the same values.
type sqlStep struct {
	Kind     stmtKind
	Query    string
	Args     []any
	ReadOnly bool
	Iso      sql.IsolationLevel
	Conn     int64 // which connection issued it
	// Fresh are the arguments the server drew for its request (a new
	// record's id): a replay draws them afresh, or it would insert the
	// same id again.
	Fresh []int
}

// markFresh finds, in the steps of one request, the arguments that are
// ids the server drew: UUIDs in the response that the request did not
// send.
func markFresh(steps []sqlStep, request, response []byte) {
	for i := range steps {
		for j, a := range steps[i].Args {
			id, ok := a.(string)
			if ok && ids.IsUUID(id) && bytes.Contains(response, []byte(id)) && !bytes.Contains(request, []byte(id)) {
				steps[i].Fresh = append(steps[i].Fresh, j)
			}
		}
	}
}

// background tells the statements the server issues on its own from those
// of a request: the event broker's reads of the log (its end, then the
// events of followed collections), run when a NOTIFY from any write
// arrives, and the webhook dispatcher's and workers' statements. A request
// only ever inserts into events, never reads from it. They count in the
// service's statements per request but are not replayed by a twin: replayed
// on another connection inside a request's transaction, the broker's read
// of the log's end deadlocked the twin pool at c=32 (every connection held
// by a transaction waiting for one more).
func (s sqlStep) background() bool {
	return strings.Contains(s.Query, "FROM events") || strings.Contains(s.Query, "webhook")
}

// sequencerElection is the statement with which the event sequencer takes
// a connection of its own for as long as it runs; everything on that
// connection is the sequencer's, not a request's.
const sequencerElection = "pg_try_advisory_lock"

// recorder counts statements and transactions, and records while on. The
// sequencer's connection is left out: it polls the log on its own clock,
// whatever the requests do.
type recorder struct {
	stmts atomic.Int64 // queries and execs
	txs   atomic.Int64 // transactions begun

	mu        sync.Mutex
	on        bool
	steps     []sqlStep
	sequencer map[int64]bool // connections the sequencer holds
}

func (r *recorder) add(s sqlStep) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if strings.Contains(s.Query, sequencerElection) {
		if r.sequencer == nil {
			r.sequencer = map[int64]bool{}
		}
		r.sequencer[s.Conn] = true
	}
	if r.sequencer[s.Conn] {
		return
	}
	if s.Kind == kindQuery || s.Kind == kindExec {
		r.stmts.Add(1)
	}
	if s.Kind == kindBegin {
		r.txs.Add(1)
	}
	if r.on {
		r.steps = append(r.steps, s)
	}
}

// start begins recording, dropping what was recorded before.
func (r *recorder) start() {
	r.mu.Lock()
	r.on, r.steps = true, nil
	r.mu.Unlock()
}

// stop ends recording and returns the steps.
func (r *recorder) stop() []sqlStep {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.on = false
	s := r.steps
	r.steps = nil
	return s
}

// openRecorded opens a pool over dsn whose connections report to rec, sized
// as database.Open sizes the server's.
func openRecorded(dsn string, rec *recorder) (*sql.DB, error) {
	c, err := pq.NewConnector(dsn)
	if err != nil {
		return nil, err
	}
	db := sql.OpenDB(recConnector{c, rec})
	db.SetMaxOpenConns(32)
	db.SetMaxIdleConns(32)
	return db, nil
}

type recConnector struct {
	*pq.Connector
	rec *recorder
}

func (c recConnector) Connect(ctx context.Context) (driver.Conn, error) {
	conn, err := c.Connector.Connect(ctx)
	if err != nil {
		return nil, err
	}
	return &recConn{conn, c.rec, connIDs.Add(1)}, nil
}

var connIDs atomic.Int64

// recConn forwards to pq's connection, recording on the way.
type recConn struct {
	driver.Conn
	rec *recorder
	id  int64
}

func namedArgs(args []driver.NamedValue) []any {
	out := make([]any, len(args))
	for i, a := range args {
		out[i] = a.Value
	}
	return out
}

func (c *recConn) QueryContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Rows, error) {
	c.rec.add(sqlStep{Kind: kindQuery, Query: query, Args: namedArgs(args), Conn: c.id})
	return c.Conn.(driver.QueryerContext).QueryContext(ctx, query, args)
}

func (c *recConn) ExecContext(ctx context.Context, query string, args []driver.NamedValue) (driver.Result, error) {
	c.rec.add(sqlStep{Kind: kindExec, Query: query, Args: namedArgs(args), Conn: c.id})
	return c.Conn.(driver.ExecerContext).ExecContext(ctx, query, args)
}

// PrepareContext records each run of a prepared statement (the server
// keeps its one-record statements prepared) as a statement of its own.
func (c *recConn) PrepareContext(ctx context.Context, query string) (driver.Stmt, error) {
	st, err := c.Conn.(driver.ConnPrepareContext).PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	// pq's COPY FROM STDIN (the CSV import) is a statement of another
	// kind, fed row by row; it was never recorded.
	_, q := st.(driver.StmtQueryContext)
	_, e := st.(driver.StmtExecContext)
	if !q || !e {
		return st, nil
	}
	return &recStmt{Stmt: st, conn: c, query: query}, nil
}

type recStmt struct {
	driver.Stmt
	conn  *recConn
	query string
}

func (s *recStmt) QueryContext(ctx context.Context, args []driver.NamedValue) (driver.Rows, error) {
	s.conn.rec.add(sqlStep{Kind: kindQuery, Query: s.query, Args: namedArgs(args), Conn: s.conn.id})
	return s.Stmt.(driver.StmtQueryContext).QueryContext(ctx, args)
}

func (s *recStmt) ExecContext(ctx context.Context, args []driver.NamedValue) (driver.Result, error) {
	s.conn.rec.add(sqlStep{Kind: kindExec, Query: s.query, Args: namedArgs(args), Conn: s.conn.id})
	return s.Stmt.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (s *recStmt) CheckNamedValue(nv *driver.NamedValue) error {
	return s.conn.CheckNamedValue(nv)
}

func (c *recConn) CheckNamedValue(nv *driver.NamedValue) error {
	return c.Conn.(driver.NamedValueChecker).CheckNamedValue(nv)
}

func (c *recConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	tx, err := c.Conn.(driver.ConnBeginTx).BeginTx(ctx, opts)
	if err != nil {
		return nil, err
	}
	c.rec.add(sqlStep{Kind: kindBegin, ReadOnly: opts.ReadOnly, Iso: sql.IsolationLevel(opts.Isolation), Conn: c.id})
	return &recTx{tx, c.rec, c.id}, nil
}

func (c *recConn) Ping(ctx context.Context) error {
	if p, ok := c.Conn.(driver.Pinger); ok {
		return p.Ping(ctx)
	}
	return nil
}

func (c *recConn) ResetSession(ctx context.Context) error {
	if r, ok := c.Conn.(driver.SessionResetter); ok {
		return r.ResetSession(ctx)
	}
	return nil
}

func (c *recConn) IsValid() bool {
	if v, ok := c.Conn.(driver.Validator); ok {
		return v.IsValid()
	}
	return true
}

type recTx struct {
	driver.Tx
	rec  *recorder
	conn int64
}

func (t *recTx) Commit() error {
	t.rec.add(sqlStep{Kind: kindCommit, Conn: t.conn})
	return t.Tx.Commit()
}

func (t *recTx) Rollback() error {
	t.rec.add(sqlStep{Kind: kindRollback, Conn: t.conn})
	return t.Tx.Rollback()
}
