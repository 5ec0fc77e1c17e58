package rest_test

import (
	"net/http"
	"strings"
	"testing"

	"fastcms/internal/apptest"
)

// uploadedFile uploads a small text file as token's user and returns its
// id, for file fields, which take only ids of files the writer may see.
func uploadedFile(t *testing.T, s *apptest.Server, token, name string) string {
	t.Helper()
	body, ct := csvForm(t, "file "+name)
	r := s.Do(t, http.MethodPost, "/api/v1/files", strings.NewReader(body), token, "Content-Type", ct)
	if r.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}
