-- Each file remembers the storage backend holding its bytes ("local" or
-- "s3"), so changing the backend (settings storage_backend and s3_*, or
-- STORAGE_BACKEND) leaves older files readable where they are. NULL: a
-- file stored before this column, in the instance's current backend.
ALTER TABLE files ADD COLUMN backend text;
