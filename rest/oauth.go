package rest

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/httpx"
	"fastcms/internal/oauth"
	"fastcms/internal/timefmt"
)

// oauthLogin sends the browser to the provider and sets the cookie that
// binds the state to it. SameSite=Lax: the provider's redirect back is a
// top-level GET from another site, which Lax lets the cookie ride on.
// ?redirect= names an allowed front-end URL the callback is to end at.
func (h handlers) oauthLogin(w http.ResponseWriter, r *http.Request) error {
	login, err := h.OAuth.Start(r.PathValue("provider"), r.URL.Query().Get("redirect"), client(r))
	if err != nil {
		return retryAfter(w, err)
	}
	http.SetCookie(w, &http.Cookie{
		Name: oauth.CookieName, Value: login.Cookie, Path: oauthPath, MaxAge: int(oauth.CookieMaxAge / time.Second),
		HttpOnly: true, Secure: login.Secure, SameSite: http.SameSiteLaxMode,
	})
	w.Header().Set("Cache-Control", "no-store")
	http.Redirect(w, r, login.URL, http.StatusFound)
	return nil
}

type oauthUserResponse struct {
	ID            string `json:"id"`
	Email         string `json:"email"`
	Name          string `json:"name"`
	Verified      bool   `json:"verified"`
	OAuthProvider string `json:"oauth_provider"`
}

type oauthResponse struct {
	tokenResponse
	User oauthUserResponse `json:"user"`
}

// oauthCallback completes the sign-in and answers with the session's
// tokens; the spent cookie is removed. When the login named a front-end
// URL, the answer is a 303 to it with the tokens (or the error) in the
// fragment, which browsers never send to a server or put in a Referer.
func (h handlers) oauthCallback(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	cb := oauth.Callback{Code: q.Get("code"), State: q.Get("state"), Error: q.Get("error")}
	if c, err := r.Cookie(oauth.CookieName); err == nil {
		cb.Cookie = c.Value
	}
	provider := r.PathValue("provider")
	res, redirect, err := h.OAuth.Finish(r.Context(), provider, cb, client(r))
	e, known := apierr.As(err)
	if err != nil && (redirect == "" || !known) {
		return retryAfter(w, err)
	}
	http.SetCookie(w, &http.Cookie{Name: oauth.CookieName, Path: oauthPath, MaxAge: -1, HttpOnly: true,
		Secure: h.OAuth.SecureCookie(provider), SameSite: http.SameSiteLaxMode})
	w.Header().Set("Cache-Control", "no-store")
	// The redirect is set by hand, without http.Redirect's HTML body, which
	// would repeat the tokens.
	switch {
	case redirect != "" && err != nil:
		w.Header().Set("Location", redirect+"#"+url.Values{"error": {e.Code}, "message": {e.Message}}.Encode())
		w.WriteHeader(http.StatusSeeOther)
	case redirect != "":
		t := res.Tokens
		w.Header().Set("Location", redirect+"#"+url.Values{"access_token": {t.AccessToken}, "refresh_token": {t.RefreshToken},
			"token_type": {t.TokenType}, "expires_in": {strconv.Itoa(t.ExpiresIn)}}.Encode())
		w.WriteHeader(http.StatusSeeOther)
	default:
		u := res.User
		httpx.WriteJSON(w, http.StatusOK, oauthResponse{
			tokenResponse: newToken(res.Tokens),
			User:          oauthUserResponse{ID: u.ID, Email: u.Email, Name: u.Name, Verified: u.Verified, OAuthProvider: u.OAuthProvider},
		})
	}
	return nil
}

type oauthLinkResponse struct {
	Provider string `json:"provider"`
	Email    string `json:"email"`
	Created  string `json:"created"`
}

func (h handlers) oauthLinks(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	links, err := h.Auth.OAuthLinks(r.Context(), p)
	if err != nil {
		return err
	}
	out := make([]oauthLinkResponse, len(links))
	for i, l := range links {
		out[i] = oauthLinkResponse{Provider: l.Provider, Email: l.Email, Created: timefmt.Format(l.Created)}
	}
	httpx.WriteJSON(w, http.StatusOK, out)
	return nil
}

func (h handlers) oauthUnlink(w http.ResponseWriter, r *http.Request) error {
	p, err := auth.RequireUser(r.Context())
	if err != nil {
		return err
	}
	if err := h.Auth.UnlinkOAuth(r.Context(), p, r.PathValue("provider")); err != nil {
		return err
	}
	return noContent(w)
}
