// Package notify delivers PostgreSQL NOTIFY messages to in-process callbacks,
// so every server instance learns of changes made through any other
// (sessions revoked, collections changed, records written).
package notify

import (
	"errors"
	"log/slog"
	"sync"
	"time"

	"github.com/lib/pq"
)

// Hub owns one LISTEN connection and fans its notifications out by channel.
type Hub struct {
	listener *pq.Listener
	log      *slog.Logger

	mu          sync.Mutex
	subs        map[string]map[int]func(payload string)
	reconnected map[int]func()
	nextID      int
	done        chan struct{}
}

// Start opens the listening connection. It reconnects by itself; after a
// reconnect every OnReconnect callback runs, because notifications sent while
// the connection was down are lost and callers must resynchronise.
func Start(dsn string, log *slog.Logger) (*Hub, error) {
	h := &Hub{
		log:         log,
		subs:        map[string]map[int]func(string){},
		reconnected: map[int]func(){},
		done:        make(chan struct{}),
	}
	first := make(chan error, 1)
	h.listener = pq.NewListener(dsn, 100*time.Millisecond, 5*time.Second, func(ev pq.ListenerEventType, err error) {
		switch ev {
		case pq.ListenerEventConnected:
			select {
			case first <- nil:
			default:
			}
		case pq.ListenerEventConnectionAttemptFailed:
			select {
			case first <- err:
			default:
			}
		}
		if err != nil {
			log.Warn("notify listener", "event", ev, "err", err)
		}
	})
	select {
	case err := <-first:
		if err != nil {
			h.listener.Close()
			return nil, err
		}
	case <-time.After(10 * time.Second):
		h.listener.Close()
		return nil, errors.New("notify: timed out connecting the listener")
	}
	go h.loop()
	return h, nil
}

func (h *Hub) loop() {
	defer close(h.done)
	for n := range h.listener.Notify {
		h.mu.Lock()
		var fns []func(string)
		var resync []func()
		if n == nil {
			for _, fn := range h.reconnected {
				resync = append(resync, fn)
			}
		} else {
			for _, fn := range h.subs[n.Channel] {
				fns = append(fns, fn)
			}
		}
		h.mu.Unlock()
		for _, fn := range resync {
			fn()
		}
		for _, fn := range fns {
			fn(n.Extra)
		}
	}
}

// Subscribe calls fn with the payload of every notification on channel until
// the returned function is called. fn runs on the hub's goroutine: keep it short.
func (h *Hub) Subscribe(channel string, fn func(payload string)) (unsubscribe func(), err error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.subs[channel] == nil {
		if err := h.listener.Listen(channel); err != nil && err != pq.ErrChannelAlreadyOpen {
			return nil, err
		}
		h.subs[channel] = map[int]func(string){}
	}
	h.nextID++
	id := h.nextID
	h.subs[channel][id] = fn
	return func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs[channel], id)
	}, nil
}

// OnReconnect calls fn after each reconnection of the listening connection.
func (h *Hub) OnReconnect(fn func()) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.nextID++
	h.reconnected[h.nextID] = fn
}

// Close stops listening and waits for the delivery goroutine to end.
func (h *Hub) Close() error {
	err := h.listener.Close()
	<-h.done
	return err
}
