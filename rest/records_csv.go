package rest

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"fastcms/internal/apierr"
	"fastcms/internal/httpx"
	"fastcms/internal/records"
)

// BodyLimit chooses the body limit of a request for
// httpx.WithBodyLimitFunc: importLimit for the routes that take a file
// (FileBody), limit for everything else. The global middleware wraps the
// body before routing, so the choice is made here, with the router's own
// patterns, rather than in the handler.
func BodyLimit(limit, importLimit int64) func(*http.Request) int64 {
	files := http.NewServeMux()
	for _, rt := range routes {
		if rt.Body == FileBody {
			files.Handle(rt.Pattern(), http.NotFoundHandler())
		}
	}
	return func(r *http.Request) int64 {
		if _, pattern := files.Handler(r); pattern != "" {
			return importLimit
		}
		return limit
	}
}

// exportCSV streams the records the caller may list as CSV (see
// internal/records/csv_export.go for the format). Every check runs before
// the response starts, so errors are the usual envelope; a failure in the
// middle of the stream (the database going away) aborts the response,
// so a client never mistakes a cut file for a whole one.
//
// The export holds its query's rows, and so a database connection, while
// the client reads: each chunk must be taken within the write timeout and
// the whole export, query included, within the stream timeout (see
// httpx.Timeouts); past either the response is cut and the rows released.
func (h handlers) exportCSV(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := httpx.StreamContext(r)
	defer cancel()
	q := r.URL.Query()
	export, err := h.Records.OpenCSVExport(ctx, r.PathValue("collection"), records.ListParams{
		Filter: q.Get("filter"), Sort: q.Get("sort"), Search: q.Get("search")})
	if err != nil {
		return streamError(ctx, err)
	}
	defer export.Close()
	hdr := w.Header()
	hdr.Set("Content-Type", "text/csv; charset=utf-8")
	hdr.Set("Content-Disposition", `attachment; filename="`+export.Collection+`.csv"`)
	hdr.Set("X-Content-Type-Options", "nosniff")
	httpx.StreamChunk(w, r)
	w.WriteHeader(http.StatusOK)
	if _, err := export.WriteTo(chunkWriter{w, r}); err != nil {
		if ctx.Err() == nil { // not just the client going away or too slow
			slog.ErrorContext(r.Context(), "CSV export failed after the response started", "err", err,
				"collection", export.Collection, "request_id", httpx.RequestID(r.Context()))
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// importResponse is the 201 of an import; a failed import is an error
// envelope instead (422 for bad rows, 409 for a unique violation, 403 for
// the create rule) whose details hold "total" and the same "errors".
type importResponse struct {
	Imported int                `json:"imported"`
	Total    int                `json:"total"`
	Errors   []records.RowError `json:"errors"`
}

// importCSV imports the multipart part "file" as CSV, all rows or none
// (internal/records/csv_import.go has the format). Other parts are ignored.
//
// The upload has the stream timeout (not the server's read timeout) to
// arrive; the import reads it whole before it starts its transaction.
func (h handlers) importCSV(w http.ResponseWriter, r *http.Request) error {
	httpx.StreamUpload(w, r)
	ctx, cancel := httpx.StreamContext(r)
	defer cancel()
	mr, err := multipartBody(r, "the CSV in the part \"file\"")
	if err != nil {
		return err
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return apierr.InvalidField("file", "is required: send the CSV as the multipart part \"file\"")
		}
		if err != nil {
			return bodyError(err)
		}
		if part.FormName() != "file" {
			continue // NextPart skips what is left of it
		}
		body := &bodyReader{r: part}
		res, err := h.Records.ImportCSV(ctx, r.PathValue("collection"), body)
		if err != nil {
			if body.err != nil {
				return bodyError(body.err)
			}
			return streamError(ctx, err)
		}
		httpx.WriteJSON(w, http.StatusCreated, importResponse{Imported: res.Imported, Total: res.Total, Errors: []records.RowError{}})
		return nil
	}
}

// bodyReader remembers the error reading the request body, so a failed
// import can be told apart from the body failing under it.
type bodyReader struct {
	r   io.Reader
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err != nil && !errors.Is(err, io.EOF) && b.err == nil {
		b.err = err
	}
	return n, err
}

// bodyError answers a body that could not be read: too large (413) or
// cut or malformed (400).
func bodyError(err error) error {
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return apierr.New(http.StatusRequestEntityTooLarge, "request too large", "request body is larger than %d bytes", tooLarge.Limit)
	}
	return apierr.BadRequest("malformed multipart body: %v", err)
}

// streamError answers a CSV route that ran out of its stream timeout with
// a 503 rather than the database's cancellation (a 500).
func streamError(ctx context.Context, err error) error {
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return apierr.TooSlow()
	}
	return err
}

// chunkWriter gives the client of an export the write timeout for each
// chunk (httpx.StreamChunk), and keeps the response's Flush.
type chunkWriter struct {
	w http.ResponseWriter
	r *http.Request
}

func (c chunkWriter) Write(p []byte) (int, error) {
	httpx.StreamChunk(c.w, c.r)
	return c.w.Write(p)
}

func (c chunkWriter) Flush() {
	httpx.StreamChunk(c.w, c.r)
	http.NewResponseController(c.w).Flush() //nolint:errcheck // a failed flush fails the next write
}
