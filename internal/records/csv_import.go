package records

// CSV import: all rows or none, streamed from the file into one COPY inside
// one transaction, so 100,000 rows take seconds and memory does not grow
// with the file (beyond the ids handed back). The upload is read whole
// first (spool: memory, then a temporary file), so the transaction never
// waits for the client.
//
//   - The first row names the columns: fields of the collection, in any
//     order; id, created and updated are accepted and ignored (an import
//     makes new records: new ids, created = updated = now), so an export
//     imports as is. An unknown or duplicate column, or a missing column of
//     a required field, fails the import. A UTF-8 byte order mark and
//     spaces around the names are ignored.
//   - Each cell is converted from text by the field's type (cellValue), then
//     checked by collections.ParseValue as a JSON value would be: an empty
//     cell is NULL; bool takes true/false/1/0/yes/no in any case; number
//     plain decimal or exponent notation; date 2026-11-24 or an RFC 3339
//     timestamp (its date as written); datetime RFC 3339; multi select and
//     multi relation a JSON array or a comma-separated list; json JSON
//     text; text-typed fields the text, less the one quote that CSV export
//     puts before formula-like text (see neutralise).
//   - Rows are numbered as a spreadsheet shows them with the header as row
//     1: the first data row is row 2. A quoted cell spanning lines is one
//     row; blank lines are skipped and not counted. (encoding/csv also turns
//     \r\n inside a quoted cell into \n.)
//   - Any bad row fails the whole import: nothing is written and the error
//     (422, "validation failed") carries details.total, the number of data
//     rows read, and details.errors, the first 20 problems as
//     {"row": n, "error": "field: why"}. The reading goes on after the first
//     bad row to report more of them (but stops at a CSV syntax error).
//   - A unique violation is a 409 and a missing related record a 422, both
//     with the row when PostgreSQL or the import can tell it.
//   - Admins bypass the create rule. For anyone else it is checked, after
//     the COPY and in the same transaction, against every imported row (so
//     relation paths in the rule see the new rows); one row failing it
//     fails the import with a 403 listing the rows. @request.data.X means
//     what it means in a JSON create, the value given for X: here the
//     row's column X (see importRule).

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/lib/pq"

	"fastcms/internal/apierr"
	"fastcms/internal/collections"
	"fastcms/internal/database"
	"fastcms/internal/events"
)

// maxImportErrors caps the problems an import failure lists.
const maxImportErrors = 20

// ImportResult is what a successful import did.
type ImportResult struct {
	// Imported and Total are equal: an import writes all rows or none.
	Imported int
	Total    int
	// IDs are the new records' ids, in file order.
	IDs []string
}

// RowError is one problem of a failed import. Row counts the header as 1.
type RowError struct {
	Row   int    `json:"row"`
	Error string `json:"error"`
}

// importColumn is one column of the file: its field, or nil for one that
// is ignored (id, created, updated).
type importColumn struct {
	field *collections.Field
}

// importRun is the state of one import.
type importRun struct {
	sc   *scope
	cols []importColumn

	total   int // data rows read
	invalid int // data rows with problems
	errs    []RowError

	// singles remembers, for single relation fields, the first row that
	// names each id, so a foreign key violation can name its row.
	singles map[*collections.Field]map[[16]byte]int
}

func (run *importRun) fail(row int, msg string) {
	if len(run.errs) < maxImportErrors {
		run.errs = append(run.errs, RowError{Row: row, Error: msg})
	}
}

