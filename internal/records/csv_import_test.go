package records

import (
	"bytes"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"fastcms/internal/collections"
)

// csvCellFields is one field of each kind the CSV conversion treats apart.
var csvCellFields = []*collections.Field{
	{Name: "text", Type: "text"},
	{Name: "editor", Type: "editor", Validation: collections.Validation{Required: true}},
	{Name: "email", Type: "email"},
	{Name: "url", Type: "url"},
	{Name: "file", Type: "file"},
	{Name: "number", Type: "number"},
	{Name: "bool", Type: "bool"},
	{Name: "date", Type: "date"},
	{Name: "datetime", Type: "datetime"},
	{Name: "select", Type: "select", Select: &collections.SelectOptions{Values: []string{"a", "=b", "-c", "'@d"}}},
	{Name: "selects", Type: "select", Select: &collections.SelectOptions{Values: []string{"a", "b c", "+d", `"e"`}, MaxSelect: 3}},
	{Name: "relation", Type: "relation", Relation: &collections.RelationOptions{Collection: "x"}},
	{Name: "relations", Type: "relation", Relation: &collections.RelationOptions{Collection: "x", MaxSelect: 2}},
	{Name: "json", Type: "json"},
}

// csvDBText is how PostgreSQL renders a parsed value in an export's query
// (exportColumnOf), as raw column text; nil for NULL.
func csvDBText(t *testing.T, f *collections.Field, v any) []byte {
	switch x := v.(type) {
	case nil:
		return nil
	case string:
		if f.Type == "relation" {
			return []byte(strings.ToLower(x))
		}
		return []byte(x)
	case float64:
		return []byte(strconv.FormatFloat(x, 'g', -1, 64))
	case bool:
		return []byte(strconv.FormatBool(x))
	case time.Time:
		return []byte(x.UTC().Format("2006-01-02T15:04:05.000Z"))
	case []string:
		if f.Type == "relation" {
			x = slices.Clone(x)
			for i := range x {
				x[i] = strings.ToLower(x[i])
			}
		}
		b, err := json.Marshal(x)
		if err != nil {
			t.Fatal(err)
		}
		return b
	case collections.JSONValue:
		return []byte(x)
	}
	t.Fatalf("%s: unexpected parsed value %T", f.Name, v)
	return nil
}

// FuzzImportCell converts arbitrary cells of every field type: it must never
// panic, and a cell it accepts must come back from an export (the value as
// PostgreSQL renders it, made a cell, written and read as CSV) as a cell
// that imports to the same stored value and exports to the same cell.
func FuzzImportCell(f *testing.F) {
	seeds := []string{"", " ", "x", "=1+1", "'=1+1", "''-x", "'plain", "+x", "-y", "@z", "\tt", "\rr", "a\r\nb", "a\nb",
		"-5", "-0", "1e21", "1e-7", "0.1", " 12.50 ", "1_000", "0x10", "NaN", "Inf", "1e400", "true", "YES", "0", "no",
		"2026-11-24", "2026-11-24T10:00:00Z", "2026-11-24T23:30:00.123456789-05:00", "24/11/2026",
		"a", "=b", "-c", "'@d", "''@d", `["a","+d"]`, "a, b c", `"e",a`, "[1]", "[",
		"00000000-0000-4000-8000-00000000000A", "00000000-0000-4000-8000-00000000000a,00000000-0000-4000-8000-00000000000b",
		`{"k":[1,"two",null]}`, `"=SUM(A1)"`, "null", "[1, 2.50]", "{} x", "a@b.io", "https://x.io/?q=1,2", "\xff", "a\x00b"}
	for i := range csvCellFields {
		for _, s := range seeds {
			f.Add(uint8(i), s)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, cell string) {
		field := csvCellFields[int(which)%len(csvCellFields)]
		kind := exportColumnOf(field).kind
		var scratch bytes.Buffer
		v1, why := parseCell(field, cell)
		if why != "" {
			return
		}
		c1 := exportCell(kind, csvDBText(t, field, v1), &scratch)

		// Through encoding/csv, as a client would save and send the file.
		// (\r\n inside a cell reads back as \n: a documented limit.)
		var buf bytes.Buffer
		w := csv.NewWriter(&buf)
		if err := w.Write([]string{c1, "end"}); err != nil {
			t.Fatal(err)
		}
		w.Flush()
		rec, err := csv.NewReader(&buf).Read()
		if err != nil {
			t.Fatalf("%s: %q: cell %q does not read back: %v", field.Name, cell, c1, err)
		}
		if want := strings.ReplaceAll(c1, "\r\n", "\n"); rec[0] != want {
			t.Fatalf("%s: %q: cell %q read back as %q", field.Name, cell, c1, rec[0])
		}
		if rec[0] != c1 {
			return
		}

		v2, why := parseCell(field, c1)
		if why != "" {
			t.Fatalf("%s: %q was accepted, but its export %q is not: %s", field.Name, cell, c1, why)
		}
		if a, b := csvDBText(t, field, v1), csvDBText(t, field, v2); !bytes.Equal(a, b) || (a == nil) != (b == nil) {
			t.Fatalf("%s: %q stores %q, its export %q stores %q", field.Name, cell, a, c1, b)
		}
		if c2 := exportCell(kind, csvDBText(t, field, v2), &scratch); c2 != c1 {
			t.Fatalf("%s: %q exports as %q, then as %q", field.Name, cell, c1, c2)
		}
	})
}

