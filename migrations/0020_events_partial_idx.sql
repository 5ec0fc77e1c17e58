-- A write inserts its event with no seq; the sequencer stamps it later
-- (0006). The indexes that only readers of stamped events use leave
-- unstamped ones out, so a write's event touches two indexes (events_pkey
-- and events_unsequenced_idx) instead of five: fewer pages to change under
-- every write, and no pile of NULL entries for the stamp to step over.
-- Every query on seq or created names seq (seq > n implies it), and the
-- retention delete keeps unstamped events, which subscribers have not seen.
DROP INDEX events_seq_idx;
CREATE UNIQUE INDEX events_seq_idx ON events (seq) WHERE seq IS NOT NULL;
DROP INDEX events_collection_seq_idx;
CREATE INDEX events_collection_seq_idx ON events (collection_id, seq) WHERE seq IS NOT NULL;
DROP INDEX events_created_idx;
CREATE INDEX events_created_idx ON events (created) WHERE seq IS NOT NULL;
