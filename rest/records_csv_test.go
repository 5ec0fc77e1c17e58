package rest_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"fastcms/internal/app"
	"fastcms/internal/apptest"
	"fastcms/internal/config"
)

// csvForm is a multipart body with csv as the part "file".
func csvForm(t *testing.T, csv string) (body, contentType string) {
	t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("note", "ignored"); err != nil {
		t.Fatal(err)
	}
	fw, err := mw.CreateFormFile("file", "records.csv")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.WriteString(fw, csv); err != nil {
		t.Fatal(err)
	}
	if err := mw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.String(), mw.FormDataContentType()
}

func csvImport(t *testing.T, s *apptest.Server, collection, csv, token string) *apptest.Response {
	t.Helper()
	body, ct := csvForm(t, csv)
	return s.Do(t, http.MethodPost, "/api/v1/collections/"+collection+"/records/import/csv", body, token, "Content-Type", ct)
}

func csvExport(t *testing.T, s *apptest.Server, collection, query, token string) *apptest.Response {
	t.Helper()
	path := "/api/v1/collections/" + collection + "/records/export/csv"
	if query != "" {
		path += "?" + query
	}
	return s.Do(t, http.MethodGet, path, nil, token)
}

func expectCSV(t *testing.T, r *apptest.Response, collection string) {
	t.Helper()
	if r.Status != http.StatusOK {
		t.Fatalf("export: %d %s", r.Status, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Fatalf("Content-Type %q", ct)
	}
	if cd, want := r.Header.Get("Content-Disposition"), `attachment; filename="`+collection+`.csv"`; cd != want {
		t.Fatalf("Content-Disposition %q, want %q", cd, want)
	}
}

// recordCount is the number of records in collection, as an admin lists them.
func csvCount(t *testing.T, s *apptest.Server, collection, token string) int {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+collection+"/records?per_page=1", nil, token)
	if r.Status != http.StatusOK {
		t.Fatalf("count: %d %s", r.Status, r.Body)
	}
	return int(r.JSON(t)["total"].(float64))
}

// listData is the "data" of every record of collection in the default order.
func csvListData(t *testing.T, s *apptest.Server, collection, token string) []any {
	t.Helper()
	r := s.Do(t, http.MethodGet, "/api/v1/collections/"+collection+"/records?per_page=100", nil, token)
	if r.Status != http.StatusOK {
		t.Fatalf("list: %d %s", r.Status, r.Body)
	}
	var out []any
	for _, it := range r.JSON(t)["items"].([]any) {
		out = append(out, it.(map[string]any)["data"])
	}
	return out
}

