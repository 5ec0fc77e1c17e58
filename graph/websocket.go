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
	upgrader websocket.Upgrader
}

func newGorillaWebsocket(checkOrigin func(r *http.Request) bool) gorillaWebsocket {
	return gorillaWebsocket{upgrader: websocket.Upgrader{
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
	gc := &gorillaConn{conn: conn}
	if slot, ok := r.Context().Value(wsSlotKey{}).(*wsSlot); ok {
		slot.conn = gc
	}
	return gc, nil
}

// gorillaConn serialises writes: gorilla allows one concurrent writer, and
// the transport writes from keep-alive and subscription goroutines alike.
type gorillaConn struct {
	conn *websocket.Conn
	mu   sync.Mutex
	// sess is the socket's session once connection_init is accepted; it
	// takes the tokens a client sends to stay signed in (wssession.go).
	sess atomic.Pointer[wsSession]
}

var (
	_ transport.WebsocketReadLimiter   = (*gorillaConn)(nil)
	_ transport.WebsocketReadDeadliner = (*gorillaConn)(nil)
)

// writeTimeout bounds each write, so a client that stops reading is closed
// instead of holding its writer forever.
const writeTimeout = 10 * time.Second

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

func (c *gorillaConn) WriteJSON(v any) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn.SetWriteDeadline(time.Now().Add(writeTimeout)) //nolint:errcheck // a failed deadline shows up as a failed write
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
