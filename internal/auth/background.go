package auth

import (
	"context"
	"sync"
	"time"
)

// Bounds of the background mail queue.
const (
	// backgroundQueue is how many jobs may wait; past it new ones are
	// dropped (and logged) rather than making a request wait.
	backgroundQueue = 1024
	// backgroundJobTimeout bounds one job (a lookup, a token, one mail).
	backgroundJobTimeout = 30 * time.Second
	// closeWait bounds how long Close waits for queued mail.
	closeWait = 10 * time.Second
)

// background runs the mail flows after the response: a request for a reset
// or a verification answers at once, in the same time whether or not the
// account exists, and a slow SMTP server never holds a request.
type background struct {
	jobs chan backgroundJob
	done chan struct{}
	ctx  context.Context
	stop context.CancelFunc

	mu     sync.Mutex
	closed bool
}

type backgroundJob struct {
	what string
	fn   func(ctx context.Context) error
}

func (s *Service) startBackground() {
	ctx, stop := context.WithCancel(context.Background())
	b := &background{jobs: make(chan backgroundJob, backgroundQueue), done: make(chan struct{}), ctx: ctx, stop: stop}
	s.bg = b
	go func() {
		defer close(b.done)
		for job := range b.jobs {
			jctx, cancel := context.WithTimeout(b.ctx, backgroundJobTimeout)
			if err := job.fn(jctx); err != nil {
				s.log.Error("background mail job", "job", job.what, "err", err)
			}
			cancel()
		}
	}()
}

// later queues fn; it never blocks. Errors are logged: the request that
// queued fn has been answered already.
func (s *Service) later(what string, fn func(ctx context.Context) error) {
	b := s.bg
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		s.log.Error("background mail job after Close: dropped", "job", what)
		return
	}
	select {
	case b.jobs <- backgroundJob{what, fn}:
	default:
		s.log.Error("background mail queue full: job dropped", "job", what)
	}
}

// Close stops taking background jobs and waits (a bounded time) for the
// queued ones, so mail asked for before shutdown still goes out.
func (s *Service) Close() {
	b := s.bg
	b.mu.Lock()
	if !b.closed {
		b.closed = true
		close(b.jobs)
	}
	b.mu.Unlock()
	select {
	case <-b.done:
	case <-time.After(closeWait):
		// An SMTP call may not heed the cancel; shutdown does not wait for it.
		s.log.Error("background mail still running at shutdown: cancelled")
	}
	b.stop()
}
