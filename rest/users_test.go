package rest_test

import (
	"net/http"
	"testing"

	"fastcms/internal/apptest"
)

func TestAdminUsers(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	user := register(t, s, newEmail("plain"))

	t.Run("not for users or anonymous", func(t *testing.T) {
		for _, c := range []struct{ method, path string }{
			{http.MethodGet, "/api/v1/admin/users"},
			{http.MethodPost, "/api/v1/admin/users"},
			{http.MethodGet, "/api/v1/admin/users/" + root.ID},
			{http.MethodPatch, "/api/v1/admin/users/" + root.ID},
			{http.MethodDelete, "/api/v1/admin/users/" + root.ID},
		} {
			body := any(nil)
			if c.method == http.MethodPost || c.method == http.MethodPatch {
				body = map[string]any{}
			}
			apptest.ExpectError(t, s.Do(t, c.method, c.path, body, user.Access), http.StatusForbidden, "forbidden", "admin access required", nil)
			expectUnauthorized(t, s.Do(t, c.method, c.path, body, ""), "authentication required")
		}
	})

	t.Run("create, get, update, delete", func(t *testing.T) {
		email := newEmail("made")
		r := s.Do(t, http.MethodPost, "/api/v1/admin/users", map[string]any{"email": email, "password": password, "name": "Made"}, root.Access)
		want := userJSON(apptest.AnyUUID, email, "user", false)
		want["name"] = "Made"
		apptest.ExpectJSON(t, r, http.StatusCreated, want)
		id := r.JSON(t)["id"].(string)
		want["id"] = id
		apptest.ExpectJSON(t, s.Do(t, http.MethodGet, "/api/v1/admin/users/"+id, nil, root.Access), http.StatusOK, want)

		r = s.Do(t, http.MethodPost, "/api/v1/admin/users", map[string]any{"email": email, "password": password}, root.Access)
		apptest.ExpectError(t, r, http.StatusConflict, "conflict", "a user with this email already exists", nil)
		r = s.Do(t, http.MethodPost, "/api/v1/admin/users", map[string]any{"email": newEmail("r"), "password": password, "role": "owner"}, root.Access)
		apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "role: must be user or admin", map[string]string{"role": "must be user or admin"})

		r = s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+id, map[string]any{"verified": true, "name": "Renamed"}, root.Access)
		want["verified"], want["name"] = true, "Renamed"
		apptest.ExpectJSON(t, r, http.StatusOK, want)
		r = s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+id, map[string]any{"role": "owner", "password": "x"}, root.Access)
		apptest.ExpectError(t, r, http.StatusUnprocessableEntity, "validation failed", "validation failed",
			map[string]string{"role": "must be user or admin", "password": "must be 8 to 100 characters"})

		if r := s.Do(t, http.MethodDelete, "/api/v1/admin/users/"+id, nil, root.Access); r.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", r.Status, r.Body)
		}
		apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/admin/users/"+id, nil, root.Access), http.StatusNotFound, "not found", "user not found", nil)
		apptest.ExpectError(t, s.Do(t, http.MethodDelete, "/api/v1/admin/users/"+id, nil, root.Access), http.StatusNotFound, "not found", "user not found", nil)
		apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/admin/users/zzz", nil, root.Access), http.StatusNotFound, "not found", "user not found", nil)
	})

	t.Run("an admin cannot demote or delete themself", func(t *testing.T) {
		r := s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+root.ID, map[string]any{"role": "user"}, root.Access)
		apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", "an admin cannot demote themself", nil)
		r = s.Do(t, http.MethodDelete, "/api/v1/admin/users/"+root.ID, nil, root.Access)
		apptest.ExpectError(t, r, http.StatusBadRequest, "bad request", "an admin cannot delete themself", nil)
	})

	t.Run("role changes apply to live tokens", func(t *testing.T) {
		u := register(t, s, newEmail("promoted"))
		apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/admin/users?per_page=1", nil, u.Access), http.StatusForbidden, "forbidden", "admin access required", nil)
		if r := s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+u.ID, map[string]any{"role": "admin"}, root.Access); r.Status != http.StatusOK {
			t.Fatalf("promote: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, http.MethodGet, "/api/v1/admin/users?per_page=1", nil, u.Access); r.Status != http.StatusOK {
			t.Fatalf("promoted user still refused: %d %s", r.Status, r.Body)
		}
		if r := s.Do(t, http.MethodPatch, "/api/v1/admin/users/"+u.ID, map[string]any{"role": "user"}, root.Access); r.Status != http.StatusOK {
			t.Fatalf("demote: %d %s", r.Status, r.Body)
		}
		apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/admin/users", nil, u.Access), http.StatusForbidden, "forbidden", "admin access required", nil)
	})
}

func TestAdminUserPaging(t *testing.T) {
	t.Parallel()
	s := apptest.Start(t)
	root := admin(t, s)
	r := s.Do(t, http.MethodGet, "/api/v1/admin/users?per_page=2&page=1", nil, root.Access)
	body := r.JSON(t)
	total := int(body["total"].(float64))
	if total < 1 || len(body["items"].([]any)) != min(2, total) {
		t.Fatalf("first page: %s", r.Body)
	}
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": body["items"], "total": total, "page": 1, "per_page": 2, "total_pages": (total + 1) / 2})

	r = s.Do(t, http.MethodGet, "/api/v1/admin/users?per_page=1&skipTotal=true", nil, root.Access)
	apptest.ExpectJSON(t, r, http.StatusOK, map[string]any{"items": r.JSON(t)["items"], "total": -1, "page": 1, "per_page": 1, "total_pages": -1})

	for q, msg := range map[string]string{
		"per_page=0":   "per_page must be between 1 and 100",
		"per_page=101": "per_page must be between 1 and 100",
		"page=-1":      "page must be 1 or more",
		"page=abc":     "page must be a whole number",
	} {
		apptest.ExpectError(t, s.Do(t, http.MethodGet, "/api/v1/admin/users?"+q, nil, root.Access), http.StatusBadRequest, "bad request", msg, nil)
	}
}
