// Package migrations holds the SQL that creates and evolves the system tables.
// Files are applied in name order, each once, each in its own transaction.
package migrations

import "embed"

// FS is every migration file, embedded in the binary.
//
//go:embed *.sql
var FS embed.FS
