-- Users, their refresh-token sessions, and one-time tokens for mail links.
CREATE TABLE users (
    id             uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    email          text NOT NULL,
    password_hash  text,
    name           text NOT NULL DEFAULT '',
    avatar         text NOT NULL DEFAULT '',
    role           text NOT NULL DEFAULT 'user' CHECK (role IN ('user', 'admin')),
    verified       boolean NOT NULL DEFAULT false,
    oauth_provider text,
    created        timestamptz NOT NULL DEFAULT now(),
    updated        timestamptz NOT NULL DEFAULT now()
);
-- Emails are stored lower-cased; the index makes uniqueness hold even for rows written by hand.
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

-- A session is one login: a family of refresh tokens, each replacing the last.
CREATE TABLE sessions (
    id         uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    user_agent text NOT NULL DEFAULT '',
    ip         text NOT NULL DEFAULT '',
    created    timestamptz NOT NULL DEFAULT now(),
    last_used  timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz NOT NULL,
    revoked_at timestamptz
);
CREATE INDEX sessions_user_id_idx ON sessions (user_id) WHERE revoked_at IS NULL;

-- Refresh tokens are kept only as SHA-256 hashes. used_at marks a rotated token:
-- presenting it again is reuse, and revokes the whole session.
CREATE TABLE refresh_tokens (
    token_hash bytea PRIMARY KEY,
    session_id uuid NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    created    timestamptz NOT NULL DEFAULT now(),
    used_at    timestamptz
);
CREATE INDEX refresh_tokens_session_id_idx ON refresh_tokens (session_id);

-- One-time tokens sent by mail (password reset, email verification), hashed too.
CREATE TABLE user_tokens (
    token_hash bytea PRIMARY KEY,
    user_id    uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind       text NOT NULL CHECK (kind IN ('password_reset', 'verify_email')),
    email      text NOT NULL,
    expires_at timestamptz NOT NULL,
    used_at    timestamptz,
    created    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX user_tokens_user_id_idx ON user_tokens (user_id);