func csvCreate(t *testing.T, s *apptest.Server, collection, token string, data map[string]any) map[string]any {
	t.Helper()
	r := s.Do(t, http.MethodPost, "/api/v1/collections/"+collection+"/records", map[string]any{"data": data}, token)
	if r.Status != http.StatusCreated {
		t.Fatalf("create record: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)
}

// importFailure is the envelope of a failed import.
func csvFailure(code, message string, total int, fields map[string]any, errs ...any) map[string]any {
	details := map[string]any{"total": total, "errors": append([]any{}, errs...)}
	if fields != nil {
		details["fields"] = fields
	}
	return map[string]any{"error": code, "message": message, "details": details}
}

func csvRowError(row int, msg string) map[string]any { return map[string]any{"row": row, "error": msg} }

// dropSystemColumns removes id, created and updated from every line of a CSV.
func csvDropSystemColumns(t *testing.T, data []byte) [][]string {
	t.Helper()
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatalf("export is not CSV: %v\n%s", err, data)
	}
	for i := range recs {
		recs[i] = recs[i][3:]
	}
	return recs
}

func TestRecordsCSVRoundTrip(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	people := newName("csvpeople")
	createCollection(t, s, root.Access, map[string]any{"name": people, "schema": []any{field("name", "text")}, "list_rule": "", "view_rule": ""})
	ann := csvCreate(t, s, people, root.Access, map[string]any{"name": "Ann"})["id"].(string)
	bob := csvCreate(t, s, people, root.Access, map[string]any{"name": "Bob"})["id"].(string)
	schema := []any{
		field("title", "text"),
		field("body", "editor"),
		field("score", "number"),
		field("done", "bool"),
		field("mail", "email", "validation", map[string]any{"unique": true}),
		field("site", "url"),
		field("day", "date"),
		field("at", "datetime"),
		field("color", "select", "select", map[string]any{"values": []any{"red", "=green", "-blue"}}),
		field("tags", "select", "select", map[string]any{"values": []any{"a", "b", "c", "+d"}, "max_select": 3}),
		field("author", "relation", "relation", map[string]any{"collection": people}),
		field("readers", "relation", "relation", map[string]any{"collection": people, "max_select": 3}),
		field("file", "file"),
		field("meta", "json"),
	}
	src, dst := newName("csvsrc"), newName("csvdst")
	for _, name := range []string{src, dst} {
		createCollection(t, s, root.Access, map[string]any{"name": name, "schema": schema, "list_rule": "", "view_rule": ""})
	}
	files := []string{uploadedFile(t, s, root.Access, "a.txt"), uploadedFile(t, s, root.Access, "b.txt")}
	rows := []map[string]any{
		{"title": `He said "hi", then left`, "body": "line1\nline2\n", "score": -5, "done": true, "mail": "a@b.io", "site": "https://x.io/p?q=1,2",
			"day": "2026-11-24", "at": "2026-11-24T10:00:00.123Z", "color": "=green", "tags": []any{"b", "+d"}, "author": ann,
			"readers": []any{bob, ann}, "file": files[0], "meta": map[string]any{"k": []any{1, "two", nil}, "q": "=1+1"}},
		{"title": "=1+1", "body": "+x", "score": -0.25, "done": false, "mail": "x@b.io", "color": "-blue", "tags": []any{}, "meta": "=SUM(A1)", "file": files[1]},
		{"title": "-y", "body": "@z", "score": 1e21, "meta": []any{1, 2.5, "x"}, "at": "1999-12-31T23:59:59.999-05:00"},
		{"title": "\tTab", "body": "'=already quoted", "score": 1e-7, "meta": 0},
		{"title": "'plain quote", "body": "''+two quotes", "score": 123456789.125, "meta": true},
		{"title": `☃ naïve 日本 "q"`, "body": "\r=cr", "score": 0, "meta": "multi\nline"},
		{"title": "=cmd|' /C calc'!A0", "score": -1e-9},
		{},
	}
	for _, d := range rows {
		csvCreate(t, s, src, root.Access, d)
	}

	r := csvExport(t, s, src, "", root.Access)
	expectCSV(t, r, src)
	exported := r.Body
	if want := "id,created,updated,title,body,score,done,mail,site,day,at,color,tags,author,readers,file,meta\n"; !bytes.HasPrefix(exported, []byte(want)) {
		t.Fatalf("header:\n%s", exported)
	}
	for _, cell := range []string{`'=1+1`, `'-y`, `'@z`, `'+x`, "'\tTab", `'=green`, `'-blue`, `,'=cmd|' /C calc'!A0,`, `,''=already quoted,`, `,'''+two quotes,`, "\"'\r=cr\"",
		`,-5,`, `,-0.25,`, `,1e+21,`, `,1e-07,`, `,123456789.125,`, `,-1e-09,`, `2000-01-01T04:59:59.999Z`, `"[""b"",""+d""]"`, `"""=SUM(A1)"""`} {
		if !bytes.Contains(exported, []byte(cell)) {
			t.Errorf("export lacks %q:\n%s", cell, exported)
		}
	}

	r = csvImport(t, s, dst, string(exported), root.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"imported": len(rows), "total": len(rows), "errors": []any{}})
	want, got := csvListData(t, s, src, root.Access), csvListData(t, s, dst, root.Access)
	if d := apptest.Diff(got, want, "$"); d != "" {
		t.Fatalf("imported records differ:\n%s", d)
	}
	// Exporting the copy gives the same cells but the ids and times.
	r = csvExport(t, s, dst, "", root.Access)
	expectCSV(t, r, dst)
	if d := apptest.Diff(csvToAny(csvDropSystemColumns(t, r.Body)), csvToAny(csvDropSystemColumns(t, exported)), "$"); d != "" {
		t.Fatalf("re-export differs:\n%s", d)
	}
	// The unique mails are in dst now: importing again is a conflict at the first row.
	r = csvImport(t, s, dst, string(exported), root.Access)
	apptest.ExpectJSON(t, r, http.StatusConflict, csvFailure("conflict", "row 2: mail: value must be unique; nothing was imported",
		len(rows), map[string]any{"mail": "must be unique"}, csvRowError(2, "mail: must be unique")))
	if n := csvCount(t, s, dst, root.Access); n != len(rows) {
		t.Fatalf("%d records after a failed import, want %d", n, len(rows))
	}
}

