-- Settings changed at run time by admins (internal/settings). A row exists
-- only for a key an admin set: known keys without one take their value from
-- the environment or their built-in default. Every instance keeps a snapshot
-- and reloads it on NOTIFY fastcms_settings.
CREATE TABLE settings (
    key         text PRIMARY KEY,
    category    text NOT NULL CHECK (category IN ('app', 'email', 'security', 'storage', 'custom')),
    value       jsonb NOT NULL,
    description text NOT NULL DEFAULT '',
    updated     timestamptz NOT NULL DEFAULT now()
);
