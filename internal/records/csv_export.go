package records

// CSV export: the records a list would return, every page at once, streamed
// row by row from sql.Rows through encoding/csv, so memory stays constant
// whatever the row count.
//
// The cells, in the header order id,created,updated,<fields in definition
// order> (hidden fields only for admins):
//
//   - id: the UUID; created, updated and datetime fields: the API's
//     timestamp format, 2026-11-24T10:00:00.123Z; date fields: 2026-11-24.
//   - number: the shortest text that reads back as the same float64, in
//     plain decimal notation (-12.5, 1000000) unless the number is below
//     1e-6 or from 1e21 up, which use an exponent (1e-07, 1e+21): the rule
//     encoding/json follows.
//   - bool: true or false. NULL, of any type: an empty cell.
//   - multi select and multi relation: a JSON array (["a","b"]); json
//     fields: their compact JSON text.
//   - text-typed fields (text, editor, email, url, file, single select): the
//     text itself, neutralised against spreadsheet formula injection: a cell
//     that starts with = + - @ tab or carriage return, possibly after some
//     single quotes, gets one more single quote in front ('=1+1). Numbers,
//     dates and the other typed cells are never neutralised: their content
//     is generated (a negative number is digits after a minus, not a
//     formula), and a spreadsheet must still read -5 as a number.
//     ImportCSV removes that one quote again, so export → import keeps the
//     text as it was.
//   - An empty text and NULL both export as an empty cell (CSV cannot tell
//     them apart), and ImportCSV reads an empty cell as NULL.
//
// Lines end in \n, without a byte order mark.

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net/http"
	"strconv"

	"fastcms/internal/collections"
	"fastcms/internal/database"
)

// exportFlushRows is how many rows are written between flushes to the
// client, so a slow export shows progress and buffers stay small.
const exportFlushRows = 500

// cellKind is how a column's text from PostgreSQL becomes a CSV cell.
type cellKind uint8

const (
	cellPlain  cellKind = iota // as PostgreSQL renders it
	cellText                   // user text: neutralised
	cellNumber                 // float8 text, reformatted
	cellJSON                   // JSON text, compacted
)

// exportColumn is one column of an export: the SQL rendering it as text
// (NULL stays NULL) and how the text becomes a cell.
type exportColumn struct {
	sql  string
	kind cellKind
}

// exportColumnOf renders field f of the aliased row for CSV, by its shape.
func exportColumnOf(f *collections.Field) exportColumn {
	c := col(f.Name)
	sh := collections.ShapeOf(f)
	if sh.List {
		return exportColumn{"to_json(" + c + ")::text", cellPlain}
	}
	switch sh.Scalar {
	case collections.ScalarText:
		return exportColumn{c, cellText}
	case collections.ScalarNumber:
		return exportColumn{c + "::text", cellNumber}
	case collections.ScalarBool, collections.ScalarID:
		return exportColumn{c + "::text", cellPlain}
	case collections.ScalarDate:
		return exportColumn{"to_char(" + c + ", 'YYYY-MM-DD')", cellPlain}
	case collections.ScalarDateTime:
		return exportColumn{timestampText(c), cellPlain}
	}
	return exportColumn{c + "::text", cellJSON}
}

// timestampText renders a timestamptz as the API's timestamp text.
func timestampText(c string) string {
	return "to_char(" + c + ` AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`
}

// CSVExport is an export whose query already runs: every check is done and
// its first row is fetched, so a caller can commit to a 200 and headers
// before WriteTo writes the first byte. Close it when done.
type CSVExport struct {
	// Collection is the collection's name, e.g. for the download's file name.
	Collection string

	header  []string
	kinds   []cellKind
	tx      *sql.Tx
	rows    *sql.Rows
	pending bool // rows holds a fetched row not written yet
}

// OpenCSVExport validates an export of collection (the list rule, filter,
// sort and search of p; paging, fields and expand are ignored) and starts
// its query. Errors here are the clean API errors of List.
func (s *Service) OpenCSVExport(ctx context.Context, collection string, p ListParams) (*CSVExport, error) {
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	rows, err := sc.restRows(p)
	if err != nil {
		return nil, err
	}
	where, order, bound, err := RenderRows(sc.snap, sc.p, sc.c, rows)
	if err != nil {
		return nil, NamePlanError(err, restPartNames)
	}

	fields := sc.shown()
	e := &CSVExport{Collection: sc.c.Name,
		header: append(make([]string, 0, 3+len(fields)), "id", "created", "updated"),
		kinds:  append(make([]cellKind, 0, 3+len(fields)), cellPlain, cellPlain, cellPlain)}
	cols := make([]byte, 0, 256)
	cols = append(cols, col("id")+"::text, "+timestampText(col("created"))+", "+timestampText(col("updated"))...)
	for _, f := range fields {
		ec := exportColumnOf(f)
		e.header = append(e.header, f.Name)
		e.kinds = append(e.kinds, ec.kind)
		cols = append(cols, ", "+ec.sql...)
	}
	// A read-only transaction, so the export may run as long as its
	// context allows (HTTP_STREAM_TIMEOUT) rather than STATEMENT_TIMEOUT.
	if e.tx, err = s.db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true}); err != nil {
		return nil, err
	}
	if err := database.ExtendStatementTimeout(ctx, e.tx); err != nil {
		e.tx.Rollback() //nolint:errcheck // the error above is the one to report
		return nil, err
	}
	e.rows, err = e.tx.QueryContext(ctx, "SELECT "+string(cols)+" FROM "+sc.c.Table()+" "+alias+
		" WHERE "+where+" ORDER BY "+order, bound...)
	if err != nil {
		e.tx.Rollback() //nolint:errcheck // the error above is the one to report
		return nil, err
	}
	// An error that only shows at the first row (a cast in the filter, say)
	// must still come before the response starts.
	e.pending = e.rows.Next()
	if !e.pending {
		if err := e.rows.Err(); err != nil {
			e.Close()
			return nil, err
		}
	}
	return e, nil
}

