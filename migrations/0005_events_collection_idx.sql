-- A subscription resuming with after_seq replays the events of its own
-- collection only: this index lets that read, and the check that the
-- replay is not too long, skip every other collection's events.
CREATE INDEX events_collection_seq_idx ON events (collection_id, seq);
