-- The collection registry. Each collection's records live in a real table
-- data."<name>", created and altered in the same transaction as its row here.
CREATE SCHEMA IF NOT EXISTS data;

CREATE TABLE collections (
    id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name        text NOT NULL,
    type        text NOT NULL DEFAULT 'base' CHECK (type IN ('base', 'auth')),
    schema      jsonb NOT NULL DEFAULT '[]',
    list_rule   text,
    view_rule   text,
    create_rule text,
    update_rule text,
    delete_rule text,
    options     jsonb NOT NULL DEFAULT '{}',
    created     timestamptz NOT NULL DEFAULT now(),
    updated     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX collections_name_key ON collections (lower(name));
