package graph

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
)

// A websocket's session: the access token it is signed in with, checked
// for as long as the socket is open. The socket closes with 4403 (and the
// reason, e.g. "invalid or expired access token") when the token expires or
// its session ends: a logout, a logout-all, a revoked session, a deleted
// user. auth.Service.OnChange wakes the sessions of a changed user at once,
// on every instance (auth NOTIFYs each change); a check every
// wsCheckInterval catches expiry.
//
// To stay signed in past the token's expiry, a client sends a newer access
// token of the same user:
//   - graphql-transport-ws: in the payload of a ping,
//     {"type":"ping","payload":{"Authorization":"Bearer …"}} (or
//     {"token": …}); the server answers the ping with a pong as usual.
//   - graphql-ws (legacy): in a repeated connection_init, answered with a
//     connection_ack (the protocol has no ping from clients).
//
// The new token applies to the operations started after it; an invalid one
// closes the socket with 4403.
//
// Subscriptions and live queries run with the principal they started
// with, so a change of the user's rights closes the socket with 4403
// (msgAccessChanged): a change of role, email or verified flag (which
// rules may read) seen by the watch (auth NOTIFYs it), and, so that no
// event slips out before the watch wakes, by each delivery
// (stillEntitled). A change of name or avatar, or a promotion to admin,
// leaves the socket open.

// wsCheckInterval is how often a socket's token is checked for expiry.
var wsCheckInterval = time.Second

// wsSlot carries the accepted connection from Accept to wsInit (both see
// the upgrade request's context), and the client's address.
type wsSlot struct {
	conn *gorillaConn
	ip   string
}

type (
	wsSlotKey    struct{}
	wsSessionKey struct{}
)

// wsSession is one signed-in (or anonymous) websocket.
type wsSession struct {
	conn *gorillaConn
	svc  *auth.Service
	all  *wsSessions
	wake chan struct{}

	// client is what the socket counts against in wsSessions.open.
	client string
	// principal is whom the socket signed in as (nil: anonymous).
	principal *auth.Principal

	mu     sync.Mutex
	token  string
	userID string
	subs   int // open subscriptions
}

// wsSessions indexes the open sessions by user, to wake them on a change,
// and counts them per client, to cap them.
type wsSessions struct {
	svc *auth.Service
	// maxSockets caps the sockets per client, maxSubs the subscriptions
	// per socket; 0 is no cap.
	maxSockets, maxSubs int

	mu     sync.Mutex
	byUser map[string]map[*wsSession]struct{}
	open   map[string]int
	// sockets are all the open sessions, anonymous ones too (closeAll).
	sockets map[*wsSession]struct{}
}

func newWSSessions(svc *auth.Service, maxSockets, maxSubs int) *wsSessions {
	ss := &wsSessions{svc: svc, maxSockets: maxSockets, maxSubs: maxSubs, byUser: map[string]map[*wsSession]struct{}{}, open: map[string]int{},
		sockets: map[*wsSession]struct{}{}}
	if svc != nil {
		svc.OnChange(ss.changed)
	}
	return ss
}

