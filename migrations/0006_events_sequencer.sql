-- Events are ordered after commit, not by a lock held through every
-- write's commit (which capped the server at a few hundred writes a
-- second). A write inserts its events with an insertion id and no seq; a
-- single sequencer (internal/events/sequencer.go, elected by an advisory
-- lock) stamps committed events with seq in batches, in its own
-- transaction, so seq order is the order events became visible to it and
-- a reader that has seen seq n has seen every event below n.
ALTER TABLE events DROP CONSTRAINT events_pkey;
ALTER TABLE events ALTER COLUMN seq DROP DEFAULT;
ALTER TABLE events ALTER COLUMN seq DROP NOT NULL;
DROP SEQUENCE events_seq_seq;
ALTER TABLE events ADD COLUMN id bigserial PRIMARY KEY;
CREATE UNIQUE INDEX events_seq_idx ON events (seq);
CREATE INDEX events_unsequenced_idx ON events (id) WHERE seq IS NULL;
