package rest

import (
	"net/http"
	"strconv"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/httpx"
	"fastcms/internal/page"
)

// pageRequest reads page, per_page and skipTotal from the query string.
func pageRequest(r *http.Request) (page.Request, error) {
	q := r.URL.Query()
	num := func(name string) (*int, error) {
		v := q.Get(name)
		if v == "" {
			return nil, nil
		}
		n, err := strconv.Atoi(v)
		if err != nil {
			return nil, apierr.BadRequest("%s must be a whole number", name)
		}
		return &n, nil
	}
	p, err := num("page")
	if err != nil {
		return page.Request{}, err
	}
	pp, err := num("per_page")
	if err != nil {
		return page.Request{}, err
	}
	skip, _ := strconv.ParseBool(q.Get("skipTotal"))
	return page.New(p, pp, skip)
}

func (h handlers) listUsers(w http.ResponseWriter, r *http.Request) error {
	req, err := pageRequest(r)
	if err != nil {
		return err
	}
	res, err := h.Auth.ListUsers(r.Context(), req)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newPage(res, newUser))
	return nil
}

type createUserRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
	Name     string `json:"name"`
	Role     string `json:"role"`
}

func (h handlers) createUser(w http.ResponseWriter, r *http.Request) error {
	var req createUserRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	user, err := h.Auth.CreateUser(r.Context(), auth.CreateUserInput{Email: req.Email, Password: req.Password, Name: req.Name, Role: req.Role})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, newUser(user))
	return nil
}

func (h handlers) getUser(w http.ResponseWriter, r *http.Request) error {
	user, err := h.Auth.GetUser(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newUser(user))
	return nil
}

type updateUserRequest struct {
	Name     *string `json:"name"`
	Email    *string `json:"email"`
	Avatar   *string `json:"avatar"`
	Role     *string `json:"role"`
	Verified *bool   `json:"verified"`
	Password *string `json:"password"`
}

func (h handlers) updateUser(w http.ResponseWriter, r *http.Request) error {
	var req updateUserRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	user, err := h.Auth.UpdateUser(r.Context(), r.PathValue("id"), auth.UpdateUserInput{
		Name: req.Name, Email: req.Email, Avatar: req.Avatar, Role: req.Role, Verified: req.Verified, Password: req.Password})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newUser(user))
	return nil
}

func (h handlers) deleteUser(w http.ResponseWriter, r *http.Request) error {
	if err := h.Auth.DeleteUser(r.Context(), r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}