// changed wakes the sessions of userID ("" for every user).
func (ss *wsSessions) changed(userID string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	for id, set := range ss.byUser {
		if userID != "" && id != userID {
			continue
		}
		for s := range set {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

func (ss *wsSessions) index(s *wsSession, oldUser, newUser string) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	if set := ss.byUser[oldUser]; set != nil {
		delete(set, s)
		if len(set) == 0 {
			delete(ss.byUser, oldUser)
		}
	}
	if newUser == "" {
		return
	}
	if ss.byUser[newUser] == nil {
		ss.byUser[newUser] = map[*wsSession]struct{}{}
	}
	ss.byUser[newUser][s] = struct{}{}
}

// errTooManySockets refuses a socket over the cap of its client.
var errTooManySockets = errors.New("too many open websockets for this client")

// start begins watching a socket accepted with token (signed in as p, nil
// when anonymous, then counted against ip) until ctx, the connection's,
// ends. It refuses a socket over its client's cap.
func (ss *wsSessions) start(ctx context.Context, conn *gorillaConn, token string, p *auth.Principal, ip string) (*wsSession, error) {
	s := &wsSession{conn: conn, svc: ss.svc, all: ss, wake: make(chan struct{}, 1), token: token, client: "ip " + ip}
	if p != nil {
		s.userID = p.UserID
		s.client = "user " + p.UserID
		s.principal = p
	}
	ss.mu.Lock()
	if ss.maxSockets > 0 && ss.open[s.client] >= ss.maxSockets {
		ss.mu.Unlock()
		return nil, fmt.Errorf("%w: at most %d", errTooManySockets, ss.maxSockets)
	}
	ss.open[s.client]++
	ss.sockets[s] = struct{}{}
	ss.mu.Unlock()
	ss.index(s, "", s.userID)
	conn.sess.Store(s)
	go s.watch(ctx)
	return s, nil
}

// closeAll closes every open socket with code and reason.
func (ss *wsSessions) closeAll(code int, reason string) {
	ss.mu.Lock()
	open := make([]*wsSession, 0, len(ss.sockets))
	for s := range ss.sockets {
		open = append(open, s)
	}
	ss.mu.Unlock()
	for _, s := range open {
		s.conn.closeWith(code, reason)
	}
}

// release uncounts a closed socket.
func (ss *wsSessions) release(s *wsSession) {
	ss.mu.Lock()
	defer ss.mu.Unlock()
	delete(ss.sockets, s)
	if ss.open[s.client]--; ss.open[s.client] <= 0 {
		delete(ss.open, s.client)
	}
}

// subscribe counts a subscription of the socket in ctx until ctx (the
// operation's, which gqlgen cancels when the subscription ends for any
// reason) is done; it refuses one over the cap. Outside a websocket there
// is nothing to count.
func subscribe(ctx context.Context) error {
	s, ok := ctx.Value(wsSessionKey{}).(*wsSession)
	if !ok {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if max := s.all.maxSubs; max > 0 && s.subs >= max {
		return apierr.New(http.StatusTooManyRequests, "too many requests", "too many subscriptions on this websocket: at most %d may be open", max)
	}
	s.subs++
	context.AfterFunc(ctx, func() {
		s.mu.Lock()
		s.subs--
		s.mu.Unlock()
	})
	return nil
}

func (s *wsSession) currentToken() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.token
}

// watch closes the socket once its token no longer authenticates.
//
// An anonymous socket has no token to expire and is not ticked: with one
// ticker per socket, 10,000 idle anonymous sockets cost the server 10,000
// wake-ups a second. The ticker starts when the socket gets a token
// (renew wakes the watcher).
func (s *wsSession) watch(ctx context.Context) {
	var ticker *time.Ticker
	var tick <-chan time.Time
	defer func() {
		if ticker != nil {
			ticker.Stop()
		}
	}()
	defer func() {
		s.mu.Lock()
		user := s.userID
		s.mu.Unlock()
		s.all.index(s, user, "")
		s.all.release(s)
	}()
	for {
		if ticker == nil && s.currentToken() != "" {
			ticker = time.NewTicker(wsCheckInterval)
			tick = ticker.C
		}
		select {
		case <-ctx.Done():
			return
		case <-tick:
		case <-s.wake:
		}
		token := s.currentToken()
		if token == "" || s.svc == nil {
			continue
		}
		p, err := s.svc.Authenticate(ctx, token)
		if err != nil {
			if _, ok := apierr.As(err); ok && ctx.Err() == nil {
				s.conn.closeWith(wsForbidden, err.Error())
				return
			}
			continue
		}
		if s.principal != nil && !rightsHold(s.principal, p) {
			s.conn.closeWith(wsForbidden, msgAccessChanged)
			return
		}
	}
}

// msgAccessChanged is the reason of a socket closed by a change of rights.
const msgAccessChanged = "the user's role, email or verification changed: connect again"

// rightsHold reports whether now may see all that was could: the same
// user, with the same role, email and verified flag (which rules read), or
// now an admin, whom no rule limits (so a promotion keeps the socket).
func rightsHold(was, now *auth.Principal) bool {
	if was.UserID != now.UserID {
		return false
	}
	return now.IsAdmin() || was.Role == now.Role && was.Email == now.Email && was.Verified == now.Verified
}

// stillEntitled checks, before a subscription delivers, that the principal
// its operation started with (in ctx) still holds: the socket's token still
// authenticates, with the same rights. Otherwise it closes the socket with
// 4403, as the watch would, and reports false: nothing is to be sent. An
// anonymous operation has nothing to lose.
func stillEntitled(ctx context.Context) bool {
	s, ok := ctx.Value(wsSessionKey{}).(*wsSession)
	started := auth.FromContext(ctx)
	if !ok || started == nil || s.svc == nil {
		return true
	}
	p, err := s.svc.Authenticate(ctx, s.currentToken())
	switch {
	case err != nil:
		if _, ok := apierr.As(err); ok {
			s.conn.closeWith(wsForbidden, err.Error())
		}
		return false
	case !rightsHold(started, p):
		s.conn.closeWith(wsForbidden, msgAccessChanged)
		return false
	}
	return true
}

// renewal takes a newer token from a client message; it reports whether
// the message was consumed (the transport must not see it).
func (s *wsSession) renewal(b []byte) bool {
	var msg struct {
		Type    string         `json:"type"`
		Payload map[string]any `json:"payload"`
	}
	if json.Unmarshal(b, &msg) != nil {
		return false
	}
	modern := s.conn.Subprotocol() == "graphql-transport-ws"
	switch {
	case msg.Type == "ping" && modern:
		if token := initToken(msg.Payload); token != "" {
			s.renew(token)
		}
		return false
	case msg.Type == "connection_init" && !modern:
		if token := initToken(msg.Payload); token != "" && s.renew(token) {
			_ = s.conn.WriteJSON(map[string]string{"type": "connection_ack"})
		}
		return true
	}
	return false
}

// renew switches the session to token, or closes the socket if the token
// is invalid or of another user.
func (s *wsSession) renew(token string) bool {
	if s.svc == nil {
		return false
	}
	p, err := s.svc.Authenticate(context.Background(), token)
	if err != nil {
		if _, ok := apierr.As(err); ok {
			s.conn.closeWith(wsForbidden, err.Error())
		}
		return false
	}
	s.mu.Lock()
	old := s.userID
	if old != "" && old != p.UserID {
		s.mu.Unlock()
		s.conn.closeWith(wsForbidden, "a renewed token must be of the same user")
		return false
	}
	s.token, s.userID = token, p.UserID
	s.mu.Unlock()
	if old != p.UserID {
		s.all.index(s, old, p.UserID)
	}
	select {
	case s.wake <- struct{}{}: // the watcher starts ticking for a first token
	default:
	}
	return true
}

// closeWith closes the socket with a close code and reason.
func (c *gorillaConn) closeWith(code int, reason string) {
	c.mu.Lock()
	_ = c.conn.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(time.Second))
	c.mu.Unlock()
	_ = c.conn.Close()
}