func csvToAny(recs [][]string) []any {
	out := make([]any, len(recs))
	for i, rec := range recs {
		row := make([]any, len(rec))
		for j, c := range rec {
			row[j] = c
		}
		out[i] = row
	}
	return out
}

func TestRecordsCSVExportExact(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	name := newName("csvexact")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "schema": []any{
		field("title", "text"), field("n", "number"), field("ok", "bool"), field("day", "date"),
		field("tags", "select", "select", map[string]any{"values": []any{"x", "y"}, "max_select": 2}),
		field("meta", "json"), field("secret", "text", "hidden", true),
	}})
	a := csvCreate(t, s, name, root.Access, map[string]any{"title": "=1+1", "n": -1.5, "ok": true, "day": "2026-01-02", "tags": []any{"x", "y"},
		"meta": map[string]any{"b": []any{1, "c"}, "a": nil}, "secret": "s1"})
	b := csvCreate(t, s, name, root.Access, map[string]any{"title": "say \"hi\", bye\nnext", "n": 1000000, "ok": false, "tags": []any{}})
	c := csvCreate(t, s, name, root.Access, map[string]any{})
	line := func(rec map[string]any, cells string) string {
		return fmt.Sprintf("%s,%s,%s,%s\n", rec["id"], rec["created"], rec["updated"], cells)
	}
	rowA := line(a, `'=1+1,-1.5,true,2026-01-02,"[""x"",""y""]","{""a"":null,""b"":[1,""c""]}"`)
	rowB := line(b, "\"say \"\"hi\"\", bye\nnext\",1000000,false,,[],")
	rowC := line(c, ",,,,,")

	// Users do not see the hidden field; admins do.
	u := register(t, s, newEmail("csvexact"))
	r := csvExport(t, s, name, "", u.Access)
	expectCSV(t, r, name)
	if want := "id,created,updated,title,n,ok,day,tags,meta\n" + rowA + rowB + rowC; string(r.Body) != want {
		t.Fatalf("export:\n%q\nwant\n%q", r.Body, want)
	}
	if r.Header.Get("X-Content-Type-Options") != "nosniff" {
		t.Fatalf("headers: %v", r.Header)
	}
	r = csvExport(t, s, name, "sort=-n&filter="+url.QueryEscape("n != null"), root.Access)
	expectCSV(t, r, name)
	if want := "id,created,updated,title,n,ok,day,tags,meta,secret\n" + strings.TrimSuffix(rowB, "\n") + ",\n" + strings.TrimSuffix(rowA, "\n") + ",s1\n"; string(r.Body) != want {
		t.Fatalf("export:\n%q\nwant\n%q", r.Body, want)
	}
	r = csvExport(t, s, name, "search=bye", u.Access)
	expectCSV(t, r, name)
	if want := "id,created,updated,title,n,ok,day,tags,meta\n" + rowB; string(r.Body) != want {
		t.Fatalf("export:\n%q\nwant\n%q", r.Body, want)
	}
	r = csvExport(t, s, name, "filter="+url.QueryEscape("n > 1000000"), "")
	expectCSV(t, r, name)
	if want := "id,created,updated,title,n,ok,day,tags,meta\n"; string(r.Body) != want {
		t.Fatalf("empty export: %q", r.Body)
	}

	bad := map[string]string{
		"filter=" + url.QueryEscape("nope = 1"):      `filter: unknown field "nope" at position 0`,
		"filter=" + url.QueryEscape("secret = 's1'"): `filter: unknown field "secret" at position 0`,
		"sort=" + url.QueryEscape("nope"):            `sort: unknown field "nope" (item 1)`,
		"sort=tags":                                  `sort: field "tags" cannot be sorted`,
	}
	for q, msg := range bad {
		apptest.ExpectError(t, csvExport(t, s, name, q, u.Access), http.StatusBadRequest, "bad request", msg, nil)
	}
	apptest.ExpectError(t, csvExport(t, s, "nosuch", "", u.Access), http.StatusNotFound, "not found", `collection "nosuch" not found`, nil)

	// Admins only: a 401 for the anonymous, a 403 for users.
	closed := newName("csvclosed")
	createCollection(t, s, root.Access, map[string]any{"name": closed, "schema": []any{field("title", "text")}})
	expectUnauthorized(t, csvExport(t, s, closed, "", ""), "authentication required")
	apptest.ExpectError(t, csvExport(t, s, closed, "", u.Access), http.StatusForbidden, "forbidden", "only admins may list records of "+closed, nil)
	expectCSV(t, csvExport(t, s, closed, "", root.Access), closed)
}

