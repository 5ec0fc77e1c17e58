-- Uploaded files (internal/files). The bytes live in the storage backend
-- under filename, which is the file's id and never the client's name;
-- original_filename is only metadata. A user's files outlive the account
-- (user_id becomes NULL, admins still see them) so no blob is orphaned by
-- a cascade that storage cannot follow.
CREATE TABLE files (
    id                uuid PRIMARY KEY,
    filename          text NOT NULL UNIQUE,
    original_filename text NOT NULL,
    mime_type         text NOT NULL,
    size              bigint NOT NULL CHECK (size >= 0),
    sha256            text NOT NULL,
    collection_name   text,
    record_id         text,
    field_name        text,
    user_id           uuid REFERENCES users (id) ON DELETE SET NULL,
    created           timestamptz NOT NULL DEFAULT now(),
    updated           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX files_user_id_idx ON files (user_id, created, id);
CREATE INDEX files_record_idx ON files (collection_name, record_id);
