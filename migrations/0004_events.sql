-- Record events: one row per changed record, written in the transaction of
-- the change. seq orders them: writers take an advisory lock before taking a
-- seq (internal/events), so seq order is commit order and a reader that has
-- seen seq n has seen every committed event below it.
CREATE TABLE events (
    seq           bigserial PRIMARY KEY,
    collection_id uuid NOT NULL,
    collection    text NOT NULL,
    op            text NOT NULL CHECK (op IN ('INSERT', 'UPDATE', 'DELETE')),
    record_id     uuid NOT NULL,
    data          jsonb,
    old           jsonb,
    created       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_created_idx ON events (created);
