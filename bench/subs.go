package main

// Subscriptions: S websocket subscribers to posts_mutated (graphql-transport-ws)
// while posts are created over REST at a fixed rate; what is measured is the
// delivery latency from sending the create to each subscriber receiving
// its event, and how many events arrived. There is no SQL twin.

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

type subResult struct {
	Subscribers int      `json:"subscribers"`
	Writes      int      `json:"writes"`
	WriteRate   float64  `json:"write_rate"`
	Expected    int      `json:"events_expected"`
	Delivered   int      `json:"events_delivered"`
	Stats       runStats `json:"delivery"` // latencies of delivered events; Errors = missing events
}

func (b *bench) subscriptions(ctx context.Context, subscribers, writes int, rate float64) (*subResult, error) {
	wsURL := "ws" + strings.TrimPrefix(b.base, "http") + "/graphql"
	dialer := websocket.Dialer{Subprotocols: []string{"graphql-transport-ws"}, HandshakeTimeout: 10 * time.Second}
	var sent sync.Map // title → time sent
	var mu sync.Mutex
	var lat []time.Duration
	var delivered atomic.Int64
	var conns []*websocket.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	var wg sync.WaitGroup
	for s := 0; s < subscribers; s++ {
		c, _, err := dialer.DialContext(ctx, wsURL, nil)
		if err != nil {
			return nil, fmt.Errorf("websocket: %w", err)
		}
		conns = append(conns, c)
		if err := c.WriteJSON(map[string]any{"type": "connection_init", "payload": map[string]any{}}); err != nil {
			return nil, err
		}
		var ack struct{ Type string }
		if err := c.ReadJSON(&ack); err != nil || ack.Type != "connection_ack" {
			return nil, fmt.Errorf("websocket init: %v %q", err, ack.Type)
		}
		if err := c.WriteJSON(map[string]any{"id": "1", "type": "subscribe", "payload": map[string]any{
			"query": `subscription { posts_mutated(events: [INSERT]) { seq event id data { title } } }`}}); err != nil {
			return nil, err
		}
		wg.Add(1)
		go func(c *websocket.Conn) {
			defer wg.Done()
			for {
				var msg struct {
					Type    string
					Payload struct {
						Data struct {
							Ev struct {
								Data struct{ Title string } `json:"data"`
							} `json:"posts_mutated"`
						} `json:"data"`
					} `json:"payload"`
				}
				if err := c.ReadJSON(&msg); err != nil {
					return
				}
				if msg.Type != "next" {
					continue
				}
				now := time.Now()
				if t, ok := sent.Load(msg.Payload.Data.Ev.Data.Title); ok {
					mu.Lock()
					lat = append(lat, now.Sub(t.(time.Time)))
					mu.Unlock()
					delivered.Add(1)
				}
			}
		}(c)
	}
	time.Sleep(200 * time.Millisecond) // let the subscriptions start
	m := begin(b.serverRec)
	interval := time.Duration(float64(time.Second) / rate)
	start := time.Now()
	var werrs atomic.Int64
	var wwg sync.WaitGroup
	for i := 0; i < writes; i++ {
		if d := time.Until(start.Add(time.Duration(i) * interval)); d > 0 {
			time.Sleep(d)
		}
		title := fmt.Sprintf("sub-bench %d", i)
		req := restJSON("POST", "/api/v1/collections/posts/records", map[string]any{"data": map[string]any{
			"title": title, "body": "subscription benchmark", "author": b.authors[i%len(b.authors)], "published": true, "views": i}}, true)
		sent.Store(title, time.Now())
		wwg.Add(1)
		go func() {
			defer wwg.Done()
			if _, err := b.do(ctx, req); err != nil {
				werrs.Add(1)
			}
		}()
	}
	wwg.Wait()
	want := int64(subscribers * writes)
	for deadline := time.Now().Add(5 * time.Second); delivered.Load() < want && time.Now().Before(deadline); {
		time.Sleep(20 * time.Millisecond)
	}
	for _, c := range conns {
		c.Close()
	}
	wg.Wait()
	mu.Lock()
	got := append([]time.Duration(nil), lat...)
	mu.Unlock()
	st := m.end(got, int(want)-len(got)+int(werrs.Load()), "")
	st.ErrorPercent = 100 * float64(st.Errors) / float64(want)
	st.TargetRPS = rate
	if werrs.Load() > 0 {
		st.FirstError = fmt.Sprintf("%d creates failed", werrs.Load())
	}
	res := &subResult{Subscribers: subscribers, Writes: writes, WriteRate: rate, Expected: int(want), Delivered: len(got), Stats: st}
	logf("subscriptions: %d subscribers, %d creates at %.0f/s: %d/%d events, p50 %.2f p90 %.2f p99 %.2f ms",
		subscribers, writes, rate, len(got), want, st.P50ms, st.P90ms, st.P99ms)
	return res, nil
}
