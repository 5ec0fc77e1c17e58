// Package files keeps uploaded files: metadata in the files table, bytes in
// a storage.Store under the file's id. Users see and delete their own
// files, admins every file; another user's file is reported missing, so
// ids cannot be probed.
package files

import (
	"context"
	"database/sql"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/uptrace/bun"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/ids"
	"fastcms/internal/page"
	"fastcms/internal/storage"
)

// Service is the file store of one instance.
type Service struct {
	db     *bun.DB
	stores Stores
	store  storage.Store // stores' current one
	policy func() Policy
	log    *slog.Logger
}

// Stores are an instance's storage backends by name ("local", "s3").
// Uploads go to Current; each file row remembers its backend, so after
// the current backend changes a file is still read from (and deleted in)
// the one that holds it, as long as that one is still configured.
type Stores struct {
	Current string
	All     map[string]storage.Store
}

// storeOf is the backend holding f's bytes.
func (s *Service) storeOf(f *dbmodel.File) (storage.Store, error) {
	name := s.stores.Current
	if f.Backend != nil {
		name = *f.Backend
	}
	if st := s.stores.All[name]; st != nil {
		return st, nil
	}
	return nil, apierr.New(http.StatusServiceUnavailable, "storage unavailable",
		"file %s is in the storage backend %s, which this instance is not configured for", f.ID, name)
}

// Policy is what uploads may be: the settings max_file_size and
// allowed_file_types.
type Policy struct {
	MaxSize int64
	// Types are media types or "type/*" families; empty allows all.
	Types []string
}

// New serves files over db and stores; policy is read at each upload, so
// a changed setting applies to the next one.
func New(db *bun.DB, stores Stores, policy func() Policy, log *slog.Logger) *Service {
	return &Service{db: db, stores: stores, store: stores.All[stores.Current], policy: policy, log: log}
}

// ListParams select a page of the caller's files (every file for an
// admin); empty filters match all.
type ListParams struct {
	Page           page.Request
	CollectionName string
	RecordID       string
}

// List returns a page of files, oldest first.
func (s *Service) List(ctx context.Context, in ListParams) (page.Result[dbmodel.File], error) {
	p, err := auth.RequireUser(ctx)
	if err != nil {
		return page.Result[dbmodel.File]{}, err
	}
	var out []dbmodel.File
	q := s.db.NewSelect().Model(&out).Order("created", "id").Limit(int64(in.Page.PerPage)).Offset(int64(in.Page.Offset()))
	if !p.IsAdmin() {
		q = q.Where("user_id = ?", p.UserID)
	}
	if in.CollectionName != "" {
		q = q.Where("collection_name = ?", in.CollectionName)
	}
	if in.RecordID != "" {
		q = q.Where("record_id = ?", in.RecordID)
	}
	total := -1
	if in.Page.SkipTotal {
		err = q.Scan(ctx)
	} else {
		var n int64
		n, err = q.ScanAndCount(ctx)
		total = int(n)
	}
	return page.NewResult(out, total, in.Page), err
}

// Get returns a file the caller may see.
func (s *Service) Get(ctx context.Context, id string) (*dbmodel.File, error) {
	p, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if !ids.IsUUID(id) {
		return nil, notFound()
	}
	f := new(dbmodel.File)
	q := s.db.NewSelect().Model(f).Where("id = ?", id)
	if !p.IsAdmin() {
		q = q.Where("user_id = ?", p.UserID)
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return nil, notFound()
	} else if err != nil {
		return nil, err
	}
	return f, nil
}

// Open reads length bytes of f from offset (length < 0: to the end). f
// comes from Get, which checked the caller may see it.
func (s *Service) Open(ctx context.Context, f *dbmodel.File, offset, length int64) (io.ReadCloser, error) {
	st, err := s.storeOf(f)
	if err != nil {
		return nil, err
	}
	rc, err := st.Open(ctx, f.Filename, offset, length)
	if errors.Is(err, storage.ErrNotFound) {
		s.log.ErrorContext(ctx, "file row without its bytes", "file_id", f.ID)
		return nil, notFound()
	}
	return rc, err
}

// Delete removes a file the caller may see. The bytes go after the row's
// deletion commits: a failure between the two leaves an unreferenced blob
// (logged), never a row whose bytes are gone.
func (s *Service) Delete(ctx context.Context, id string) error {
	p, err := auth.RequireUser(ctx)
	if err != nil {
		return err
	}
	if !ids.IsUUID(id) {
		return notFound()
	}
	f := new(dbmodel.File)
	q := s.db.NewDelete().Model(f).Where("id = ?", id).Returning("id, filename, backend")
	if !p.IsAdmin() {
		q = q.Where("user_id = ?", p.UserID)
	}
	if err := q.Scan(ctx); errors.Is(err, sql.ErrNoRows) {
		return notFound()
	} else if err != nil {
		return err
	}
	st, err := s.storeOf(f)
	if err == nil {
		err = st.Delete(context.WithoutCancel(ctx), f.Filename)
	}
	if err != nil {
		s.log.ErrorContext(ctx, "deleted file's bytes not removed", "file_id", id, "err", err)
	}
	return nil
}

func notFound() error { return apierr.NotFound("file not found") }