// ImportCSV reads a CSV file (header row first) and inserts one record per
// row, all or none; see the top of this file for the format and errors.
// An error reading r is returned as is (wrapped), for the caller to map.
func (s *Service) ImportCSV(ctx context.Context, collection string, r io.Reader) (*ImportResult, error) {
	sc, err := s.scopeFor(ctx, collection, nil)
	if err != nil {
		return nil, err
	}
	// Refuse early (before reading the file) when the rule bars the caller
	// whatever the rows are.
	if err := sc.createShutOut(); err != nil {
		return nil, err
	}
	// The whole file is read before the transaction starts: a client that
	// sends slowly must not hold a database connection meanwhile.
	file, err := spool(r)
	if err != nil {
		return nil, fmt.Errorf("reading the CSV: %w", err)
	}
	defer file.Close()
	run := &importRun{sc: sc}
	in := csv.NewReader(file)
	in.FieldsPerRecord = -1 // checked here, with a clearer message
	in.ReuseRecord = true

	header, err := in.Read()
	switch {
	case errors.Is(err, io.EOF):
		run.fail(1, "the file is empty: its first row must name the columns")
		return nil, run.errorOf(http.StatusUnprocessableEntity, "validation failed", "the CSV file is empty; nothing was imported", nil)
	case err != nil:
		if perr, ok := asParseError(err); ok {
			run.fail(1, perr.Error())
			return nil, run.invalidError()
		}
		return nil, fmt.Errorf("reading the CSV: %w", err)
	}
	run.readHeader(header)
	if len(run.errs) > 0 {
		if err := run.countRest(in); err != nil {
			return nil, err
		}
		return nil, run.invalidError()
	}

	defer s.wrote()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	if err := database.ExtendStatementTimeout(ctx, tx); err != nil {
		return nil, err
	}
	ids, err := run.copyRows(ctx, tx, in)
	if err != nil {
		return nil, err
	}
	if err := run.checkMultiRelations(ctx, tx, ids); err != nil {
		return nil, err
	}
	if err := run.checkFiles(ctx, tx, ids); err != nil {
		return nil, err
	}
	if err := run.checkRule(ctx, tx, ids); err != nil {
		return nil, err
	}
	if err := emitChanged(ctx, tx, run.sc.c, events.Insert, ids, nil); err != nil {
		return nil, err
	}
	if err := tx.Commit(); err != nil {
		return nil, err
	}
	return &ImportResult{Imported: len(ids), Total: len(ids), IDs: ids}, nil
}

// readHeader maps the header's names to fields, noting every problem as
// a row 1 error.
func (run *importRun) readHeader(header []string) {
	c := run.sc.c
	seen := map[string]bool{}
	run.cols = make([]importColumn, len(header))
	for i, name := range header {
		if i == 0 {
			name = strings.TrimPrefix(name, "\uFEFF")
		}
		name = strings.TrimSpace(name)
		switch {
		case name == "":
			run.fail(1, fmt.Sprintf("column %d: has no name", i+1))
			continue
		case seen[name]:
			run.fail(1, fmt.Sprintf("%s: is a duplicate column", name))
			continue
		case name == "id" || name == "created" || name == "updated":
			seen[name] = true
			continue
		}
		seen[name] = true
		f := run.sc.visible(name) // hidden fields are for admins to write, as in JSON
		if f == nil {
			run.fail(1, fmt.Sprintf("%s: is not a field of %s", name, c.Name))
			continue
		}
		run.cols[i].field = f
	}
	for _, f := range c.Fields {
		if f.Validation.Required && !seen[f.Name] {
			run.fail(1, fmt.Sprintf("%s: is required, and the file has no such column", f.Name))
		}
	}
}

// countRest reads the rest of the file only to count its rows.
func (run *importRun) countRest(in *csv.Reader) error {
	for {
		_, err := in.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if _, ok := asParseError(err); ok {
				return nil
			}
			return fmt.Errorf("reading the CSV: %w", err)
		}
		run.total++
	}
}

