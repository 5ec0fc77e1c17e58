package oauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"fastcms/internal/auth"
)

// kind is what differs between providers: their real endpoints, scopes
// and how to read the profile.
type kind struct {
	authURL, tokenURL, apiURL string
	scopes                    []string
	profile                   func(ctx context.Context, c *http.Client, api string) (auth.OAuthIdentity, error)
}

var kinds = map[string]kind{
	"google": {
		authURL:  "https://accounts.google.com/o/oauth2/v2/auth",
		tokenURL: "https://oauth2.googleapis.com/token",
		apiURL:   "https://openidconnect.googleapis.com",
		scopes:   []string{"openid", "email", "profile"},
		profile:  googleProfile,
	},
	"github": {
		authURL:  "https://github.com/login/oauth/authorize",
		tokenURL: "https://github.com/login/oauth/access_token",
		apiURL:   "https://api.github.com",
		scopes:   []string{"read:user", "user:email"},
		profile:  githubProfile,
	},
	"microsoft": {
		authURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		tokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		apiURL:   "https://graph.microsoft.com",
		scopes:   []string{"openid", "email", "profile", "User.Read"},
		profile:  microsoftProfile,
	},
}

// getJSON GETs url with the client (which adds the access token) into v.
func getJSON(ctx context.Context, c *http.Client, url string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s: status %d", url, resp.StatusCode)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(v)
}

// googleProfile reads the OpenID Connect userinfo, which says whether
// Google verified the email.
func googleProfile(ctx context.Context, c *http.Client, api string) (auth.OAuthIdentity, error) {
	var u struct {
		Sub           string `json:"sub"`
		Email         string `json:"email"`
		EmailVerified bool   `json:"email_verified"`
		Name          string `json:"name"`
	}
	err := getJSON(ctx, c, api+"/v1/userinfo", &u)
	return auth.OAuthIdentity{Subject: u.Sub, Email: u.Email, EmailVerified: u.EmailVerified, Name: u.Name}, err
}

// githubProfile reads /user for the id and name and /user/emails for the
// primary address and whether GitHub verified it (the email on /user is
// the public one, which may be absent or any address the user typed).
func githubProfile(ctx context.Context, c *http.Client, api string) (auth.OAuthIdentity, error) {
	var u struct {
		ID    int64  `json:"id"`
		Login string `json:"login"`
		Name  string `json:"name"`
	}
	if err := getJSON(ctx, c, api+"/user", &u); err != nil {
		return auth.OAuthIdentity{}, err
	}
	var emails []struct {
		Email    string `json:"email"`
		Primary  bool   `json:"primary"`
		Verified bool   `json:"verified"`
	}
	if err := getJSON(ctx, c, api+"/user/emails", &emails); err != nil {
		return auth.OAuthIdentity{}, err
	}
	id := auth.OAuthIdentity{Subject: strconv.FormatInt(u.ID, 10), Name: u.Name}
	if id.Name == "" {
		id.Name = u.Login
	}
	for _, e := range emails {
		if e.Primary {
			id.Email, id.EmailVerified = e.Email, e.Verified
		}
	}
	if u.ID == 0 {
		id.Subject = ""
	}
	return id, nil
}

// microsoftProfile reads Graph /me. Graph does not say whether anyone
// verified mail (a tenant admin can set any address), so the email is
// never taken as verified: it never links to an existing account.
func microsoftProfile(ctx context.Context, c *http.Client, api string) (auth.OAuthIdentity, error) {
	var u struct {
		ID                string `json:"id"`
		DisplayName       string `json:"displayName"`
		Mail              string `json:"mail"`
		UserPrincipalName string `json:"userPrincipalName"`
	}
	err := getJSON(ctx, c, api+"/v1.0/me", &u)
	email := u.Mail
	if email == "" {
		email = u.UserPrincipalName
	}
	return auth.OAuthIdentity{Subject: u.ID, Email: email, Name: u.DisplayName}, err
}
