-- Webhooks: admin-registered HTTP callbacks on record events
-- (internal/webhooks). A dispatcher turns events into deliveries by
-- following events.seq from webhook_cursor; workers on every instance
-- claim due deliveries with FOR UPDATE SKIP LOCKED and a lease.
CREATE TABLE webhooks (
    id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    url           text NOT NULL,
    collection_id uuid NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
    events        text[] NOT NULL,
    filter        text NOT NULL DEFAULT '',
    secret        text NOT NULL,
    retry_count   int NOT NULL CHECK (retry_count BETWEEN 0 AND 10),
    enabled       boolean NOT NULL DEFAULT true,
    -- dead deliveries in a row; past a bound the webhook is disabled
    failures      int NOT NULL DEFAULT 0,
    created       timestamptz NOT NULL DEFAULT now(),
    updated       timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
    id              uuid PRIMARY KEY,
    webhook_id      uuid NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_seq       bigint NOT NULL,
    event           text NOT NULL,
    record_id       uuid NOT NULL,
    -- the exact bytes sent (and signed) on every attempt
    body            text NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'succeeded', 'failed', 'dead')),
    attempts        int NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    lease_until     timestamptz,
    last_status     int,
    last_error      text NOT NULL DEFAULT '',
    last_response   text NOT NULL DEFAULT '',
    created         timestamptz NOT NULL DEFAULT now(),
    updated         timestamptz NOT NULL DEFAULT now(),
    -- one delivery per webhook and event, whichever instance dispatches
    UNIQUE (webhook_id, event_seq)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, event_seq) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_pending_idx ON webhook_deliveries (webhook_id, event_seq) WHERE status = 'pending';

-- How far the dispatcher has read the event log: one row, locked by the
-- instance dispatching. It starts at the log's end: events before webhooks
-- existed are not delivered.
CREATE TABLE webhook_cursor (
    id  int PRIMARY KEY CHECK (id = 1),
    seq bigint NOT NULL
);
INSERT INTO webhook_cursor SELECT 1, coalesce(max(seq), 0) FROM events;
