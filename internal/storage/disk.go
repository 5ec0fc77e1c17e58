package storage

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// tempPrefix starts the names of files being written; no key has a dot.
const tempPrefix = ".tmp-"

// Disk stores blobs as files under one root directory, each at
// root/<first two characters of key>/<key>, so no directory grows past a
// few thousand entries.
type Disk struct {
	root string
}

// NewDisk uses root, creating it (mode 0700) when missing.
func NewDisk(root string) (*Disk, error) {
	if err := os.MkdirAll(root, 0o700); err != nil {
		return nil, fmt.Errorf("storage: %w", err)
	}
	return &Disk{root: root}, nil
}

func (d *Disk) path(key string) (string, error) {
	if !ValidKey(key) {
		return "", ErrBadKey
	}
	prefix := key
	if len(prefix) > 2 {
		prefix = prefix[:2]
	}
	return filepath.Join(d.root, prefix, key), nil
}

// Put writes r to a temporary file beside the target and renames it into
// place once complete and synced, so readers never see a partial blob and
// a failed Put removes its temporary file.
func (d *Disk) Put(ctx context.Context, key string, r io.Reader) (int64, error) {
	p, err := d.path(key)
	if err != nil {
		return 0, err
	}
	if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
		return 0, err
	}
	tmp, err := os.CreateTemp(filepath.Dir(p), tempPrefix+key+"-*")
	if err != nil {
		return 0, err
	}
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(tmp, ctxReader{ctx, r})
	if err != nil {
		return n, err
	}
	if err := tmp.Sync(); err != nil {
		return n, err
	}
	if err := tmp.Close(); err != nil {
		return n, err
	}
	if err := os.Rename(tmp.Name(), p); err != nil {
		return n, err
	}
	done = true
	return n, nil
}

// Open returns a reader of the byte range; the file is opened before
// Open returns, so a missing blob is ErrNotFound here, not on Read.
func (d *Disk) Open(_ context.Context, key string, offset, length int64) (io.ReadCloser, error) {
	p, err := d.path(key)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if offset > 0 {
		if _, err := f.Seek(offset, io.SeekStart); err != nil {
			f.Close()
			return nil, err
		}
	}
	if length < 0 {
		return f, nil
	}
	return limitedFile{io.LimitReader(f, length), f}, nil
}

// Stat reports the blob's size.
func (d *Disk) Stat(_ context.Context, key string) (Info, error) {
	p, err := d.path(key)
	if err != nil {
		return Info{}, err
	}
	st, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return Info{}, ErrNotFound
	}
	if err != nil {
		return Info{}, err
	}
	return Info{Key: key, Size: st.Size(), Modified: st.ModTime()}, nil
}

// staleTemp is the age past which a temporary file can only be left over
// from a crash mid-Put (a live Put keeps writing to it).
const staleTemp = 24 * time.Hour

// List walks the root. Temporary files are not blobs: List skips them,
// and removes those older than a day, left by a crash in the middle of a
// Put.
func (d *Disk) List(ctx context.Context, fn func(Info) error) error {
	return filepath.WalkDir(d.root, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if e.IsDir() {
			return nil
		}
		st, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) { // deleted meanwhile
			return nil
		}
		if err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), tempPrefix) {
			if time.Since(st.ModTime()) > staleTemp {
				os.Remove(p)
			}
			return nil
		}
		if !ValidKey(e.Name()) {
			return nil // not ours
		}
		return fn(Info{Key: e.Name(), Size: st.Size(), Modified: st.ModTime()})
	})
}

// Delete removes the blob's file.
func (d *Disk) Delete(_ context.Context, key string) error {
	p, err := d.path(key)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return nil
}

type limitedFile struct {
	io.Reader
	io.Closer
}

// ctxReader stops a copy once ctx is done, so a cancelled upload is not
// stored.
type ctxReader struct {
	ctx context.Context
	r   io.Reader
}

func (c ctxReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	return c.r.Read(p)
}
