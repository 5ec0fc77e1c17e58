package settings_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/lib/pq"

	"fastcms/internal/pgtest"
)

// BenchmarkSharedRateStore prices the alternative to the per-instance token
// buckets that README "Rate limit" weighs: request counts per client and
// minute shared by every instance in PostgreSQL.
//
//   - per_request: one upsert per request, exact across instances; its
//     time is what each request would wait for.
//   - batched/clients=N: what an instance would send every flush interval
//     instead: the counts of N clients in one statement that also returns
//     the totals every instance has added. ns/op is one flush; divided by
//     the requests it carries it is the per-request cost.
//
// The table is made here: the store is not built, only measured.
func BenchmarkSharedRateStore(b *testing.B) {
	db := pgtest.Open(b).DB
	ctx := context.Background()
	if _, err := db.ExecContext(ctx, `CREATE UNLOGGED TABLE IF NOT EXISTS bench_rate_counts (
		client text NOT NULL, minute bigint NOT NULL, n integer NOT NULL, PRIMARY KEY (client, minute))`); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.ExecContext(ctx, `DROP TABLE bench_rate_counts`) }) //nolint:errcheck // the database is dropped anyway
	minute := time.Now().Unix() / 60

	b.Run("per_request", func(b *testing.B) {
		i := 0
		for b.Loop() {
			i++
			var n int
			if err := db.QueryRowContext(ctx, `INSERT INTO bench_rate_counts AS c (client, minute, n) VALUES ($1, $2, 1)
				ON CONFLICT (client, minute) DO UPDATE SET n = c.n + 1 RETURNING n`, fmt.Sprintf("user-%d", i%1000), minute).Scan(&n); err != nil {
				b.Fatal(err)
			}
		}
	})
	for _, clients := range []int{1, 100, 1000} {
		keys, deltas := make([]string, clients), make([]int64, clients)
		for i := range keys {
			keys[i], deltas[i] = fmt.Sprintf("user-%d", i), 3
		}
		b.Run(fmt.Sprintf("batched/clients=%d", clients), func(b *testing.B) {
			for b.Loop() {
				rows, err := db.QueryContext(ctx, `INSERT INTO bench_rate_counts AS c (client, minute, n)
					SELECT k, $2, d FROM unnest($1::text[], $3::integer[]) AS u(k, d)
					ON CONFLICT (client, minute) DO UPDATE SET n = c.n + EXCLUDED.n RETURNING client, n`,
					pq.Array(keys), minute, pq.Array(deltas))
				if err != nil {
					b.Fatal(err)
				}
				seen := 0
				for rows.Next() {
					seen++
				}
				if err := rows.Close(); err != nil || seen != clients {
					b.Fatalf("%d totals back, want %d: %v", seen, clients, err)
				}
			}
		})
	}
}
