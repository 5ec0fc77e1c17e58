package records

// Benchmarks of CSV import and export over 100,000 generated rows: rows per
// second, and the heap the operation holds at its peak over what was live
// before it (sampled through runtime/metrics every millisecond, so the
// measurement does not stop the world):
//
//	go test ./internal/records/ -run XXX -bench CSV -benchtime 3x
//
// Each benchmark makes its own collection; nothing runs under plain
// `go test` but TestImportCSVService, which shares the setup.

import (
	"bytes"
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"runtime/metrics"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"fastcms/internal/auth"
	"fastcms/internal/collections"
	"fastcms/internal/notify"
	"fastcms/internal/opt"
	"fastcms/internal/pgtest"
)

const csvBenchRows = 100_000

var csvSeq atomic.Int64

// csvEnv is a records service over a fresh collection of every common
// type, and an admin to act as.
type csvEnv struct {
	svc   *Service
	name  string
	admin context.Context
	exec  func(query string) error
}

func newCSVEnv(tb testing.TB) *csvEnv {
	tb.Helper()
	ctx := context.Background()
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	db := pgtest.Open(tb)
	hub, err := notify.Start(pgtest.URL(), log)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { hub.Close() })
	registry, err := collections.NewRegistry(ctx, db, hub, log)
	if err != nil {
		tb.Fatal(err)
	}
	admin := auth.NewContext(ctx, &auth.Principal{UserID: "00000000-0000-0000-0000-000000000001", Role: auth.RoleAdmin}, nil)
	name := fmt.Sprintf("csv_bench_%d", csvSeq.Add(1))
	rule := ""
	_, err = collections.NewService(db, registry, log, collections.Options{}).Create(admin, collections.Input{
		Name: opt.Some(name),
		Schema: opt.Some([]*collections.Field{
			{Name: "title", Type: "text", Validation: collections.Validation{Required: true}},
			{Name: "body", Type: "editor"},
			{Name: "views", Type: "number"},
			{Name: "published", Type: "bool"},
			{Name: "day", Type: "date"},
			{Name: "at", Type: "datetime"},
			{Name: "tags", Type: "select", Select: &collections.SelectOptions{Values: []string{"a", "b", "c", "d", "e"}, MaxSelect: 5}},
			{Name: "meta", Type: "json"},
		}),
		ListRule: opt.Some(&rule),
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &csvEnv{svc: New(db, registry), name: name, admin: admin,
		exec: func(query string) error { _, err := db.DB.Exec(query); return err }}
}

// csvFile generates n rows for csvEnv's collection, a few formula-looking.
func csvFile(n int) []byte {
	var b bytes.Buffer
	b.WriteString("title,body,views,published,day,at,tags,meta\n")
	tags := []string{"", "a", `"a,b"`, `"[""c"",""d"",""e""]"`}
	for i := range n {
		title := fmt.Sprintf("post %d", i)
		if i%100 == 0 {
			title = fmt.Sprintf("'=HYPERLINK(\"\"x%d\"\")", i)
			title = `"` + title + `"`
		}
		fmt.Fprintf(&b, "%s,\"%s, line %d\nsecond line\",%d.5,%t,2026-%02d-%02d,2026-11-24T10:%02d:%02d.%03dZ,%s,\"{\"\"n\"\":%d,\"\"s\"\":\"\"v%d\"\"}\"\n",
			title, strings.Repeat("lorem ", 8), i, i%1000-500, i%2 == 0, i%12+1, i%28+1, i%60, (i/60)%60, i%1000, tags[i%4], i, i)
	}
	return b.Bytes()
}

// csvHeapPeak samples the live heap until stop is called, which returns the
// highest value seen over base.
func csvHeapPeak() (stop func() uint64) {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 { metrics.Read(sample); return sample[0].Value.Uint64() }
	base := read()
	var peak atomic.Uint64
	done := make(chan struct{})
	finished := make(chan struct{})
	go func() {
		defer close(finished)
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for {
			if v := read(); v > peak.Load() {
				peak.Store(v)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	return func() uint64 {
		close(done)
		<-finished
		if p := peak.Load(); p > base {
			return p - base
		}
		return 0
	}
}

// BenchmarkCSVImport imports 100,000 rows (8 fields, about 16 MB of CSV)
// into an empty table per iteration, as an admin.
//
//   - service: Service.ImportCSV, the file read from disk as a request body
//     streams in, so the heap measured is the import's own.
//   - raw-copy: the same rows, converted beforehand, sent through the same
//     COPY with nothing else: what PostgreSQL and the driver take, so the
//     difference is the service's reading, converting and checking.
func BenchmarkCSVImport(b *testing.B) {
	e := newCSVEnv(b)
	data := csvFile(csvBenchRows)
	path := filepath.Join(b.TempDir(), "rows.csv")
	if err := os.WriteFile(path, data, 0o600); err != nil {
		b.Fatal(err)
	}
	size := int64(len(data))
	data = nil // the service reads the file; keep the heap its own
	table := collections.TableOf(e.name)

	b.Run("service", func(b *testing.B) {
		b.SetBytes(size)
		b.ReportAllocs()
		var peak uint64
		for range b.N {
			b.StopTimer()
			if err := e.exec("TRUNCATE " + table); err != nil {
				b.Fatal(err)
			}
			file, err := os.Open(path)
			if err != nil {
				b.Fatal(err)
			}
			stop := csvHeapPeak()
			b.StartTimer()
			res, err := e.svc.ImportCSV(e.admin, e.name, file)
			b.StopTimer()
			peak = max(peak, stop())
			file.Close()
			if err != nil || res.Imported != csvBenchRows {
				b.Fatalf("import: %v %+v", err, res)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(csvBenchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
	})

	b.Run("raw-copy", func(b *testing.B) {
		sc, err := e.svc.scopeFor(e.admin, e.name, nil)
		if err != nil {
			b.Fatal(err)
		}
		file, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer file.Close()
		in := csv.NewReader(file)
		header, err := in.Read()
		if err != nil {
			b.Fatal(err)
		}
		cols := []string{collections.Quote("id")}
		for _, name := range header {
			cols = append(cols, collections.Quote(name))
		}
		var rows [][]any
		gen := newIDSource()
		for {
			rec, err := in.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			row := []any{gen.next()}
			for i, cell := range rec {
				v, why := parseCell(sc.c.Field(header[i]), cell)
				if why != "" {
					b.Fatal(why)
				}
				row = append(row, bindable(v))
			}
			rows = append(rows, row)
		}
		b.SetBytes(size)
		b.ReportAllocs()
		b.ResetTimer()
		for range b.N {
			b.StopTimer()
			if err := e.exec("TRUNCATE " + table); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			if err := rawCopy(e.svc, "COPY "+table+" ("+strings.Join(cols, ", ")+") FROM STDIN", rows); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(csvBenchRows*b.N)/b.Elapsed().Seconds(), "rows/s")
	})
}

// rawCopy sends rows through one COPY in one transaction.
func rawCopy(s *Service, copySQL string, rows [][]any) error {
	ctx := context.Background()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // after Commit it is a no-op
	stmt, err := tx.PrepareContext(ctx, copySQL)
	if err != nil {
		return err
	}
	for _, row := range rows {
		if _, err := stmt.ExecContext(ctx, row...); err != nil {
			return err
		}
	}
	if _, err := stmt.ExecContext(ctx); err != nil {
		return err
	}
	if err := stmt.Close(); err != nil {
		return err
	}
	return tx.Commit()
}

// BenchmarkCSVExport exports 100,000 rows to io.Discard: all of them in the
// default order, and sorted and filtered.
func BenchmarkCSVExport(b *testing.B) {
	e := newCSVEnv(b)
	if _, err := e.svc.ImportCSV(e.admin, e.name, bytes.NewReader(csvFile(csvBenchRows))); err != nil {
		b.Fatal(err)
	}
	if err := e.exec("VACUUM ANALYZE " + collections.TableOf(e.name)); err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		p    ListParams
		rows int
	}{
		{"all", ListParams{}, csvBenchRows},
		{"sorted-filtered", ListParams{Sort: "-views,title", Filter: "published = true"}, csvBenchRows / 2},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var peak uint64
			var size int64
			for range b.N {
				b.StopTimer()
				stop := csvHeapPeak()
				w := &csvCountingWriter{w: io.Discard}
				b.StartTimer()
				err := e.svc.ExportCSV(e.admin, e.name, c.p, w)
				b.StopTimer()
				peak = max(peak, stop())
				if err != nil {
					b.Fatal(err)
				}
				size = w.n
				b.StartTimer()
			}
			b.SetBytes(size)
			b.ReportMetric(float64(c.rows*b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
		})
	}
}

// TestImportCSVService checks what the REST tests cannot see: the ids an
// import returns are the new records', in file order, and an export of
// them imports again to the same cells.
func TestImportCSVService(t *testing.T) {
	e := newCSVEnv(t)
	const n = 1000
	file := csvFile(n)
	res, err := e.svc.ImportCSV(e.admin, e.name, bytes.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	if res.Imported != n || res.Total != n || len(res.IDs) != n {
		t.Fatalf("imported %d of %d, %d ids", res.Imported, res.Total, len(res.IDs))
	}
	var first bytes.Buffer
	if err := e.svc.ExportCSV(e.admin, e.name, ListParams{}, &first); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(first.String(), "\n")
	if !strings.HasPrefix(lines[1], res.IDs[0]+",") {
		t.Fatalf("the first exported row is not the first imported one: %q, ids %v", lines[1], res.IDs[:2])
	}
	if strings.Count(first.String(), `,"'=HYPERLINK(""x`) != n/100 {
		t.Fatalf("formula cells not neutralised:\n%s", first.String()[:2000])
	}

	// A writer failing half way (a client gone) stops the export with its error.
	broken := errors.New("client gone")
	if err := e.svc.ExportCSV(e.admin, e.name, ListParams{}, &csvFailingWriter{left: first.Len() / 2, err: broken}); !errors.Is(err, broken) {
		t.Fatalf("export to a failing writer: %v", err)
	}

	again := newCSVEnv(t)
	if _, err := again.svc.ImportCSV(again.admin, again.name, bytes.NewReader(first.Bytes())); err != nil {
		t.Fatal(err)
	}
	var second bytes.Buffer
	if err := again.svc.ExportCSV(again.admin, again.name, ListParams{}, &second); err != nil {
		t.Fatal(err)
	}
	cells := func(data []byte) [][]string {
		// Without id, created and updated: ids, and so times, are new.
		recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		for i := range recs {
			recs[i] = recs[i][3:]
		}
		return recs
	}
	if a, b := cells(first.Bytes()), cells(second.Bytes()); !reflect.DeepEqual(a, b) || len(a) != n+1 {
		t.Fatalf("the re-import exports differently")
	}
}

type csvFailingWriter struct {
	left int
	err  error
}

func (w *csvFailingWriter) Write(p []byte) (int, error) {
	if len(p) > w.left {
		n := w.left
		w.left = 0
		return n, w.err
	}
	w.left -= len(p)
	return len(p), nil
}
