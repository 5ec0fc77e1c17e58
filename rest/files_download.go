package rest

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/files"
	"fastcms/internal/httpx"
)

// downloadFile streams a file's bytes. The ETag is the content's sha256,
// so If-None-Match answers 304 for a copy the client has; one Range (or
// If-Range with the current ETag) answers 206, several ranges the whole
// file. The file is always an attachment, typed as sniffed at upload, with
// nosniff and a sandbox CSP, so an uploaded page cannot run as this site.
// ?thumb=WxH answers a thumbnail instead (downloadThumb).
func (h handlers) downloadFile(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := httpx.StreamContext(r)
	defer cancel()
	f, err := h.Files.Get(ctx, r.PathValue("id"))
	if err != nil {
		return streamError(ctx, err)
	}
	etag := `"` + f.SHA256 + `"`
	hdr := w.Header()
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", "private, no-cache")
	hdr.Set("Accept-Ranges", "bytes")
	if spec := r.URL.Query().Get("thumb"); spec != "" {
		return h.downloadThumb(ctx, w, r, f, spec)
	}
	if etagMatches(r.Header.Get("If-None-Match"), etag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	status, offset, length := http.StatusOK, int64(0), f.Size
	if spec := r.Header.Get("Range"); spec != "" && ifRange(r, etag) {
		start, n, res := parseRange(spec, f.Size)
		switch res {
		case rangeUnsatisfiable:
			hdr.Set("Content-Range", fmt.Sprintf("bytes */%d", f.Size))
			return apierr.New(http.StatusRequestedRangeNotSatisfiable, "range not satisfiable",
				"Range %q is outside the file's %d bytes", spec, f.Size)
		case rangeOK:
			status, offset, length = http.StatusPartialContent, start, n
			hdr.Set("Content-Range", fmt.Sprintf("bytes %d-%d/%d", start, start+n-1, f.Size))
		}
	}
	rc, err := h.Files.Open(ctx, f, offset, length)
	if err != nil {
		return streamError(ctx, err)
	}
	defer rc.Close()
	hdr.Set("Content-Type", f.MimeType)
	hdr.Set("Content-Length", strconv.FormatInt(length, 10))
	return sendBody(ctx, w, r, f, status, rc)
}

// downloadThumb answers ?thumb=WxH: the image scaled to fit (see
// files.Service.Thumbnail), whole (no ranges), with its own ETag.
func (h handlers) downloadThumb(ctx context.Context, w http.ResponseWriter, r *http.Request, f *dbmodel.File, spec string) error {
	tw, th, err := files.ParseThumbSize(spec)
	if err != nil {
		return err
	}
	thumb, err := h.Files.Thumbnail(ctx, f, tw, th)
	if err != nil {
		return streamError(ctx, err)
	}
	defer thumb.Body.Close()
	hdr := w.Header()
	hdr.Del("Accept-Ranges")
	hdr.Set("ETag", thumb.ETag)
	if etagMatches(r.Header.Get("If-None-Match"), thumb.ETag) {
		w.WriteHeader(http.StatusNotModified)
		return nil
	}
	hdr.Set("Content-Type", thumb.MimeType)
	hdr.Set("Content-Length", strconv.FormatInt(thumb.Size, 10))
	return sendBody(ctx, w, r, f, http.StatusOK, thumb.Body)
}

// sendBody streams body as f's download, attachment and sandboxed.
func sendBody(ctx context.Context, w http.ResponseWriter, r *http.Request, f *dbmodel.File, status int, body io.Reader) error {
	hdr := w.Header()
	hdr.Set("Content-Disposition", contentDisposition(f.OriginalFilename))
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	httpx.StreamChunk(w, r)
	w.WriteHeader(status)
	if _, err := io.Copy(chunkWriter{w, r}, body); err != nil {
		if ctx.Err() == nil { // not just the client going away or too slow
			slog.ErrorContext(r.Context(), "file download failed after the response started", "err", err,
				"file_id", f.ID, "request_id", httpx.RequestID(r.Context()))
		}
		panic(http.ErrAbortHandler)
	}
	return nil
}

// etagMatches applies If-None-Match's weak comparison to one ETag.
func etagMatches(header, etag string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" || strings.TrimPrefix(t, "W/") == etag {
			return true
		}
	}
	return false
}

// ifRange reports whether a Range applies: no If-Range, or one naming the
// current ETag (a date or another ETag means "send it all").
func ifRange(r *http.Request, etag string) bool {
	v := r.Header.Get("If-Range")
	return v == "" || v == etag
}

type rangeResult int

const (
	rangeIgnored rangeResult = iota // absent, malformed or several: send it all
	rangeOK
	rangeUnsatisfiable
)

// parseRange reads one "bytes=" range of RFC 9110 against size: start-end,
// start- or -suffix. It returns the first byte and the length.
func parseRange(spec string, size int64) (start, length int64, res rangeResult) {
	set, ok := strings.CutPrefix(spec, "bytes=")
	if !ok || strings.Contains(set, ",") {
		return 0, 0, rangeIgnored
	}
	first, last, ok := strings.Cut(strings.TrimSpace(set), "-")
	if !ok {
		return 0, 0, rangeIgnored
	}
	if first == "" { // a suffix: the last n bytes
		n, err := strconv.ParseInt(last, 10, 64)
		if err != nil || n < 0 {
			return 0, 0, rangeIgnored
		}
		if n == 0 || size == 0 {
			return 0, 0, rangeUnsatisfiable
		}
		n = min(n, size)
		return size - n, n, rangeOK
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, rangeIgnored
	}
	end := size - 1
	if last != "" {
		if end, err = strconv.ParseInt(last, 10, 64); err != nil || end < start {
			return 0, 0, rangeIgnored
		}
		end = min(end, size-1)
	}
	if start >= size {
		return 0, 0, rangeUnsatisfiable
	}
	return start, end - start + 1, rangeOK
}

// contentDisposition is an attachment header per RFC 6266: an ASCII
// fallback in filename and the exact name, percent-encoded UTF-8, in
// filename*.
func contentDisposition(name string) string {
	var ascii, enc strings.Builder
	for _, r := range name {
		if r >= 0x20 && r < 0x7f && r != '"' && r != '\\' {
			ascii.WriteRune(r)
		} else {
			ascii.WriteByte('_')
		}
	}
	for _, b := range []byte(name) {
		if isAttrChar(b) {
			enc.WriteByte(b)
		} else {
			fmt.Fprintf(&enc, "%%%02X", b)
		}
	}
	return `attachment; filename="` + ascii.String() + `"; filename*=UTF-8''` + enc.String()
}

// isAttrChar is RFC 8187's attr-char: the bytes filename* may carry as is.
func isAttrChar(b byte) bool {
	return 'a' <= b && b <= 'z' || 'A' <= b && b <= 'Z' || '0' <= b && b <= '9' || strings.IndexByte("!#$&+-.^_`|~", b) >= 0
}