func TestRecordsCSVOwnerRules(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	alice, bob := register(t, s, newEmail("csvalice")), register(t, s, newEmail("csvbob"))
	name := newName("csvnotes")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("owner", "text"), field("body", "text")},
		"list_rule": "owner = @request.auth.id", "view_rule": "owner = @request.auth.id", "create_rule": "owner = @request.auth.id"})
	for i, acc := range []account{alice, bob, alice} {
		csvCreate(t, s, name, acc.Access, map[string]any{"owner": acc.ID, "body": fmt.Sprintf("note %d", i)})
	}

	// Export lists only the caller's rows; the anonymous get none.
	r := csvExport(t, s, name, "sort=body", alice.Access)
	expectCSV(t, r, name)
	recs := csvDropSystemColumns(t, r.Body)
	if d := apptest.Diff(csvToAny(recs), csvToAny([][]string{{"owner", "body"}, {alice.ID, "note 0"}, {alice.ID, "note 2"}}), "$"); d != "" {
		t.Fatal(d)
	}
	r = csvExport(t, s, name, "", "")
	expectCSV(t, r, name)
	if string(r.Body) != "id,created,updated,owner,body\n" {
		t.Fatalf("anonymous export: %q", r.Body)
	}

	// Import: every row must pass the create rule, or nothing is written.
	r = csvImport(t, s, name, "owner,body\n"+bob.ID+",b1\n"+bob.ID+",b2\n", bob.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"imported": 2, "total": 2, "errors": []any{}})
	why := "the create rule of " + name + " does not allow this record"
	r = csvImport(t, s, name, "owner,body\n"+alice.ID+",a1\n"+bob.ID+",sneaky\n"+alice.ID+",a2\n"+bob.ID+",sneaky too\n", alice.Access)
	apptest.ExpectJSON(t, r, http.StatusForbidden, csvFailure("forbidden", "row 3: "+why+"; nothing was imported", 4, nil,
		csvRowError(3, why), csvRowError(5, why)))
	r = csvImport(t, s, name, "owner,body\n"+alice.ID+",anon\n", "")
	apptest.ExpectJSON(t, r, http.StatusForbidden, csvFailure("forbidden", "row 2: "+why+"; nothing was imported", 1, nil, csvRowError(2, why)))
	// Admins bypass the rule.
	r = csvImport(t, s, name, "owner,body\nnobody,admin\n", root.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"imported": 1, "total": 1, "errors": []any{}})
	if n := csvCount(t, s, name, root.Access); n != 6 {
		t.Fatalf("%d records, want 6", n)
	}

	// A collection only admins may write to.
	closed := newName("csvadminonly")
	createCollection(t, s, root.Access, map[string]any{"name": closed, "schema": []any{field("title", "text")}})
	expectUnauthorized(t, csvImport(t, s, closed, "title\nx\n", ""), "authentication required")
	apptest.ExpectError(t, csvImport(t, s, closed, "title\nx\n", alice.Access), http.StatusForbidden, "forbidden", "only admins may create records of "+closed, nil)
	if n := csvCount(t, s, closed, root.Access); n != 0 {
		t.Fatalf("%d records, want 0", n)
	}
}

