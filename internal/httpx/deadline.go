package httpx

import (
	"context"
	"net/http"
	"time"
)

// Timeouts bound how long a client may take. http.Server applies Read and
// Write to every request (Apply); the routes that stream (CSV import and
// export) move the connection's deadlines themselves with the functions
// below, so a slow client can hold neither a goroutine nor, through it, a
// database connection for long. (Websockets need nothing: the upgrader
// clears the server's deadlines from the connection it takes over.)
type Timeouts struct {
	Read   time.Duration // to send a whole request, headers and body
	Write  time.Duration // to read a whole response; for a streamed download, each chunk
	Stream time.Duration // total time of a streamed upload or download
}

// Apply sets the server-wide deadlines of srv.
func (t Timeouts) Apply(srv *http.Server) {
	srv.ReadTimeout = t.Read
	srv.WriteTimeout = t.Write
}

type timeoutsKey struct{}

type requestTimes struct {
	Timeouts
	start time.Time
}

// WithTimeouts records t and the request's start for the functions below.
func WithTimeouts(t Timeouts, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rt := &requestTimes{Timeouts: t, start: time.Now()}
		next.ServeHTTP(w, r.WithContext(context.WithValue(r.Context(), timeoutsKey{}, rt)))
	})
}

func timesOf(r *http.Request) *requestTimes {
	rt, _ := r.Context().Value(timeoutsKey{}).(*requestTimes)
	return rt
}

// StreamContext bounds a streamed route's work (its database statements
// included) by the stream timeout from the request's start.
func StreamContext(r *http.Request) (context.Context, context.CancelFunc) {
	rt := timesOf(r)
	if rt == nil || rt.Stream <= 0 {
		return context.WithCancel(r.Context())
	}
	return context.WithDeadline(r.Context(), rt.start.Add(rt.Stream))
}

// StreamUpload gives a streamed upload until the end of the stream timeout
// to arrive, and its answer as long, in place of the server's Read and
// Write timeouts.
func StreamUpload(w http.ResponseWriter, r *http.Request) {
	rt := timesOf(r)
	if rt == nil || rt.Stream <= 0 {
		return
	}
	end := rt.start.Add(rt.Stream)
	rc := http.NewResponseController(w)
	rc.SetReadDeadline(end)  //nolint:errcheck // fails only without deadlines (a recorder) or on a closed connection
	rc.SetWriteDeadline(end) //nolint:errcheck // fails only without deadlines (a recorder) or on a closed connection
}

// StreamChunk is called before each chunk of a streamed download: the
// client has the write timeout to take the chunk, and the stream timeout
// for the whole download.
func StreamChunk(w http.ResponseWriter, r *http.Request) {
	rt := timesOf(r)
	if rt == nil || rt.Write <= 0 {
		return
	}
	end := time.Now().Add(rt.Write)
	if stop := rt.start.Add(rt.Stream); rt.Stream > 0 && stop.Before(end) {
		end = stop
	}
	http.NewResponseController(w).SetWriteDeadline(end) //nolint:errcheck // fails only without deadlines (a recorder) or on a closed connection
}
