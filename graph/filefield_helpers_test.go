package graph_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

// uploadFile uploads a small text file as token's user and returns its
// id, for file fields, which take only ids of files the writer may see.
func uploadFile(t *testing.T, s *apptest.Server, token, name string) string {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	fw, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	fw.Write([]byte("file " + name))
	mw.Close()
	r := s.Do(t, http.MethodPost, "/api/v1/files", &body, token, "Content-Type", mw.FormDataContentType())
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}