func TestRecordsCSVImportConversions(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	people := newName("csvconvpeople")
	createCollection(t, s, root.Access, map[string]any{"name": people, "schema": []any{field("name", "text")}, "list_rule": "", "view_rule": ""})
	ann := csvCreate(t, s, people, root.Access, map[string]any{"name": "Ann"})["id"].(string)
	bob := csvCreate(t, s, people, root.Access, map[string]any{"name": "Bob"})["id"].(string)
	name := newName("csvconv")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "schema": []any{
		field("title", "text"), field("done", "bool"), field("n", "number"), field("day", "date"), field("at", "datetime"),
		field("tags", "select", "select", map[string]any{"values": []any{"a", "b", "c"}, "max_select": 3}),
		field("readers", "relation", "relation", map[string]any{"collection": people, "max_select": 2}),
		field("meta", "json"),
	}})
	// A byte order mark, spaces around names, ignored system columns, and
	// the text forms each type accepts.
	file := "\uFEFFid, title ,done,n,day,at,tags,readers,meta,created,updated\n" +
		"whatever,one,YES,1e3,2026-11-24,2026-11-24T10:00:00Z,\"a, c\"," + ann + ",\"{\"\"x\"\": 1}\",x,y\n" +
		",'two,0, -2.50 ,2026-11-24T23:30:00-05:00,2026-11-24T10:00:00.5+01:00,\"[\"\"b\"\"]\",\"[\"\"" + bob + "\"\",\"\"" + ann + "\"\"]\",null,,\n" +
		"\n" + // blank lines are skipped
		",'=three,False,,,,,,,,\n"
	r := csvImport(t, s, name, file, root.Access)
	apptest.ExpectJSON(t, r, http.StatusCreated, map[string]any{"imported": 3, "total": 3, "errors": []any{}})
	want := []any{
		map[string]any{"title": "one", "done": true, "n": 1000.0, "day": "2026-11-24", "at": "2026-11-24T10:00:00.000Z", "tags": []any{"a", "c"}, "readers": []any{ann}, "meta": map[string]any{"x": 1.0}},
		map[string]any{"title": "'two", "done": false, "n": -2.5, "day": "2026-11-24", "at": "2026-11-24T09:00:00.500Z", "tags": []any{"b"}, "readers": []any{bob, ann}, "meta": nil},
		map[string]any{"title": "=three", "done": false, "n": nil, "day": nil, "at": nil, "tags": []any{}, "readers": []any{}, "meta": nil},
	}
	if d := apptest.Diff(csvListData(t, s, name, root.Access), want, "$"); d != "" {
		t.Fatal(d)
	}
	// A header alone imports nothing, successfully.
	apptest.ExpectJSON(t, csvImport(t, s, name, "title\n", root.Access), http.StatusCreated, map[string]any{"imported": 0, "total": 0, "errors": []any{}})
}

