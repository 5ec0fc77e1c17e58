package graph

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/99designs/gqlgen/graphql/handler/transport"
	"github.com/gorilla/websocket"
)

// gorillaWebsocket plugs gorilla/websocket (the design card's choice) into
// gqlgen's websocket transport, which otherwise uses coder/websocket.
type gorillaWebsocket struct {
	upgrader     websocket.Upgrader
	writeTimeout time.Duration
}

func newGorillaWebsocket(checkOrigin func(r *http.Request) bool, writeTimeout time.Duration) gorillaWebsocket {
	if writeTimeout <= 0 {
		writeTimeout = defaultWriteTimeout
	}
	return gorillaWebsocket{writeTimeout: writeTimeout, upgrader: websocket.Upgrader{
		CheckOrigin:     checkOrigin,
		ReadBufferSize:  4096,
		WriteBufferSize: 4096,
		// gqlgen answers a failed upgrade itself; writing a response here
		// too would send two.
		Error: func(http.ResponseWriter, *http.Request, int, error) {},
	}}
}

func (g gorillaWebsocket) Accept(w http.ResponseWriter, r *http.Request, opts transport.WebsocketAcceptOptions) (transport.WebsocketConn, error) {
	up := g.upgrader
	up.Subprotocols = opts.Subprotocols
	conn, err := up.Upgrade(w, r, opts.ResponseHeader)
	if err != nil {
		return nil, err
	}
	gc := &gorillaConn{conn: conn, writeTimeout: g.writeTimeout}
	if slot, ok := r.Context().Value(wsSlotKey{}).(*wsSlot); ok {
		slot.conn = gc
	}
	return gc, nil
}

// gorillaConn serialises writes: gorilla allows one concurrent writer, and
// the transport writes from keep-alive and subscription goroutines alike.
type gorillaConn struct {
	conn         *websocket.Conn
	writeTimeout time.Duration
	mu           sync.Mutex
	// sess is the socket's session once connection_init is accepted; it
	// takes the tokens a client sends to stay signed in (wssession.go).
	sess atomic.Pointer[wsSession]
}

var (
	_ transport.WebsocketReadLimiter   = (*gorillaConn)(nil)
	_ transport.WebsocketReadDeadliner = (*gorillaConn)(nil)
)

// defaultWriteTimeout bounds each write unless Options.WriteTimeout says
// otherwise (GRAPHQL_WS_WRITE_TIMEOUT).
const defaultWriteTimeout = 10 * time.Second

func (c *gorillaConn) Close() error { return c.conn.Close() }

func (c *gorillaConn) NextReader() (int, io.Reader, error) {
	for {
		t, r, err := c.conn.NextReader()
		var ce *websocket.CloseError
		if errors.As(err, &ce) && (ce.Code == websocket.CloseNormalClosure || ce.Code == websocket.CloseGoingAway || ce.Code == websocket.CloseNoStatusReceived) {
			return t, nil, transport.ErrWebsocketClosed
		}
		sess := c.sess.Load()
		if err != nil || sess == nil || t != websocket.TextMessage {
			return t, r, err
		}
		// Once signed in, look at each message for a renewed token.
		b, err := io.ReadAll(r)
		if err != nil {
			return t, nil, err
		}
		if sess.renewal(b) {
			continue // consumed: a repeated connection_init on the legacy protocol
		}
		return t, bytes.NewReader(b), nil
	}
}

// WriteJSON writes one message, waiting at most writeTimeout for the
// client to take it. Two bounds end a client that does not keep up, and
// which one applies depends on how long the client pauses reading:
//   - A client that reads, but slower than its events come, lets each
//     write finish; its subscription's queue (subBuffer events) overflows
//     and the subscription ends with SLOW_CONSUMER, queued after the
//     events already in flight. The socket stays open.
//   - A client that reads nothing for writeTimeout while a write waits is
//     dropped: the socket is closed without a close frame (the client sees
//     1006), since none could pass the full connection and a write cut off
//     by its deadline leaves a partial frame behind. Anything queued behind
//     the write, a SLOW_CONSUMER error too, is lost with the socket.
//
// Only the writers of this socket wait: the broker queues each
// subscriber's events without blocking (events.Subscription.offer), so
// no other subscriber waits for this one.
func (c *gorillaConn) WriteJSON(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(c.writeTimeout)) //nolint:errcheck // a failed deadline shows up as a failed write
	err := c.conn.WriteJSON(v)
	if err != nil {
		// A client that stopped reading (or a broken connection): close it,
		// which ends the read loop and with it every subscription.
		c.conn.Close() //nolint:errcheck // closing is all that is left to do
	}
	return err
}

func (c *gorillaConn) WriteClose(code int, message string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, message), time.Now().Add(time.Second))
}

func (c *gorillaConn) Subprotocol() string { return c.conn.Subprotocol() }

func (c *gorillaConn) SetReadLimit(limit int64) { c.conn.SetReadLimit(limit) }

func (c *gorillaConn) SetReadDeadline(t time.Time) error { return c.conn.SetReadDeadline(t) }
