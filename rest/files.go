package rest

import (
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"

	"fastcms/dbmodel"
	"fastcms/internal/apierr"
	"fastcms/internal/files"
	"fastcms/internal/httpx"
	"fastcms/internal/timefmt"
)

// fileResponse is the contract's FileResponse.
type fileResponse struct {
	ID               string  `json:"id"`
	Filename         string  `json:"filename"`
	OriginalFilename string  `json:"original_filename"`
	MimeType         string  `json:"mime_type"`
	Size             int64   `json:"size"`
	CollectionName   *string `json:"collection_name"`
	RecordID         *string `json:"record_id"`
	FieldName        *string `json:"field_name"`
	UserID           *string `json:"user_id"`
	Created          string  `json:"created"`
	Updated          string  `json:"updated"`
	URL              string  `json:"url"`
}

func newFile(f *dbmodel.File) fileResponse {
	return fileResponse{ID: f.ID, Filename: f.Filename, OriginalFilename: f.OriginalFilename, MimeType: f.MimeType,
		Size: f.Size, CollectionName: f.CollectionName, RecordID: f.RecordID, FieldName: f.FieldName, UserID: f.UserID,
		Created: timefmt.Format(f.Created), Updated: timefmt.Format(f.Updated), URL: "/api/v1/files/" + f.ID + "/download"}
}

// maxFieldBytes bounds each text part of an upload (collection_name and
// the like are short names).
const maxFieldBytes = 1 << 10

// uploadFile stores the multipart part "file", streamed: the bytes go to
// storage as they arrive. The text parts collection_name, record_id and
// field_name may come before or after the file; other parts are ignored.
func (h handlers) uploadFile(w http.ResponseWriter, r *http.Request) error {
	httpx.StreamUpload(w, r)
	ctx, cancel := httpx.StreamContext(r)
	defer cancel()
	mr, err := multipartBody(r, "the file in the part \"file\"")
	if err != nil {
		return err
	}
	var meta files.Meta
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return apierr.InvalidField("file", "is required: send the file as the multipart part \"file\"")
		}
		if err != nil {
			return bodyError(err)
		}
		if part.FormName() != "file" {
			if err := readField(part, &meta); err != nil {
				return err
			}
			continue
		}
		f, err := h.Files.Upload(ctx, files.Upload{
			Filename: part.FileName(), Body: part, Meta: meta,
			After: func(m *files.Meta) error { return restFields(mr, m) },
		})
		if err != nil {
			return streamError(ctx, err)
		}
		httpx.WriteJSON(w, http.StatusCreated, newFile(f))
		return nil
	}
}

// multipartBody checks the request is multipart/form-data and opens it;
// want says what the client should send, for the 415.
func multipartBody(r *http.Request, want string) (*multipart.Reader, error) {
	mt, params, err := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if err != nil || mt != "multipart/form-data" {
		return nil, apierr.New(http.StatusUnsupportedMediaType, "unsupported media type",
			"Content-Type must be multipart/form-data, with %s", want)
	}
	if params["boundary"] == "" {
		return nil, apierr.BadRequest("malformed multipart body: no boundary")
	}
	mr, err := r.MultipartReader()
	if err != nil {
		return nil, apierr.BadRequest("malformed multipart body: %v", err)
	}
	return mr, nil
}

// restFields reads the parts after the file into m.
func restFields(mr *multipart.Reader, m *files.Meta) error {
	for {
		part, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return bodyError(err)
		}
		if part.FormName() == "file" {
			return apierr.InvalidField("file", "send one file per upload")
		}
		if err := readField(part, m); err != nil {
			return err
		}
	}
}

// readField sets the metadata field a text part names; other parts are
// skipped.
func readField(part *multipart.Part, m *files.Meta) error {
	var dst **string
	switch part.FormName() {
	case "collection_name":
		dst = &m.CollectionName
	case "record_id":
		dst = &m.RecordID
	case "field_name":
		dst = &m.FieldName
	default:
		return nil
	}
	b, err := io.ReadAll(io.LimitReader(part, maxFieldBytes+1))
	if err != nil {
		return bodyError(err)
	}
	if len(b) > maxFieldBytes {
		return apierr.InvalidField(part.FormName(), "is too long")
	}
	if len(b) == 0 {
		*dst = nil
		return nil
	}
	v := string(b)
	*dst = &v
	return nil
}

func (h handlers) listFiles(w http.ResponseWriter, r *http.Request) error {
	req, err := pageRequest(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	res, err := h.Files.List(r.Context(), files.ListParams{Page: req, CollectionName: q.Get("collection_name"), RecordID: q.Get("record_id")})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newPage(res, newFile))
	return nil
}

func (h handlers) getFile(w http.ResponseWriter, r *http.Request) error {
	f, err := h.Files.Get(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newFile(f))
	return nil
}

func (h handlers) deleteFile(w http.ResponseWriter, r *http.Request) error {
	if err := h.Files.Delete(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}
