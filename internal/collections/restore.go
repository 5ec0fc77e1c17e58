package collections

import (
	"context"
	"fmt"

	"github.com/uptrace/bun"
)

// A restore (internal/backups) replaces the collection definitions with a
// backup's inside its own transaction: DropTables before the collections
// rows are replaced, CreateTables after. Both take the schema lock, so no
// collection change interleaves, and run the same DDL as Create and Delete.

// DropTables drops the table of every collection in tx's collections
// rows, and the relation triggers between them.
func DropTables(ctx context.Context, tx bun.Tx) error {
	list, err := lockedList(ctx, tx)
	if err != nil {
		return err
	}
	stmts := relationTriggersSQL(nil, byIDList(nil))
	for _, c := range list {
		stmts = append(stmts, ddl{"DROP TABLE IF EXISTS " + c.Table() + " CASCADE", ""})
	}
	return execRestore(ctx, tx, stmts)
}

// CreateTables creates the empty table of every collection in tx's
// collections rows, with its indexes, constraints and relation triggers.
// Every table is created before any foreign key, so relations between
// collections (cycles too) need no order.
func CreateTables(ctx context.Context, tx bun.Tx) error {
	list, err := lockedList(ctx, tx)
	if err != nil {
		return err
	}
	find := byIDList(list)
	var tables, rest []ddl
	for _, c := range list {
		for _, f := range c.Fields {
			if f.Relation != nil && find(f.Relation.CollectionID) == nil {
				return fmt.Errorf("field %s.%s relates to collection %s, which is not in the backup", c.Name, f.Name, f.Relation.CollectionID)
			}
		}
		stmts := createTableSQL(c, find)
		tables, rest = append(tables, stmts[0]), append(rest, stmts[1:]...)
	}
	stmts := append(append(tables, rest...), relationTriggersSQL(list, find)...)
	return execRestore(ctx, tx, stmts)
}

// lockedList takes the schema lock and loads tx's collections.
func lockedList(ctx context.Context, tx bun.Tx) ([]*Collection, error) {
	if _, err := tx.ExecContext(ctx, "SELECT pg_advisory_xact_lock(?)", schemaLock); err != nil {
		return nil, err
	}
	return loadAll(ctx, tx)
}

// execRestore runs a restore's DDL; the definitions come from a backup,
// so a failure is the archive's fault and rolls the restore back.
func execRestore(ctx context.Context, tx bun.Tx, stmts []ddl) error {
	for _, stmt := range stmts {
		if _, err := tx.Tx.ExecContext(ctx, stmt.sql); err != nil {
			return fmt.Errorf("collection DDL: %w", err)
		}
	}
	return nil
}