func TestRecordsCSVImportFailures(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	people := newName("csvfailpeople")
	createCollection(t, s, root.Access, map[string]any{"name": people, "schema": []any{field("name", "text")}, "list_rule": "", "view_rule": ""})
	ann := csvCreate(t, s, people, root.Access, map[string]any{"name": "Ann"})["id"].(string)
	name := newName("csvstrict")
	createCollection(t, s, root.Access, map[string]any{"name": name, "list_rule": "", "view_rule": "", "create_rule": "", "schema": []any{
		field("title", "text", "validation", map[string]any{"required": true}),
		field("score", "number", "validation", map[string]any{"min": 0, "max": 10}),
		field("mail", "email", "validation", map[string]any{"unique": true}),
		field("author", "relation", "relation", map[string]any{"collection": people}),
		field("readers", "relation", "relation", map[string]any{"collection": people, "max_select": 2}),
		field("day", "date"),
	}})
	csvCreate(t, s, name, root.Access, map[string]any{"title": "existing", "mail": "taken@x.io"})
	const missing = "00000000-0000-4000-8000-000000000000"

	// good makes n valid rows (header included), mails m<i>@x.io.
	good := func(n int) []string {
		lines := []string{"title,score,mail,author,readers"}
		for i := range n {
			lines = append(lines, fmt.Sprintf("row %d,%d,m%d@x.io,%s,%s", i, i%10, i, ann, ann))
		}
		return lines
	}
	file := func(lines []string) string { return strings.Join(lines, "\n") + "\n" }
	many := good(50)
	many[7] = "bad score,abc,,,"       // row 8
	many[31] = ",5,,,"                 // row 32
	many[40] = "too many,1,2,3,4,5,6"  // row 41
	many[41] = "range,11,m@x.io,x,[1]" // row 42: three problems
	dupInFile := good(5)
	dupInFile[4] = "dup,1,m1@x.io,,"
	taken := good(5)
	taken[3] = "taken,1,taken@x.io,,"
	fk := good(4)
	fk[3] = "fk,1,fk@x.io," + missing + ","
	multi := good(4)
	multi[2] = "multi,1,mm@x.io,,\"" + ann + "," + missing + "\""
	type failure struct {
		csv    string
		status int
		want   map[string]any
	}
	invalid := func(msg string, total int, errs ...any) map[string]any {
		return csvFailure("validation failed", msg, total, nil, errs...)
	}
	cases := map[string]failure{
		"bad rows": {file(many), 422, invalid("4 of 50 rows are invalid; nothing was imported", 50,
			csvRowError(8, "score: must be a finite number"), csvRowError(32, "title: is required"), csvRowError(41, "has 7 cells, the header has 5"),
			csvRowError(42, "score: must be at most 10"), csvRowError(42, "author: must be a record id"), csvRowError(42, "readers: must be a list of record ids"))},
		"unknown column": {"title,nope,score,bogus\na,b,1,c\n", 422, invalid(fmt.Sprintf("the CSV header is invalid (nope: is not a field of %s); nothing was imported", name), 1,
			csvRowError(1, "nope: is not a field of "+name), csvRowError(1, "bogus: is not a field of "+name))},
		"duplicate column": {"title,score,title\na,1,b\n", 422, invalid("the CSV header is invalid (title: is a duplicate column); nothing was imported", 1,
			csvRowError(1, "title: is a duplicate column"))},
		"missing required column": {"score\n1\n2\n", 422, invalid("the CSV header is invalid (title: is required, and the file has no such column); nothing was imported", 2,
			csvRowError(1, "title: is required, and the file has no such column"))},
		"empty file": {"", 422, invalid("the CSV file is empty; nothing was imported", 0,
			csvRowError(1, "the file is empty: its first row must name the columns"))},
		"syntax error": {"title,score\nok,1\n\"unclosed,1\n", 422, invalid("1 of 2 rows are invalid; nothing was imported", 2,
			csvRowError(3, `parse error on line 3, column 13: extraneous or missing " in quoted-field`))},
		"unique within the file": {file(dupInFile), 409, csvFailure("conflict", "row 5: mail: value must be unique; nothing was imported", 5,
			map[string]any{"mail": "must be unique"}, csvRowError(5, "mail: must be unique"))},
		"unique against the table": {file(taken), 409, csvFailure("conflict", "row 4: mail: value must be unique; nothing was imported", 5,
			map[string]any{"mail": "must be unique"}, csvRowError(4, "mail: must be unique"))},
		"missing related record": {file(fk), 422, csvFailure("validation failed", "row 4: author: related record not found; nothing was imported", 4,
			map[string]any{"author": "related record not found"}, csvRowError(4, "author: related record not found"))},
		"a value PostgreSQL refuses": {"title,day\nok,2026-01-01\nyear zero,0000-01-01\n", 422, csvFailure("validation failed",
			"row 3: day: is not a value the database can store; nothing was imported", 2,
			map[string]any{"day": "is not a value the database can store"}, csvRowError(3, "day: is not a value the database can store"))},
		"missing related record in a list": {file(multi), 422, csvFailure("validation failed", "row 3: readers: related record not found; nothing was imported", 4,
			map[string]any{"readers": "related record not found"}, csvRowError(3, "readers: related record not found"))},
	}
	for title, c := range cases {
		t.Run(title, func(t *testing.T) {
			before := csvCount(t, s, name, root.Access)
			apptest.ExpectJSON(t, csvImport(t, s, name, c.csv, root.Access), c.status, c.want)
			if after := csvCount(t, s, name, root.Access); after != before {
				t.Fatalf("%d records after a failed import, %d before", after, before)
			}
		})
	}
	// The same rows without their faults import.
	apptest.ExpectJSON(t, csvImport(t, s, name, file(good(50)), root.Access), http.StatusCreated, map[string]any{"imported": 50, "total": 50, "errors": []any{}})
}

