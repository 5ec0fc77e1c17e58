// Package storage keeps blobs by key. It knows nothing of users, files or
// the database: internal/files decides the keys and the metadata, so a
// backend only moves bytes.
package storage

import (
	"context"
	"errors"
	"io"
	"time"
)

// ErrNotFound is returned for a key that holds nothing.
var ErrNotFound = errors.New("storage: not found")

// ErrBadKey is returned for a key outside the allowed form (ValidKey).
var ErrBadKey = errors.New("storage: invalid key")

// Info describes a stored blob.
type Info struct {
	Key      string
	Size     int64
	Modified time.Time
}

// Store is a blob store. A blob is written whole or not at all: a Put that
// fails (the reader's error, a cancelled ctx) leaves nothing under key.
type Store interface {
	// Put stores everything r yields under key, replacing what was there,
	// and returns the number of bytes stored.
	Put(ctx context.Context, key string, r io.Reader) (int64, error)
	// Open reads length bytes from offset; length < 0 reads to the end.
	Open(ctx context.Context, key string, offset, length int64) (io.ReadCloser, error)
	Stat(ctx context.Context, key string) (Info, error)
	// Delete removes key; deleting a missing key is not an error.
	Delete(ctx context.Context, key string) error
	// List calls fn for every blob, in no particular order, for cleanup
	// of blobs nothing refers to; an error from fn stops it.
	List(ctx context.Context, fn func(Info) error) error
}

// StaleAborter is implemented by stores whose writes can leave pieces
// that are not blobs when the process dies mid-write (S3 multipart
// uploads): List does not see them, so the sweep removes them apart.
type StaleAborter interface {
	// AbortStale removes the pieces of writes started before cutoff and
	// returns how many writes it aborted.
	AbortStale(ctx context.Context, cutoff time.Time) (int, error)
}

// ValidKey reports whether key may name a blob: 1 to 128 characters of
// ASCII letters, digits, '-' and '_'. Keys never carry a client's name,
// so no backend has to defend against separators, dots or traversal.
func ValidKey(key string) bool {
	if key == "" || len(key) > 128 {
		return false
	}
	for i := 0; i < len(key); i++ {
		c := key[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// BackupPrefix starts the key of every backup archive (internal/backups).
// The files sweep leaves such keys alone: no files row refers to them.
const BackupPrefix = "backup_"