func TestCSVCells(t *testing.T) {
	byName := map[string]*collections.Field{}
	for _, f := range csvCellFields {
		byName[f.Name] = f
	}
	cases := []struct {
		field, cell string
		want        any
		why         string
	}{
		{"text", "", nil, ""},
		{"text", " spaced ", " spaced ", ""},
		{"text", "'=1+1", "=1+1", ""},
		{"text", "''=1+1", "'=1+1", ""},
		{"text", "'plain", "'plain", ""},
		{"text", "'", "'", ""},
		{"editor", "", nil, "is required"},
		{"number", " -2.50 ", -2.5, ""},
		{"number", "1e3", 1000.0, ""},
		{"number", "", nil, ""},
		{"number", "1_000", nil, "must be a finite number"},
		{"number", "Inf", nil, "must be a finite number"},
		{"number", "1e400", nil, "must be a finite number"},
		{"bool", "Yes", true, ""},
		{"bool", "0", false, ""},
		{"bool", "FALSE", false, ""},
		{"bool", "y", nil, "must be true or false"},
		{"date", "2026-11-24", "2026-11-24", ""},
		{"date", "2026-11-24T23:30:00-05:00", "2026-11-24", ""},
		{"date", "24/11/2026", nil, "must be a date like 2026-11-24"},
		{"datetime", "2026-11-24T23:30:00-05:00", time.Date(2026, 11, 25, 4, 30, 0, 0, time.UTC), ""},
		{"datetime", "2026-11-24", nil, "must be an RFC 3339 timestamp"},
		{"select", "'=b", "=b", ""},
		{"select", "b", nil, "must be one of a, =b, -c, '@d"},
		{"selects", "a, b c,,", []string{"a", "b c"}, ""},
		{"selects", `["+d","a","a"]`, []string{"+d", "a"}, ""},
		{"selects", "[]", []string{}, ""},
		{"selects", "[a]", nil, "must be a JSON array or a comma-separated list"},
		{"selects", "a,b c,+d,\"e\"", nil, "must have at most 3 values"},
		{"relations", "[1]", nil, "must be a list of record ids"},
		{"relation", "nope", nil, "must be a record id"},
		{"json", `{"b":1, "a":[2.50]}`, collections.JSONValue(`{"b":1,"a":[2.50]}`), ""},
		{"json", "null", nil, ""},
		{"json", "{} x", nil, "must be JSON text"},
		{"json", ` "<x>" `, collections.JSONValue(`"\u003cx\u003e"`), ""},
	}
	for _, c := range cases {
		got, why := parseCell(byName[c.field], c.cell)
		if why != c.why || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s %q: got %#v %q, want %#v %q", c.field, c.cell, got, why, c.want, c.why)
		}
	}
}

func TestCSVExportCells(t *testing.T) {
	var scratch bytes.Buffer
	cases := []struct {
		kind cellKind
		raw  string
		want string
	}{
		{cellText, "=1+1", "'=1+1"},
		{cellText, "'=1+1", "''=1+1"},
		{cellText, "'x", "'x"},
		{cellText, "-y", "'-y"},
		{cellText, "@z", "'@z"},
		{cellText, "+x", "'+x"},
		{cellText, "\tx", "'\tx"},
		{cellText, "\rx", "'\rx"},
		{cellText, "a=b", "a=b"},
		{cellNumber, "-5", "-5"},
		{cellNumber, "1e+15", "1000000000000000"},
		{cellNumber, "1e+21", "1e+21"},
		{cellNumber, "1e-07", "1e-07"},
		{cellNumber, "1e-06", "0.000001"},
		{cellNumber, "-0.25", "-0.25"},
		{cellNumber, "1.2345678901234568e+17", "123456789012345680"},
		{cellJSON, `{"a": [1, 2.50], "b": "x y"}`, `{"a":[1,2.50],"b":"x y"}`},
		{cellPlain, "2026-11-24", "2026-11-24"},
		{cellPlain, "", ""},
	}
	for _, c := range cases {
		if got := exportCell(c.kind, []byte(c.raw), &scratch); got != c.want {
			t.Errorf("%d %q: got %q, want %q", c.kind, c.raw, got, c.want)
		}
	}
}

func TestImportIDsSortInFileOrder(t *testing.T) {
	g := newIDSource()
	prev := ""
	seen := map[string]bool{}
	for i := range 5000 {
		id := g.next()
		if !collections.IsUUID(id) || id[14] != '7' || !strings.ContainsRune("89ab", rune(id[19])) {
			t.Fatalf("%q is not a UUIDv7", id)
		}
		if id <= prev || seen[id] {
			t.Fatalf("id %d %q does not sort after %q", i, id, prev)
		}
		prev, seen[id] = id, true
		if b, ok := uuidBytes(strings.ToUpper(id)); !ok || strings.ReplaceAll(id, "-", "") != hex.EncodeToString(b[:]) {
			t.Fatalf("uuidBytes(%q) = %x, %v", id, b, ok)
		}
	}
}
