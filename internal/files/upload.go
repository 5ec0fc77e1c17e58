package files

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/google/uuid"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/collections"
)

// sniffLen is how many leading bytes decide the MIME type, as
// http.DetectContentType reads.
const sniffLen = 512

// Upload is one file arriving. Body is read once, straight into storage.
type Upload struct {
	// Filename is the client's name for the file: metadata only, cleaned
	// (CleanName), never a path on disk.
	Filename string
	Body     io.Reader
	Meta     Meta
	// After, when set, runs once the body is stored, to take metadata that
	// followed the file in the request; an error discards the upload.
	After func(*Meta) error
}

// errTooLarge stops a stream at max_file_size + 1 bytes.
var errTooLarge = errors.New("file too large")

// Upload streams in.Body to storage while hashing and counting it, and
// records the file for the caller. Past max_file_size the stream stops
// with 413 and nothing is kept; the type is sniffed from the first bytes,
// whatever the client claimed.
func (s *Service) Upload(ctx context.Context, in Upload) (*dbmodel.File, error) {
	p, err := auth.RequireUser(ctx)
	if err != nil {
		return nil, err
	}
	if err := in.Meta.validate(); err != nil {
		return nil, err
	}
	policy := s.policy()
	limit := policy.MaxSize
	m := &meter{r: in.Body, h: sha256.New(), limit: limit}
	head := make([]byte, sniffLen)
	n, err := io.ReadFull(m, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, readError(err, limit)
	}
	head = head[:n]
	mimeType := http.DetectContentType(head)
	if !collections.MediaTypeAllowed(policy.Types, mimeType) {
		return nil, apierr.New(http.StatusUnsupportedMediaType, "unsupported media type",
			"file type %s is not allowed (allowed_file_types: %s)", mediaType(mimeType), strings.Join(policy.Types, ", "))
	}
	id := uuid.NewString()
	size, err := s.store.Put(ctx, id, io.MultiReader(bytes.NewReader(head), m))
	if err != nil {
		if m.err != nil {
			return nil, readError(m.err, limit)
		}
		return nil, err
	}
	f, err := s.record(ctx, p, id, in, mimeType, size, hex.EncodeToString(m.h.Sum(nil)))
	if err != nil {
		if derr := s.store.Delete(context.WithoutCancel(ctx), id); derr != nil {
			s.log.ErrorContext(ctx, "failed upload's bytes not removed", "key", id, "err", derr)
		}
		return nil, err
	}
	return f, nil
}

// record inserts the metadata row of stored bytes.
func (s *Service) record(ctx context.Context, p *auth.Principal, id string, in Upload, mimeType string, size int64, sum string) (*dbmodel.File, error) {
	meta := in.Meta
	if in.After != nil {
		if err := in.After(&meta); err != nil {
			return nil, err
		}
		if err := meta.validate(); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	f := &dbmodel.File{
		ID: id, Filename: id, OriginalFilename: CleanName(in.Filename),
		MimeType: mimeType, Size: size, SHA256: sum, Backend: &s.stores.Current,
		CollectionName: meta.CollectionName, RecordID: meta.RecordID, FieldName: meta.FieldName,
		UserID: &p.UserID, Created: now, Updated: now,
	}
	if _, err := s.db.NewInsert().Model(f).Exec(ctx); err != nil {
		return nil, err
	}
	return f, nil
}

// mediaType is a sniffed type without its parameters ("; charset=…").
func mediaType(t string) string {
	mt, _, _ := strings.Cut(t, ";")
	return strings.TrimSpace(mt)
}

// readError turns a failure to read the upload into the client's error.
func readError(err error, limit int64) error {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.Is(err, errTooLarge):
		return apierr.New(http.StatusRequestEntityTooLarge, "file too large", "file is larger than max_file_size (%d bytes)", limit)
	case errors.As(err, &tooLarge):
		return apierr.New(http.StatusRequestEntityTooLarge, "request too large", "request body is larger than %d bytes", tooLarge.Limit)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err
	}
	return apierr.BadRequest("upload interrupted: %v", err)
}

// meter hashes and counts what passes through it and fails once more than
// limit bytes have passed, remembering the error so Upload can tell the
// client's failures from storage's.
type meter struct {
	r     io.Reader
	h     hash.Hash
	n     int64
	limit int64
	err   error
}

func (m *meter) Read(p []byte) (int, error) {
	if m.err != nil {
		return 0, m.err
	}
	n, err := m.r.Read(p)
	m.h.Write(p[:n])
	m.n += int64(n)
	if m.n > m.limit {
		m.err = errTooLarge
		return n, m.err
	}
	if err != nil && !errors.Is(err, io.EOF) {
		m.err = err
	}
	return n, err
}
