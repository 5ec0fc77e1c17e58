package records

import (
	"context"
	"sync"
	"time"
)

// Concurrent creates of one shape are combined into one statement, a
// group commit: alone, each create paid for a statement, a transaction and
// a WAL flush of its own, and on this 2-core machine pgbench inserted the
// benchmark's posts with their events at 4.2k rows/s one per statement
// against 11.2k rows/s eight per statement. A create that finds fewer than
// maxRunningBatches statements of its shape running (or those running
// stalled) goes at once, alone, so a server under light load adds no
// latency; otherwise it waits, and when a running statement ends the
// creates waiting go together as the next one. A statement that fails is run again one create at a time, so
// each create gets exactly the answer, and the error, it would have had
// alone.
const (
	// maxRunningBatches bounds the statements of one shape in flight: while
	// they run, the next batch fills. Two let one statement's commit wait
	// for its WAL flush while the other runs; one and two measured the
	// same within the benchmark's noise (creates c64 1.95× PocketBase
	// with either).
	maxRunningBatches = 2
	// maxCreateBatch bounds the rows of one statement.
	maxCreateBatch = 32
	// stallAfter is how long a shape's statements may all run without one
	// starting or ending before a new create goes alone anyway: a row
	// waiting for a lock (its related record locked by a long
	// transaction) must not hold up every create of its collection.
	stallAfter = 100 * time.Millisecond
)

// createBatcher queues the creates of each shape (insertShape.key).
type createBatcher struct {
	mu     sync.Mutex
	shapes map[string]*createQueue
	// stall overrides stallAfter (tests).
	stall time.Duration
}

// createQueue is one shape's statements in flight and creates waiting.
type createQueue struct {
	running int
	waiting []*pendingCreate
	// progress is when a statement of the shape last started or ended.
	progress time.Time
}

// pendingCreate is one create in a batch, and its answer.
type pendingCreate struct {
	ctx   context.Context
	shape *insertShape
	row   insertRow
	out   []byte
	err   error
	// turn receives nil once the create is answered, or the batch it is to
	// run.
	turn chan []*pendingCreate
}

// enqueue adds p to its shape's queue. It returns the batch p runs at
// once ([p]), or nil if p is to wait for its turn.
func (b *createBatcher) enqueue(p *pendingCreate) []*pendingCreate {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.shapes == nil {
		b.shapes = map[string]*createQueue{}
	}
	q := b.shapes[p.shape.key]
	if q == nil {
		q = &createQueue{}
		b.shapes[p.shape.key] = q
	}
	stall := b.stall
	if stall == 0 {
		stall = stallAfter
	}
	if q.running < maxRunningBatches || time.Since(q.progress) > stall {
		q.running++
		q.progress = time.Now()
		return []*pendingCreate{p}
	}
	q.waiting = append(q.waiting, p)
	return nil
}

// next ends a statement of key's shape and returns the batch that runs in
// its place: the creates waiting, as many as the largest power of two
// (at most maxCreateBatch) allows, so each shape prepares at most six
// statement texts; nil if none waits.
func (b *createBatcher) next(key string) []*pendingCreate {
	b.mu.Lock()
	defer b.mu.Unlock()
	q := b.shapes[key]
	q.progress = time.Now()
	if len(q.waiting) == 0 {
		q.running--
		if q.running == 0 {
			delete(b.shapes, key)
		}
		return nil
	}
	n := 1
	for n*2 <= len(q.waiting) && n*2 <= maxCreateBatch {
		n *= 2
	}
	batch := q.waiting[:n:n]
	q.waiting = q.waiting[n:]
	return batch
}

// insertCombined inserts one validated record as insertRecord does, in a
// statement it may share with concurrent creates of the same shape.
func (s *Service) insertCombined(ctx context.Context, sc *scope, changes []change, ret returning) ([]byte, error) {
	sh, row, err := newInsert(sc, changes, ret)
	if err != nil {
		return nil, err
	}
	p := &pendingCreate{ctx: ctx, shape: sh, row: row, turn: make(chan []*pendingCreate, 1)}
	batch := s.creates.enqueue(p)
	if batch == nil {
		if batch = <-p.turn; batch == nil {
			return p.out, p.err
		}
	}
	// p runs batch, answers its other members and hands the next batch to
	// that batch's first member.
	s.runCreates(batch)
	for _, m := range batch {
		if m != p {
			m.turn <- nil
		}
	}
	if next := s.creates.next(sh.key); next != nil {
		next[0].turn <- next
	}
	return p.out, p.err
}

// runCreates inserts batch's rows and sets each member's answer.
func (s *Service) runCreates(batch []*pendingCreate) {
	if len(batch) == 1 {
		p := batch[0]
		p.out, p.err = p.shape.insertOne(p.ctx, s.hot, p.row)
		return
	}
	if s.insertBatch(batch) != nil {
		for _, p := range batch {
			p.out, p.err = p.shape.insertOne(p.ctx, s.hot, p.row)
		}
	}
}

// insertBatch runs batch's rows as one statement. The statement is not
// cancelled with its first member's request: the others' rows ride on it.
// A row missing from the answer was refused by the create rule.
func (s *Service) insertBatch(batch []*pendingCreate) error {
	sh := batch[0].shape
	rows := make([]insertRow, len(batch))
	for i, p := range batch {
		rows[i] = p.row
	}
	stmt := sh.statement(len(rows))
	observe(stmt)
	got := make(map[string][]byte, len(rows))
	err := s.hot.scanRows(context.WithoutCancel(batch[0].ctx), stmt, sh.bind(rows), func(scan func(...any) error) error {
		var id string
		var out []byte
		if err := scan(&id, &out); err != nil {
			return err
		}
		got[id] = out
		return nil
	})
	if err != nil {
		return err
	}
	for _, p := range batch {
		out, ok := got[p.row.id]
		if !ok {
			p.err = sh.refused()
			continue
		}
		p.out = out
	}
	return nil
}