// copyRows converts and checks every row and streams the good ones into a
// COPY, stopping the COPY (but not the reading) at the first problem. It
// returns the new ids, or the error to answer with.
func (run *importRun) copyRows(ctx context.Context, tx *sql.Tx, in *csv.Reader) ([]string, error) {
	c := run.sc.c
	names := []string{collections.Quote("id")}
	for _, ic := range run.cols {
		if f := ic.field; f != nil {
			names = append(names, collections.Quote(f.Name))
			if f.Relation != nil && !f.Multi() {
				if run.singles == nil {
					run.singles = map[*collections.Field]map[[16]byte]int{}
				}
				run.singles[f] = map[[16]byte]int{}
			}
		}
	}
	stmt, err := tx.PrepareContext(ctx, "COPY "+c.Table()+" ("+strings.Join(names, ", ")+") FROM STDIN")
	if err != nil {
		return nil, err
	}
	copying := true
	var copyErr error // what stopped the COPY
	closeCopy := func() {
		if copying {
			copying = false
			stmt.Close() // ends the COPY; its outcome no longer matters
		}
	}
	defer closeCopy()

	gen := newIDSource()
	var ids []string
	values := make([]any, len(names))
	for row := 2; ; row++ {
		rec, err := in.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			perr, ok := asParseError(err)
			if !ok {
				return nil, fmt.Errorf("reading the CSV: %w", err)
			}
			// A syntax error leaves no reliable row boundary: stop here.
			run.total++
			run.invalid++
			run.fail(row, perr.Error())
			break
		}
		run.total++
		if !run.convert(row, rec, values[1:]) {
			run.invalid++
			closeCopy()
			continue
		}
		if !copying || run.invalid > 0 {
			continue
		}
		id := gen.next()
		values[0] = id
		if _, err := stmt.ExecContext(ctx, values...); err != nil {
			copyErr = err
			closeCopy()
			continue
		}
		ids = append(ids, id)
		run.rememberSingles(row, values[1:])
	}
	if run.invalid > 0 {
		return nil, run.invalidError()
	}
	if copyErr == nil {
		// Exec without values ends the COPY and reports what the server
		// found in the rows not yet acknowledged.
		_, copyErr = stmt.ExecContext(ctx)
		copying = false
		stmt.Close()
	}
	if copyErr != nil {
		return nil, run.copyError(copyErr)
	}
	return ids, nil
}

// convert checks one row into values (one per field column, ready to bind),
// noting its problems; it reports whether the row is good.
func (run *importRun) convert(row int, rec []string, values []any) bool {
	if len(rec) != len(run.cols) {
		run.fail(row, fmt.Sprintf("has %d cells, the header has %d", len(rec), len(run.cols)))
		return false
	}
	ok := true
	j := 0
	for i, ic := range run.cols {
		if ic.field == nil {
			continue
		}
		v, why := parseCell(ic.field, rec[i])
		if why != "" {
			run.fail(row, ic.field.Name+": "+why)
			ok = false
		}
		values[j] = bindable(v)
		j++
	}
	return ok
}

// rememberSingles notes the first row naming each single relation id.
func (run *importRun) rememberSingles(row int, values []any) {
	if run.singles == nil {
		return
	}
	j := 0
	for _, ic := range run.cols {
		if ic.field == nil {
			continue
		}
		if seen, ok := run.singles[ic.field]; ok {
			if s, ok := values[j].(string); ok {
				if key, ok := uuidBytes(s); ok {
					if _, dup := seen[key]; !dup {
						seen[key] = row
					}
				}
			}
		}
		j++
	}
}

// invalidError is the 422 of rows (or a header) with problems.
func (run *importRun) invalidError() error {
	msg := fmt.Sprintf("%d of %d rows are invalid; nothing was imported", run.invalid, run.total)
	if run.invalid == 0 {
		msg = "the CSV header is invalid; nothing was imported"
		if len(run.errs) > 0 {
			msg = "the CSV header is invalid (" + run.errs[0].Error + "); nothing was imported"
		}
	}
	return run.errorOf(http.StatusUnprocessableEntity, "validation failed", msg, nil)
}

