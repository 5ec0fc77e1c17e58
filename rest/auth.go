package rest

import (
	"net/http"
	"strconv"

	"fastcms/internal/apierr"

	"fastcms/internal/auth"
	"fastcms/internal/httpx"
)

// retryAfter passes err on, first setting the Retry-After header when err is
// a 429 from the throttled routes.
func retryAfter(w http.ResponseWriter, err error) error {
	if secs, ok := apierr.RetryAfter(err); ok {
		w.Header().Set("Retry-After", strconv.Itoa(secs))
	}
	return err
}

type registerRequest struct {
	Email           string `json:"email"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
	Name            string `json:"name"`
}

func (req registerRequest) input() auth.RegisterInput {
	return auth.RegisterInput{Email: req.Email, Password: req.Password, PasswordConfirm: req.PasswordConfirm, Name: req.Name}
}

type setupCheckResponse struct {
	NeedsSetup bool `json:"needs_setup"`
}

func (h handlers) setupCheck(w http.ResponseWriter, r *http.Request) error {
	needs, err := h.Auth.NeedsSetup(r.Context())
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, setupCheckResponse{needs})
	return nil
}

func (h handlers) setup(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	res, err := h.Auth.Setup(r.Context(), req.input(), client(r))
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusCreated, newAuth(res))
	return nil
}

func (h handlers) register(w http.ResponseWriter, r *http.Request) error {
	var req registerRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	res, err := h.Auth.Register(r.Context(), req.input(), client(r))
	if err != nil {
		return retryAfter(w, err)
	}
	httpx.WriteJSON(w, http.StatusCreated, newAuth(res))
	return nil
}

type loginRequest struct {
	Email    string `json:"email"`
	Password string `json:"password"`
}

func (h handlers) login(w http.ResponseWriter, r *http.Request) error {
	var req loginRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	res, err := h.Auth.Login(r.Context(), req.Email, req.Password, client(r))
	if err != nil {
		return retryAfter(w, err)
	}
	httpx.WriteJSON(w, http.StatusOK, newAuth(res))
	return nil
}

type refreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (h handlers) refresh(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	tokens, err := h.Auth.Refresh(r.Context(), req.RefreshToken)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newToken(tokens))
	return nil
}

func (h handlers) logout(w http.ResponseWriter, r *http.Request) error {
	var req refreshRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.Logout(r.Context(), req.RefreshToken); err != nil {
		return err
	}
	return noContent(w)
}

func (h handlers) logoutAll(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	if err := h.Auth.LogoutAll(r.Context(), p); err != nil {
		return err
	}
	return noContent(w)
}

func (h handlers) me(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	user, err := h.Auth.Me(r.Context(), p)
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newUser(user))
	return nil
}

// updateMeRequest has no email: an unknown field is a 400, and the email
// changes through request-email-change.
type updateMeRequest struct {
	Name   *string `json:"name"`
	Avatar *string `json:"avatar"`
}

func (h handlers) updateMe(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	var req updateMeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	user, err := h.Auth.UpdateMe(r.Context(), p, auth.UpdateMeInput{Name: req.Name, Avatar: req.Avatar})
	if err != nil {
		return err
	}
	httpx.WriteJSON(w, http.StatusOK, newUser(user))
	return nil
}

type requestEmailChangeRequest struct {
	NewEmail string `json:"new_email"`
	Password string `json:"password"`
}

func (h handlers) requestEmailChange(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	var req requestEmailChangeRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.RequestEmailChange(r.Context(), p, req.NewEmail, req.Password, client(r)); err != nil {
		return retryAfter(w, err)
	}
	return noContent(w)
}

func (h handlers) confirmEmailChange(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.ConfirmEmailChange(r.Context(), req.Token); err != nil {
		return err
	}
	return noContent(w)
}

func (h handlers) deleteMe(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	if err := h.Auth.DeleteMe(r.Context(), p); err != nil {
		return err
	}
	return noContent(w)
}

type changePasswordRequest struct {
	OldPassword        string `json:"old_password"`
	NewPassword        string `json:"new_password"`
	NewPasswordConfirm string `json:"new_password_confirm"`
}

func (h handlers) changePassword(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	var req changePasswordRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.ChangePassword(r.Context(), p, req.OldPassword, req.NewPassword, req.NewPasswordConfirm); err != nil {
		return err
	}
	return noContent(w)
}

type emailRequest struct {
	Email string `json:"email"`
}

func (h handlers) requestPasswordReset(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.RequestPasswordReset(r.Context(), req.Email, client(r)); err != nil {
		return retryAfter(w, err)
	}
	return noContent(w)
}

func (h handlers) requestVerification(w http.ResponseWriter, r *http.Request) error {
	var req emailRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.RequestVerification(r.Context(), req.Email, client(r)); err != nil {
		return retryAfter(w, err)
	}
	return noContent(w)
}

type resetPasswordRequest struct {
	Token           string `json:"token"`
	Password        string `json:"password"`
	PasswordConfirm string `json:"password_confirm"`
}

func (h handlers) resetPassword(w http.ResponseWriter, r *http.Request) error {
	var req resetPasswordRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.ResetPassword(r.Context(), req.Token, req.Password, req.PasswordConfirm); err != nil {
		return err
	}
	return noContent(w)
}

type tokenRequest struct {
	Token string `json:"token"`
}

func (h handlers) verifyEmail(w http.ResponseWriter, r *http.Request) error {
	var req tokenRequest
	if err := httpx.DecodeJSON(r, &req); err != nil {
		return err
	}
	if err := h.Auth.VerifyEmail(r.Context(), req.Token); err != nil {
		return err
	}
	return noContent(w)
}

func (h handlers) sessions(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	list, err := h.Auth.Sessions(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]sessionResponse, len(list))
	for i, s := range list {
		out[i] = newSession(s)
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h handlers) revokeSession(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	if err := h.Auth.RevokeSession(r.Context(), p, r.PathValue("id")); err != nil {
		return err
	}
	return noContent(w)
}
