-- Full-text search over collections. Every collection's table carries a
-- generated tsvector column "_search" (see internal/collections/search.go)
-- built with this configuration, and ?search= queries with it too.
--
-- fastcms_search is `simple` (lower-casing, no stemming, no stop words, so
-- it treats every language alike) with accents folded by unaccent first:
-- "Café" is indexed as "cafe" and "über" as "uber", and a query is folded
-- the same way, so "cafe" finds "Café" and "café" finds "cafe". Only the
-- token types that can hold non-ASCII letters need the unaccent step.
-- unaccent ships with PostgreSQL (contrib) and is a trusted extension.
CREATE EXTENSION IF NOT EXISTS unaccent;
CREATE TEXT SEARCH CONFIGURATION fastcms_search (COPY = simple);
ALTER TEXT SEARCH CONFIGURATION fastcms_search
    ALTER MAPPING FOR hword, hword_part, word WITH unaccent, simple;
