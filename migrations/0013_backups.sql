-- Backups (internal/backups). The archive itself lives in the storage
-- backend under the key "backup_<id>"; this row is its catalogue entry and
-- its progress: running while the background job writes it, then
-- completed (with size_bytes) or failed (with error).
CREATE TABLE backups (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    filename   text NOT NULL,
    size_bytes bigint NOT NULL DEFAULT 0,
    status     text NOT NULL DEFAULT 'running' CHECK (status IN ('running', 'completed', 'failed')),
    error      text NOT NULL DEFAULT '',
    created    timestamptz NOT NULL DEFAULT now(),
    completed  timestamptz
);
CREATE INDEX backups_created_idx ON backups (created, id);
