package httpx

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"fastcms/internal/logging"
)

// BenchmarkRequestLogging is the cost of WithLogging's line per request:
// with logging off (LOG_LEVEL=warn), and at info into a file, written
// directly (one write system call per request) or through the server's
// buffered writer (internal/logging).
func BenchmarkRequestLogging(b *testing.B) {
	file := func(b *testing.B) *os.File {
		f, err := os.Create(filepath.Join(b.TempDir(), "log"))
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { f.Close() })
		return f
	}
	cases := []struct {
		name string
		log  func(b *testing.B) *slog.Logger
	}{
		{"off", func(b *testing.B) *slog.Logger {
			return slog.New(slog.NewJSONHandler(file(b), &slog.HandlerOptions{Level: slog.LevelWarn}))
		}},
		{"info-unbuffered", func(b *testing.B) *slog.Logger { return slog.New(slog.NewJSONHandler(file(b), nil)) }},
		{"info-buffered", func(b *testing.B) *slog.Logger {
			w := logging.NewWriter(file(b), 100*time.Millisecond)
			b.Cleanup(func() { w.Close() })
			return logging.New(w, slog.LevelInfo)
		}},
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.Write([]byte(`{"ok":true}`)) }) //nolint:errcheck // a recorder
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			h := WithRequestID(WithLogging(c.log(b), ok))
			req := httptest.NewRequest(http.MethodGet, "/api/v1/collections/posts/records/0f9b", nil)
			b.ReportAllocs()
			cpu0 := cpuTime(b)
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					h.ServeHTTP(httptest.NewRecorder(), req)
				}
			})
			// CPU, unlike ns/op, is not inflated by other processes of a
			// busy machine.
			b.ReportMetric(float64(cpuTime(b)-cpu0)/float64(b.N), "cpu-ns/op")
		})
	}
}

// cpuTime is this process's user and system CPU so far.
func cpuTime(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