func TestRecordsCSVImportBody(t *testing.T) {
	t.Parallel()
	const limit = 4096
	s := apptest.Start(t, func(c *config.Config, _ *app.Options) { c.MaxImportBytes = limit })
	root := admin(t, s)
	name := newName("csvbody")
	createCollection(t, s, root.Access, map[string]any{"name": name, "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""})
	path := "/api/v1/collections/" + name + "/records/import/csv"
	unsupported := "Content-Type must be multipart/form-data, with the CSV in the part \"file\""

	apptest.ExpectError(t, s.Do(t, http.MethodPost, path, map[string]any{"file": "title\nx\n"}, root.Access), http.StatusUnsupportedMediaType, "unsupported media type", unsupported, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, path, "title\nx\n", root.Access, "Content-Type", "text/csv"), http.StatusUnsupportedMediaType, "unsupported media type", unsupported, nil)
	apptest.ExpectError(t, s.Do(t, http.MethodPost, path, "title\nx\n", root.Access, "Content-Type", "multipart/form-data"), http.StatusBadRequest, "bad request", "malformed multipart body: no boundary", nil)

	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if err := mw.WriteField("csv", "title\nx\n"); err != nil {
		t.Fatal(err)
	}
	mw.Close()
	apptest.ExpectError(t, s.Do(t, http.MethodPost, path, buf.String(), root.Access, "Content-Type", mw.FormDataContentType()), http.StatusUnprocessableEntity,
		"validation failed", "file: is required: send the CSV as the multipart part \"file\"", map[string]string{"file": "is required: send the CSV as the multipart part \"file\""})

	// Over the import limit: refused by its Content-Length, or, sent
	// chunked, when the reading passes the limit.
	big := "title\n" + strings.Repeat("a fairly long title to fill the file\n", 200)
	tooLarge := fmt.Sprintf("request body is larger than %d bytes", limit)
	apptest.ExpectError(t, csvImport(t, s, name, big, root.Access), http.StatusRequestEntityTooLarge, "request too large", tooLarge, nil)
	body, ct := csvForm(t, big)
	req, err := http.NewRequestWithContext(context.Background(), http.MethodPost, s.URL+path, io.MultiReader(strings.NewReader(body)))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", ct)
	req.Header.Set("Authorization", "Bearer "+root.Access)
	resp, err := s.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	if req.ContentLength != 0 {
		t.Fatalf("the request was not chunked")
	}
	apptest.ExpectError(t, &apptest.Response{Status: resp.StatusCode, Header: resp.Header, Body: raw}, http.StatusRequestEntityTooLarge, "request too large", tooLarge, nil)
	if n := csvCount(t, s, name, root.Access); n != 0 {
		t.Fatalf("%d records, want 0", n)
	}

	// The import limit is its own: a file larger than the JSON body limit
	// (64 KiB in tests) imports under the default import limit.
	s2 := apptest.Start(t)
	root2 := admin(t, s2)
	createCollection(t, s2, root2.Access, map[string]any{"name": name + "_big", "schema": []any{field("title", "text")}, "list_rule": "", "view_rule": ""})
	huge := "title\n" + strings.Repeat("a fairly long title to fill the file\n", 3000)
	if len(huge) <= int(s2.Config.MaxBodyBytes) {
		t.Fatalf("the file (%d bytes) should exceed the JSON limit", len(huge))
	}
	apptest.ExpectJSON(t, csvImport(t, s2, name+"_big", huge, root2.Access), http.StatusCreated, map[string]any{"imported": 3000, "total": 3000, "errors": []any{}})
	r := s2.Do(t, http.MethodPost, "/api/v1/collections/"+name+"_big/records", map[string]any{"data": map[string]any{"title": huge}}, root2.Access)
	apptest.ExpectError(t, r, http.StatusRequestEntityTooLarge, "request too large", fmt.Sprintf("request body is larger than %d bytes", s2.Config.MaxBodyBytes), nil)
}
