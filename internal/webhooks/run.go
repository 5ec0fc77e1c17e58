package webhooks

import (
	"context"
	"database/sql"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/uptrace/bun"

	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/notify"
)

// workChannel is notified when deliveries are queued, so the workers of
// every instance look for them at once.
const workChannel = "fastcms_webhooks"

// Options configure delivery. Zero values take the defaults.
type Options struct {
	// AllowPrivateTargets lets webhooks reach loopback, private and
	// link-local addresses (development and tests), asked at each
	// connection (the live setting webhook_allow_private_targets); nil is
	// never. See guard.go.
	AllowPrivateTargets func() bool
	// RetryDelays are the waits after the 1st, 2nd, … failed attempt; the
	// last one repeats. Each is jittered by ±20%.
	RetryDelays    []time.Duration
	ConnectTimeout time.Duration // to open the connection
	Timeout        time.Duration // for the whole attempt, answer included
	Workers        int           // concurrent sends per instance
	Log            *slog.Logger
}

// DefaultRetryDelays is about 1m, 5m, 15m, 30m, 1h.
var DefaultRetryDelays = []time.Duration{time.Minute, 5 * time.Minute, 15 * time.Minute, 30 * time.Minute, time.Hour}

func (o *Options) defaults() {
	if len(o.RetryDelays) == 0 {
		o.RetryDelays = DefaultRetryDelays
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = 5 * time.Second
	}
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Log == nil {
		o.Log = slog.Default()
	}
}

// Service manages webhooks and, until Close, dispatches and sends their
// deliveries.
type Service struct {
	db       *sql.DB
	registry *collections.Registry
	opts     Options
	log      *slog.Logger
	client   *http.Client

	dispatchWake chan struct{}
	workWake     chan struct{}
	unsubscribe  []func()
	cancel       context.CancelFunc
	wg           sync.WaitGroup
}

// Start builds the service and runs this instance's dispatcher and workers.
func Start(db *bun.DB, registry *collections.Registry, hub *notify.Hub, o Options) (*Service, error) {
	o.defaults()
	transport := &http.Transport{
		Proxy:                 nil, // a proxy would connect on our behalf, past the guard
		DialContext:           dialer(o).DialContext,
		TLSHandshakeTimeout:   o.ConnectTimeout,
		ResponseHeaderTimeout: o.Timeout,
		MaxIdleConnsPerHost:   o.Workers,
		IdleConnTimeout:       90 * time.Second,
	}
	s := &Service{
		db: db.DB, registry: registry, opts: o, log: o.Log,
		client: &http.Client{Transport: transport, Timeout: o.Timeout,
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }},
		dispatchWake: make(chan struct{}, 1),
		workWake:     make(chan struct{}, o.Workers),
	}
	for ch, fn := range map[string]func(){events.Channel: s.wakeDispatcher, workChannel: s.wakeWorkers} {
		unsub, err := hub.Subscribe(ch, func(string) { fn() })
		if err != nil {
			s.Close()
			return nil, err
		}
		s.unsubscribe = append(s.unsubscribe, unsub)
	}
	hub.OnReconnect(func() { s.wakeDispatcher(); s.wakeWorkers() })
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.wg.Add(1 + o.Workers)
	go s.dispatchLoop(ctx)
	for range o.Workers {
		go s.workLoop(ctx)
	}
	return s, nil
}

// Close stops the dispatcher and the workers; a send under way is
// abandoned and its delivery released for the next claim.
func (s *Service) Close() {
	for _, u := range s.unsubscribe {
		u()
	}
	if s.cancel != nil {
		s.cancel()
	}
	s.wg.Wait()
	s.client.CloseIdleConnections()
}

func (s *Service) wakeDispatcher() {
	select {
	case s.dispatchWake <- struct{}{}:
	default:
	}
}

func (s *Service) wakeWorkers() {
	for range cap(s.workWake) {
		select {
		case s.workWake <- struct{}{}:
		default:
			return
		}
	}
}

// sleep waits for d, a wake-up on wake, or the end of ctx (false).
func sleep(ctx context.Context, wake <-chan struct{}, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-wake:
	case <-t.C:
	}
	return true
}
