-- Progress and liveness of a running backup (internal/backups). Its job
-- writes how far it got and a heartbeat every few seconds; a running
-- backup whose heartbeat is older than the lease was left by a server
-- that stopped mid-write, and the next instance that looks marks it
-- failed and removes its partial archive.
ALTER TABLE backups
    ADD COLUMN tables_done  int NOT NULL DEFAULT 0,
    ADD COLUMN tables_total int NOT NULL DEFAULT 0,
    ADD COLUMN files_done   int NOT NULL DEFAULT 0,
    ADD COLUMN files_total  int NOT NULL DEFAULT 0,
    ADD COLUMN bytes        bigint NOT NULL DEFAULT 0,
    ADD COLUMN heartbeat    timestamptz NOT NULL DEFAULT now();
