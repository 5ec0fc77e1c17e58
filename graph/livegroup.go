package graph

import (
	"context"
	"errors"
	"math"
	"strings"
	"sync"
	"time"

	"fastcms/internal/collections"
	"fastcms/internal/events"
	"fastcms/internal/records"
)

// Shared live queries: the live queries of one shape (the same statement
// text from the read builder; see records.LiveStatement) form a group.
// The group follows the events of every collection its statement reads —
// the selection's, and those a where: or a rule reaches — and after the
// first event of a burst waits liveDebounce and refreshes all its members
// with one statement (records.RunLive), members with equal arguments
// sharing one row. Each member then sends its own result when it changed.

// liveGroups are a server's groups by statement text.
type liveGroups struct {
	mu sync.Mutex
	m  map[string]*liveGroup
}

// liveGroup is the members of one shape and their refresh loop.
type liveGroup struct {
	stmt    string
	ready   chan struct{} // closed once the events are followed (or err set)
	err     error
	cancel  context.CancelFunc
	members map[*liveMember]struct{} // guarded by liveGroups.mu
	runs    int64                    // refreshes started; guarded by liveGroups.mu
	dirty   chan struct{}
}

// liveMember is one subscriber of a group.
type liveMember struct {
	args   []any
	key    string // equal keys share a row; "" runs alone
	minRun int64  // the first refresh not older than the member's first run

	mu      sync.Mutex
	pending *liveUpdate
	notify  chan struct{} // a pending update is waiting
}

// liveUpdate is one refresh's result for a member; err ends it.
type liveUpdate struct {
	run int64
	b   []byte
	err error
}

// join adds a member with args to the group of stmt, starting the group
// (and its event subscriptions, on the collections of snap it reads) when
// it is the first. Results of refreshes older than the member's own first
// run are dropped: the caller runs the query itself right after join.
func (gs *liveGroups) join(ctx context.Context, srv *dynamicServer, snap *collections.Snapshot, stmt string, args []any) (*liveGroup, *liveMember, error) {
	m := &liveMember{args: args, notify: make(chan struct{}, 1)}
	if k, ok := records.LiveArgsKey(args); ok {
		m.key = "k" + k
	}
	gs.mu.Lock()
	if gs.m == nil {
		gs.m = map[string]*liveGroup{}
	}
	g := gs.m[stmt]
	create := g == nil
	if create {
		g = &liveGroup{stmt: stmt, ready: make(chan struct{}), members: map[*liveMember]struct{}{}, dirty: make(chan struct{}, 1)}
		gs.m[stmt] = g
	}
	g.members[m] = struct{}{}
	m.minRun = g.runs + 1
	gs.mu.Unlock()
	if create {
		g.err = gs.start(srv, snap, g)
		close(g.ready)
	}
	select {
	case <-g.ready:
	case <-ctx.Done():
		gs.leave(g, m)
		return nil, nil, ctx.Err()
	}
	if g.err != nil {
		gs.leave(g, m)
		return nil, nil, g.err
	}
	return g, m, nil
}

// leave removes m; the last member to leave stops the group.
func (gs *liveGroups) leave(g *liveGroup, m *liveMember) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	delete(g.members, m)
	if len(g.members) == 0 {
		if gs.m[g.stmt] == g {
			delete(gs.m, g.stmt)
		}
		if g.cancel != nil {
			g.cancel()
		}
	}
}

// reads are the collections of snap whose tables stmt names.
func reads(snap *collections.Snapshot, stmt string) []*collections.Collection {
	var out []*collections.Collection
	for _, c := range snap.All() {
		if strings.Contains(stmt, c.Table()) {
			out = append(out, c)
		}
	}
	return out
}

// start follows the events of the collections g reads and runs its
// refresh loop until its last member leaves.
func (gs *liveGroups) start(srv *dynamicServer, snap *collections.Snapshot, g *liveGroup) error {
	ctx, cancel := context.WithCancel(context.Background())
	var subs []*events.Subscription
	failed := make(chan error, 1)
	for _, c := range reads(snap, g.stmt) {
		sub, err := srv.o.Events.Subscribe(ctx, c.ID, -1, subBuffer)
		if err != nil {
			cancel()
			for _, s := range subs {
				s.Close()
			}
			return err
		}
		subs = append(subs, sub)
		go func() {
			// Never blocks on the refresh: events only mark the group dirty.
			for range sub.C {
				select {
				case g.dirty <- struct{}{}:
				default:
				}
			}
			// Canceled: the broker closed with the server, which ends the sockets.
			if err := sub.Err(); err != nil && !errors.Is(err, context.Canceled) && ctx.Err() == nil {
				select {
				case failed <- err:
				default:
				}
			}
		}()
	}
	gs.mu.Lock()
	g.cancel = cancel
	if len(g.members) == 0 { // every joiner left while the events were being followed
		cancel()
	}
	gs.mu.Unlock()
	go func() {
		defer func() {
			for _, s := range subs {
				s.Close()
			}
		}()
		for {
			select {
			case <-ctx.Done():
				return
			case err := <-failed:
				srv.o.Log.ErrorContext(ctx, "following events of a live query", "err", err)
				gs.broadcast(g, liveUpdate{run: math.MaxInt64, err: err})
				return
			case <-g.dirty:
			}
			t := time.NewTimer(liveDebounce)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			// The events up to here are committed: this refresh sees them.
			select {
			case <-g.dirty:
			default:
			}
			gs.refresh(ctx, srv.o.Records, g)
		}
	}()
	return nil
}

// refresh runs g's statement once for all its members.
func (gs *liveGroups) refresh(ctx context.Context, rs *records.Service, g *liveGroup) {
	gs.mu.Lock()
	g.runs++
	run := g.runs
	members := make([]*liveMember, 0, len(g.members))
	for m := range g.members {
		members = append(members, m)
	}
	gs.mu.Unlock()
	var sets [][]any
	row := make([]int, len(members))
	byKey := map[string]int{}
	for i, m := range members {
		if j, ok := byKey[m.key]; ok && m.key != "" {
			row[i] = j
			continue
		}
		row[i] = len(sets)
		byKey[m.key] = len(sets)
		sets = append(sets, m.args)
	}
	res := rs.RunLive(ctx, g.stmt, sets)
	if ctx.Err() != nil {
		return
	}
	for i, m := range members {
		r := res[row[i]]
		m.deliver(liveUpdate{run: run, b: r.JSON, err: r.Err})
	}
}

// broadcast delivers u to every member of g.
func (gs *liveGroups) broadcast(g *liveGroup, u liveUpdate) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	for m := range g.members {
		m.deliver(u)
	}
}

// deliver replaces the member's pending update with u (a later refresh
// supersedes an earlier one the member has not taken yet).
func (m *liveMember) deliver(u liveUpdate) {
	m.mu.Lock()
	m.pending = &u
	m.mu.Unlock()
	select {
	case m.notify <- struct{}{}:
	default:
	}
}

// take returns the pending update, nil when there is none or it is older
// than the member's first run.
func (m *liveMember) take() *liveUpdate {
	m.mu.Lock()
	defer m.mu.Unlock()
	u := m.pending
	m.pending = nil
	if u == nil || u.run < m.minRun {
		return nil
	}
	return u
}