func (run *importRun) errorOf(status int, code, msg string, fields map[string]string) error {
	errs := run.errs
	if errs == nil {
		errs = []RowError{}
	}
	return &apierr.Error{Status: status, Code: code, Message: msg, Fields: fields,
		Details: map[string]any{"total": run.total, "errors": errs}}
}

// copyLine finds the line (and column, if any) of the COPY in a
// PostgreSQL error context: `COPY posts, line 3, column day: "0000-01-01"`.
var copyLine = regexp.MustCompile(`COPY [^,]*, line (\d+)(?:, column (\w+))?`)

// missingKey finds the id of a foreign key violation's detail.
var missingKey = regexp.MustCompile(`=\(([0-9a-fA-F-]{36})\)`)

// copyError turns what stopped the COPY into the import's answer: a unique
// violation is a 409 and a dangling relation a 422, with the row when it
// can be told.
func (run *importRun) copyError(err error) error {
	var pqErr *pq.Error
	if !errors.As(err, &pqErr) {
		return err
	}
	row, column := 0, ""
	if m := copyLine.FindStringSubmatch(pqErr.Where); m != nil {
		n, _ := strconv.Atoi(m[1])
		row, column = n+1, m[2] // COPY line 1 is the first data row, row 2
	}
	for _, f := range run.sc.c.Fields {
		switch {
		case pqErr.Code == "23505" && pqErr.Constraint == collections.UniqueIndexName(f):
			run.fail(row, f.Name+": must be unique")
			return run.errorOf(http.StatusConflict, "conflict", importRowPrefix(row)+f.Name+": value must be unique; nothing was imported",
				map[string]string{f.Name: "must be unique"})
		case pqErr.Code == "23503" && pqErr.Constraint == collections.ForeignKeyName(f):
			// Foreign keys are checked at the end of the COPY, which
			// then names no line: the row is the first naming the id.
			if m := missingKey.FindStringSubmatch(pqErr.Detail); m != nil {
				if key, ok := uuidBytes(m[1]); ok {
					row = run.singles[f][key]
				}
			}
			run.fail(row, f.Name+": related record not found")
			return run.errorOf(http.StatusUnprocessableEntity, "validation failed", importRowPrefix(row)+f.Name+": related record not found; nothing was imported",
				map[string]string{f.Name: "related record not found"})
		case strings.HasPrefix(string(pqErr.Code), "22") && column == f.Name:
			// A value the checks let through but PostgreSQL refuses, such
			// as the date 0000-01-01 (there is no year 0).
			why := "is not a value the database can store"
			run.fail(row, f.Name+": "+why)
			return run.errorOf(http.StatusUnprocessableEntity, "validation failed", importRowPrefix(row)+f.Name+": "+why+"; nothing was imported",
				map[string]string{f.Name: why})
		}
	}
	return err
}

func importRowPrefix(row int) string {
	if row == 0 {
		return ""
	}
	return "row " + strconv.Itoa(row) + ": "
}

// importRowsOf maps ids back to their rows (ids are in file order from row 2).
func importRowsOf(ids []string, found []string) []int {
	at := make(map[string]int, len(ids))
	for i, id := range ids {
		at[id] = i + 2
	}
	rows := make([]int, len(found))
	for i, id := range found {
		rows[i] = at[id]
	}
	return rows
}

