package rest

import (
	"errors"
	"io"
	"net/http"
	"strconv"

	"fastcms/internal/backups"
	"fastcms/internal/httpx"
	"fastcms/internal/timefmt"
)

// backupResponse is a backup as both APIs show it.
type backupResponse struct {
	ID        string  `json:"id"`
	Filename  string  `json:"filename"`
	SizeBytes int64   `json:"size_bytes"`
	Status    string  `json:"status"`
	Error     string  `json:"error,omitempty"`
	Created   string  `json:"created"`
	Completed *string `json:"completed"`
	// Progress is an extension to the contract: how far a running backup
	// got (the final counts once it is completed).
	Progress progressResponse `json:"progress"`
}

type progressResponse struct {
	TablesDone  int   `json:"tables_done"`
	TablesTotal int   `json:"tables_total"`
	FilesDone   int   `json:"files_done"`
	FilesTotal  int   `json:"files_total"`
	Bytes       int64 `json:"bytes"`
}

func newBackup(b *backups.Backup) backupResponse {
	p := b.Progress
	r := backupResponse{ID: b.ID, Filename: b.Filename, SizeBytes: b.SizeBytes, Status: b.Status, Error: b.Error,
		Created: timefmt.Format(b.Created), Progress: progressResponse{TablesDone: p.TablesDone, TablesTotal: p.TablesTotal,
			FilesDone: p.FilesDone, FilesTotal: p.FilesTotal, Bytes: p.Bytes}}
	if b.Completed != nil {
		t := timefmt.Format(*b.Completed)
		r.Completed = &t
	}
	return r
}

// restoreResponse answers a restore.
type restoreResponse struct {
	Status        string   `json:"status"`
	ID            string   `json:"id"`
	FormatVersion int      `json:"format_version"`
	ServerVersion string   `json:"server_version"`
	Collections   []string `json:"collections"`
	Rows          int64    `json:"rows"`
}

func (h handlers) createBackup(w http.ResponseWriter, r *http.Request) error {
	b, err := h.Backups.Create(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, newBackup(b))
	return nil
}

func (h handlers) listBackups(w http.ResponseWriter, r *http.Request) error {
	req, err := pageRequest(r)
	if err != nil {
		return err
	}
	res, err := h.Backups.List(r.Context(), req)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newPage(res, newBackup))
	return nil
}

// getBackup shows one backup, e.g. to watch a running one's progress (an
// extension to the contract).
func (h handlers) getBackup(w http.ResponseWriter, r *http.Request) error {
	b, err := h.Backups.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newBackup(b))
	return nil
}

// restoreBackup has HTTP_STREAM_TIMEOUT, not the write timeout: a restore
// reads the whole archive twice and reloads every table.
func (h handlers) restoreBackup(w http.ResponseWriter, r *http.Request) error {
	httpx.StreamUpload(w, r)
	ctx, cancel := httpx.StreamContext(r)
	defer cancel()
	id := r.PathValue("id")
	m, err := h.Backups.Restore(ctx, id)
	if err != nil {
		return streamError(ctx, err)
	}
	res := restoreResponse{Status: "restored", ID: id, FormatVersion: m.FormatVersion, ServerVersion: m.ServerVersion,
		Collections: m.Collections}
	for _, p := range m.Parts {
		res.Rows += p.Rows
	}
	httpx.WriteJSON(w, http.StatusOK, res)
	return nil
}

func (h handlers) deleteBackup(w http.ResponseWriter, r *http.Request) error {
	if err := h.Backups.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}

// downloadBackup streams a completed backup's archive as an attachment.
func (h handlers) downloadBackup(w http.ResponseWriter, r *http.Request) error {
	ctx, cancel := httpx.StreamContext(r)
	defer cancel()
	b, rc, err := h.Backups.Open(ctx, r.PathValue("id"))
	if err != nil {
		return streamError(ctx, err)
	}
	defer rc.Close()
	hdr := w.Header()
	hdr.Set("Content-Type", "application/gzip")
	hdr.Set("Content-Length", strconv.FormatInt(b.SizeBytes, 10))
	hdr.Set("Content-Disposition", `attachment; filename="`+b.Filename+`"`)
	hdr.Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	_, err = io.Copy(chunkWriter{w, r}, rc)
	return err
}

// uploadBackup stores an archive sent as the raw request body (a download
// from another server) as a backup to restore. The body is at most
// MAX_IMPORT_BYTES (FileBody), like every upload that is a file.
func (h handlers) uploadBackup(w http.ResponseWriter, r *http.Request) error {
	httpx.StreamUpload(w, r)
	ctx, cancel := httpx.StreamContext(r)
	defer cancel()
	b, err := h.Backups.Upload(ctx, r.Body)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		return bodyError(err)
	}
	if err != nil {
		return streamError(ctx, err)
	}
	httpx.WriteJSON(w, http.StatusCreated, newBackup(b))
	return nil
}