// WriteTo writes the CSV (header, then every row) to w, flushing every few
// hundred rows; w may be an http.ResponseWriter or anything with Flush().
// It implements io.WriterTo.
func (e *CSVExport) WriteTo(w io.Writer) (int64, error) {
	cw := &csvCountingWriter{w: w}
	out := csv.NewWriter(cw)
	if err := out.Write(e.header); err != nil {
		return cw.n, err
	}
	raw := make([]sql.RawBytes, len(e.header))
	dest := make([]any, len(raw))
	for i := range raw {
		dest[i] = &raw[i]
	}
	cells := make([]string, len(raw))
	var scratch bytes.Buffer
	for n := 1; e.pending; n++ {
		if err := e.rows.Scan(dest...); err != nil {
			return cw.n, err
		}
		for i, b := range raw {
			cells[i] = exportCell(e.kinds[i], b, &scratch)
		}
		if err := out.Write(cells); err != nil {
			return cw.n, err
		}
		if n%exportFlushRows == 0 {
			if err := flushCSV(out, w); err != nil {
				return cw.n, err
			}
		}
		e.pending = e.rows.Next()
	}
	if err := e.rows.Err(); err != nil {
		return cw.n, err
	}
	return cw.n, flushCSV(out, w)
}

// Close ends the query; it is safe after WriteTo and more than once.
func (e *CSVExport) Close() error {
	err := e.rows.Close()
	if rbErr := e.tx.Rollback(); err == nil && !errors.Is(rbErr, sql.ErrTxDone) {
		err = rbErr
	}
	return err
}

// ExportCSV is OpenCSVExport, then WriteTo w: nothing is written unless
// every check passed, so an error with nothing written is a clean API error.
func (s *Service) ExportCSV(ctx context.Context, collection string, p ListParams, w io.Writer) error {
	e, err := s.OpenCSVExport(ctx, collection, p)
	if err != nil {
		return err
	}
	defer e.Close()
	_, err = e.WriteTo(w)
	return err
}

// flushCSV pushes the CSV writer's buffer to w, and w's to the client.
func flushCSV(out *csv.Writer, w io.Writer) error {
	out.Flush()
	if err := out.Error(); err != nil {
		return err
	}
	switch f := w.(type) {
	case http.Flusher:
		f.Flush()
	case interface{ Flush() error }:
		return f.Flush()
	}
	return nil
}

type csvCountingWriter struct {
	w io.Writer
	n int64
}

func (c *csvCountingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// exportCell turns one column's text (nil for NULL) into its CSV cell.
// scratch is reused across calls for compacting JSON.
func exportCell(kind cellKind, raw []byte, scratch *bytes.Buffer) string {
	if len(raw) == 0 {
		return ""
	}
	switch kind {
	case cellText:
		return neutralise(string(raw))
	case cellNumber:
		x, err := strconv.ParseFloat(string(raw), 64)
		if err != nil {
			return string(raw)
		}
		return csvNumber(x)
	case cellJSON:
		scratch.Reset()
		if err := json.Compact(scratch, raw); err != nil {
			return string(raw)
		}
		return scratch.String()
	}
	return string(raw)
}

// csvNumber is the shortest decimal text that parses back to x, with an
// exponent only for magnitudes below 1e-6 or from 1e21 up.
func csvNumber(x float64) string {
	if a := math.Abs(x); a != 0 && (a < 1e-6 || a >= 1e21) {
		return strconv.FormatFloat(x, 'g', -1, 64)
	}
	return strconv.FormatFloat(x, 'f', -1, 64)
}

// formulaStart reports whether a spreadsheet would run a cell starting
// with c as a formula (or, for tab and carriage return, treat it oddly).
func formulaStart(c byte) bool {
	switch c {
	case '=', '+', '-', '@', '\t', '\r':
		return true
	}
	return false
}

// neutralise prefixes a single quote to text that a spreadsheet would run as
// a formula. Text that is already quotes followed by such a character gets
// one more too, so unneutralise (which strips exactly one) inverts it for
// every text.
func neutralise(s string) string {
	i := 0
	for i < len(s) && s[i] == '\'' {
		i++
	}
	if i < len(s) && formulaStart(s[i]) {
		return "'" + s
	}
	return s
}

// unneutralise undoes neutralise: one leading quote goes when quotes are
// followed by a formula character.
func unneutralise(s string) string {
	if len(s) < 2 || s[0] != '\'' {
		return s
	}
	i := 1
	for i < len(s) && s[i] == '\'' {
		i++
	}
	if i < len(s) && formulaStart(s[i]) {
		return s[1:]
	}
	return s
}