// checkMultiRelations verifies, with one query per multi relation field
// over all imported rows, that every id in the lists exists (a uuid[]
// column has no foreign key).
func (run *importRun) checkMultiRelations(ctx context.Context, tx *sql.Tx, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	var problems []RowError
	fields := map[string]string{}
	for _, ic := range run.cols {
		f := ic.field
		if f == nil || f.Relation == nil || !f.Multi() {
			continue
		}
		target := run.sc.snap.Get(f.Relation.CollectionID)
		rows, err := tx.QueryContext(ctx, "SELECT "+col("id")+"::text FROM "+run.sc.c.Table()+" "+alias+
			" WHERE "+col("id")+" = ANY($1::uuid[]) AND EXISTS (SELECT 1 FROM unnest("+col(f.Name)+") AS x"+
			" WHERE NOT EXISTS (SELECT 1 FROM "+target.Table()+" t WHERE t.id = x))"+
			" ORDER BY "+col("id")+" LIMIT "+strconv.Itoa(maxImportErrors), pq.Array(ids))
		if err != nil {
			return err
		}
		var bad []string
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			bad = append(bad, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, row := range importRowsOf(ids, bad) {
			problems = append(problems, RowError{Row: row, Error: f.Name + ": related record not found"})
		}
		if len(bad) > 0 {
			fields[f.Name] = "related record not found"
		}
	}
	if len(problems) == 0 {
		return nil
	}
	sort.SliceStable(problems, func(i, j int) bool { return problems[i].Row < problems[j].Row })
	if len(problems) > maxImportErrors {
		problems = problems[:maxImportErrors]
	}
	run.errs = problems
	return run.errorOf(http.StatusUnprocessableEntity, "validation failed",
		fmt.Sprintf("row %d: %s; nothing was imported", problems[0].Row, problems[0].Error), fields)
}

// checkRule holds every imported row to the create rule (importRule); one
// failing row fails the import.
func (run *importRun) checkRule(ctx context.Context, tx *sql.Tx, ids []string) error {
	var ra args
	rule, err := run.importRule(&ra)
	if err != nil || rule == "TRUE" || len(ids) == 0 {
		return err
	}
	idsArg := ra.add(pq.Array(ids))
	rows, err := tx.QueryContext(ctx, "SELECT "+col("id")+"::text FROM "+run.sc.c.Table()+" "+alias+
		" WHERE "+col("id")+" = ANY("+idsArg+"::uuid[]) AND NOT COALESCE("+rule+", FALSE)"+
		" ORDER BY "+col("id")+" LIMIT "+strconv.Itoa(maxImportErrors), ra.list...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var bad []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			return err
		}
		bad = append(bad, id)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if len(bad) == 0 {
		return nil
	}
	why := "the create rule of " + run.sc.c.Name + " does not allow this record"
	run.errs = nil
	for _, row := range importRowsOf(ids, bad) {
		run.fail(row, why)
	}
	return run.errorOf(http.StatusForbidden, "forbidden",
		fmt.Sprintf("row %d: %s; nothing was imported", run.errs[0].Row, why), nil)
}

func asParseError(err error) (*csv.ParseError, bool) {
	var perr *csv.ParseError
	if errors.As(err, &perr) {
		return perr, true
	}
	return nil, false
}

// parseCell converts one cell of field f and checks it as ParseValue does
// a JSON value; the result is ready for bindable.
func parseCell(f *collections.Field, cell string) (any, string) {
	v, why := cellValue(f, cell)
	if why != "" {
		return nil, why
	}
	return collections.ParseValue(f, v)
}

// cellValue converts the text of a cell to the JSON-shaped value
// collections.ParseValue expects for f (nil for NULL), or says why it
// cannot, by the field's shape. Only the syntax is checked here;
// ParseValue does the rest.
func cellValue(f *collections.Field, cell string) (any, string) {
	sh := collections.ShapeOf(f)
	if sh.List {
		return listCell(cell)
	}
	if sh.Scalar == collections.ScalarText {
		if cell == "" {
			return nil, ""
		}
		return unneutralise(cell), ""
	}
	s := strings.TrimSpace(cell)
	if s == "" {
		return nil, ""
	}
	switch sh.Scalar {
	case collections.ScalarBool:
		switch strings.ToLower(s) {
		case "true", "1", "yes":
			return true, ""
		case "false", "0", "no":
			return false, ""
		}
		return nil, "must be true or false"
	case collections.ScalarNumber:
		if !decimalText(s) {
			return nil, "must be a finite number"
		}
		x, err := strconv.ParseFloat(s, 64)
		if err != nil {
			return nil, "must be a finite number"
		}
		return x, ""
	case collections.ScalarDate:
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Format(time.DateOnly), ""
		}
		return s, ""
	case collections.ScalarDateTime, collections.ScalarID:
		return s, ""
	}
	// JSON: the cell is JSON text. It
	// is only checked here and handed on as is (ParseValue re-encodes it
	// compactly), which spares decoding it into maps.
	if !json.Valid([]byte(s)) {
		return nil, "must be JSON text"
	}
	if s == "null" {
		return nil, ""
	}
	return json.RawMessage(s), ""
}

