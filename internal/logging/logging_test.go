package logging

import (
	"bytes"
	"strings"
	"sync"
	"testing"
	"time"
)

// lockedBuffer is a bytes.Buffer safe for the flusher and the test.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// Info lines wait for the periodic flush (or Close); a warning goes out
// at once with the lines before it.
func TestWriterHoldsInfoAndFlushesWarnings(t *testing.T) {
	var out lockedBuffer
	w := NewWriter(&out, time.Hour)
	log := New(w, nil)
	log.Info("request", "path", "/a")
	if got := out.String(); got != "" {
		t.Fatalf("info written before a flush: %q", got)
	}
	log.With("k", "v").Warn("slow")
	got := out.String()
	if !strings.Contains(got, `"msg":"request","path":"/a"`) || !strings.Contains(got, `"msg":"slow","k":"v"`) {
		t.Fatalf("after a warning: %q", got)
	}
	log.Info("last")
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), `"msg":"last"`) {
		t.Fatalf("Close lost a line: %q", out.String())
	}
}

// The periodic flush writes info lines out without a warning.
func TestWriterFlushesPeriodically(t *testing.T) {
	var out lockedBuffer
	w := NewWriter(&out, time.Millisecond)
	defer w.Close()
	New(w, nil).Info("tick")
	for deadline := time.Now().Add(5 * time.Second); !strings.Contains(out.String(), `"msg":"tick"`); time.Sleep(time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("never flushed")
		}
	}
}
