-- Social login (internal/auth/oauth.go, internal/oauth). A user may link one
-- account per provider; a provider account belongs to one user. Sign-in
-- finds the user by (provider, provider_user_id) first, so a later change
-- of email at the provider keeps the link.
CREATE TABLE oauth_accounts (
    user_id          uuid NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    provider         text NOT NULL,
    provider_user_id text NOT NULL,
    email            text NOT NULL DEFAULT '',
    created          timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider, provider_user_id),
    UNIQUE (user_id, provider)
);

-- States already redeemed at a callback: each state signs in at most once,
-- even on another instance. Rows are deleted once the state has expired.
CREATE TABLE oauth_used_states (
    nonce      text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);
