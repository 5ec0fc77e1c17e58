// Package logging holds the server's log output: JSON lines through a
// buffer, so that a request's log line costs no system call of its own.
package logging

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"sync"
	"time"
)

// Writer buffers log lines for w and writes them out at most every
// interval, when the buffer fills, and at once after a warning or an
// error (Handler), so what explains a failure is never held back. Writing
// each request's line straight to stderr was a write system call per
// request, under the handler's lock.
type Writer struct {
	mu   sync.Mutex
	buf  *bufio.Writer
	stop chan struct{}
	done chan struct{}
}

// NewWriter starts flushing to w every interval; Close stops it.
func NewWriter(w io.Writer, interval time.Duration) *Writer {
	b := &Writer{buf: bufio.NewWriterSize(w, 64<<10), stop: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(b.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-b.stop:
				return
			case <-t.C:
				b.Flush() //nolint:errcheck // nowhere to report a failing log
			}
		}
	}()
	return b
}

func (b *Writer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

// Flush writes out what is buffered.
func (b *Writer) Flush() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Flush()
}

// Close stops the periodic flush and flushes.
func (b *Writer) Close() error {
	close(b.stop)
	<-b.done
	return b.Flush()
}

// New is the server's logger: JSON lines at level and above, into w.
func New(w *Writer, level slog.Leveler) *slog.Logger {
	return slog.New(flushing{Handler: slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}), w: w})
}

// flushing flushes w after each record of level warning or above.
type flushing struct {
	slog.Handler
	w *Writer
}

func (h flushing) Handle(ctx context.Context, r slog.Record) error {
	err := h.Handler.Handle(ctx, r)
	if r.Level >= slog.LevelWarn {
		if ferr := h.w.Flush(); err == nil {
			err = ferr
		}
	}
	return err
}

func (h flushing) WithAttrs(attrs []slog.Attr) slog.Handler {
	return flushing{Handler: h.Handler.WithAttrs(attrs), w: h.w}
}

func (h flushing) WithGroup(name string) slog.Handler {
	return flushing{Handler: h.Handler.WithGroup(name), w: h.w}
}