// listCell reads a multi select or multi relation: a JSON array, or values
// separated by commas (spaces around them ignored).
func listCell(cell string) (any, string) {
	s := strings.TrimSpace(cell)
	if s == "" {
		return nil, ""
	}
	if s[0] == '[' {
		var list []any
		if err := json.Unmarshal([]byte(s), &list); err != nil {
			return nil, "must be a JSON array or a comma-separated list"
		}
		if list == nil {
			list = []any{}
		}
		return list, ""
	}
	parts := strings.Split(s, ",")
	list := make([]any, 0, len(parts))
	for _, p := range parts {
		if p = strings.TrimSpace(p); p != "" {
			list = append(list, p)
		}
	}
	return list, ""
}

// decimalText reports whether s is written like a decimal number (sign, digits,
// point, exponent), so ParseFloat's Go-only forms (0x1p3, 1_000, Inf, NaN)
// are refused.
func decimalText(s string) bool {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case '0' <= c && c <= '9', c == '.', c == '-', c == '+', c == 'e', c == 'E':
		default:
			return false
		}
	}
	return true
}

// uuidBytes reads a canonical UUID (either case) into its 16 bytes.
func uuidBytes(s string) ([16]byte, bool) {
	var b [16]byte
	if !collections.IsUUID(s) {
		return b, false
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if _, err := hex.Decode(b[:], []byte(h)); err != nil {
		return b, false
	}
	return b, true
}

// idSource makes the ids of one import's records: UUIDv7 (RFC 9562) with
// the import's start as the timestamp and the row's position as a 32-bit
// counter (the RFC's "fixed bit-length dedicated counter" method) in
// rand_a and the top of rand_b, then 42 random bits. Ids so sort in file
// order, and a default listing (created, then id) shows the imported
// records in the order of the file.
type idSource struct {
	ms      uint64
	counter uint32
	random  []byte
}

func newIDSource() *idSource {
	return &idSource{ms: uint64(time.Now().UnixMilli())}
}

func (g *idSource) next() string {
	if len(g.random) < 6 {
		g.random = make([]byte, 6*1024)
		rand.Read(g.random) //nolint:errcheck // crypto/rand never fails on supported platforms
	}
	r := g.random[:6]
	g.random = g.random[6:]
	n := g.counter
	g.counter++

	var b [16]byte
	var ts [8]byte
	binary.BigEndian.PutUint64(ts[:], g.ms)
	copy(b[0:6], ts[2:8])
	b[6] = 0x70 | byte(n>>28)&0x0f // version 7, counter bits 31–28
	b[7] = byte(n >> 20)           // counter bits 27–20
	b[8] = 0x80 | byte(n>>14)&0x3f // variant 10, counter bits 19–14
	b[9] = byte(n >> 6)            // counter bits 13–6
	b[10] = byte(n)<<2 | r[0]&0x03 // counter bits 5–0, 2 random bits
	copy(b[11:16], r[1:6])         // 40 random bits
	var out [36]byte
	hex.Encode(out[0:8], b[0:4])
	out[8] = '-'
	hex.Encode(out[9:13], b[4:6])
	out[13] = '-'
	hex.Encode(out[14:18], b[6:8])
	out[18] = '-'
	hex.Encode(out[19:23], b[8:10])
	out[23] = '-'
	hex.Encode(out[24:36], b[10:16])
	return string(out[:])
}
