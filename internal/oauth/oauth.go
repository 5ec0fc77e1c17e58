// Package oauth is social login: the redirect to Google, GitHub or
// Microsoft with a signed state and PKCE, and the callback that exchanges
// the code (golang.org/x/oauth2), reads the profile and signs the user in
// through the auth service, which owns accounts and sessions.
package oauth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"github.com/uptrace/bun"
	"golang.org/x/oauth2"

	"fastcms/internal/apierr"
	"fastcms/internal/auth"
	"fastcms/internal/config"
)

// CookieName is the HttpOnly cookie that binds a state to the browser
// that started the login; it holds the PKCE verifier.
const CookieName = "fastcms_oauth"

// Source is how the providers and the front-end allow-list are
// configured now. The service asks on every request, so a change of the
// settings applies on every instance as soon as its snapshot has it.
type Source interface {
	// Provider is the configuration of a known provider (config.OAuthProviders).
	Provider(name string) config.OAuthProvider
	// Redirects are the allowed front-end URL prefixes (config.ParseRedirectPrefix).
	Redirects() []string
}

// Service runs the login flows. It is safe for concurrent use.
type Service struct {
	db     *bun.DB
	auth   *auth.Service
	source Source
	secret []byte
	now    func() time.Time
	log    *slog.Logger
	// client calls the providers; its timeout bounds a callback's wait.
	client *http.Client
}

type provider struct {
	oauth2.Config
	api     string
	profile func(ctx context.Context, c *http.Client, api string) (auth.OAuthIdentity, error)
}

// New runs the providers source configures; secret signs the states.
// Failures of the providers are logged to log, as the client only sees a 502.
func New(db *bun.DB, authSvc *auth.Service, source Source, secret []byte, now func() time.Time, log *slog.Logger) *Service {
	if now == nil {
		now = time.Now
	}
	return &Service{db: db, auth: authSvc, source: source, secret: secret, now: now, log: log,
		client: &http.Client{Timeout: 15 * time.Second}}
}

// provider is name as configured now, or a 404 saying why there is none.
func (s *Service) provider(name string) (*provider, error) {
	k, known := kinds[name]
	if !known {
		return nil, apierr.NotFound("unknown OAuth provider %q (google, github or microsoft)", name)
	}
	// The provider's real endpoints unless the configuration overrides them.
	c := s.source.Provider(name).Or(config.OAuthProvider{AuthURL: k.authURL, TokenURL: k.tokenURL, APIURL: k.apiURL})
	if !c.Enabled() {
		return nil, apierr.NotFound("OAuth provider %q is not configured on this server", name)
	}
	return &provider{
		Config: oauth2.Config{
			ClientID: c.ClientID, ClientSecret: c.ClientSecret, RedirectURL: c.RedirectURI, Scopes: k.scopes,
			Endpoint: oauth2.Endpoint{AuthURL: c.AuthURL, TokenURL: c.TokenURL, AuthStyle: oauth2.AuthStyleInParams},
		},
		api: c.APIURL, profile: k.profile,
	}, nil
}

// Login is where to send the browser, and the cookie value to give it
// (good for CookieMaxAge).
type Login struct {
	URL    string
	Cookie string
	Secure bool // whether the callback is https, so the cookie may be Secure
}

// CookieMaxAge is how long the login cookie lives.
const CookieMaxAge = stateTTL

// Start begins a login with provider for client. redirect, when not
// empty, is the front-end URL the callback is to send the browser to with
// the tokens; it must be on the allow-list, and the signed state carries it.
func (s *Service) Start(name, redirect string, client auth.Client) (*Login, error) {
	if err := s.auth.ThrottleOAuthStart(client); err != nil {
		return nil, err
	}
	p, err := s.provider(name)
	if err != nil {
		return nil, err
	}
	if redirect != "" {
		if redirect, err = allowRedirect(redirect, s.source.Redirects()); err != nil {
			return nil, err
		}
	}
	verifier := oauth2.GenerateVerifier()
	state := s.signState(statePayload{Provider: name, Nonce: randomString(18), Bind: bind(verifier),
		Expires: s.now().Add(stateTTL).Unix(), Redirect: redirect})
	return &Login{
		URL:    p.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier)),
		Cookie: verifier,
		Secure: p.secure(),
	}, nil
}

// secure reports whether the callback is https, so the cookie may be Secure.
func (p *provider) secure() bool { return strings.HasPrefix(p.RedirectURL, "https://") }

// SecureCookie reports whether provider's login cookie is Secure, so the
// callback clears it with the same attributes.
func (s *Service) SecureCookie(name string) bool {
	p, err := s.provider(name)
	return err == nil && p.secure()
}

// Callback is what the provider sent the browser back with, and the
// browser's login cookie.
type Callback struct {
	Code, State, Error, Cookie string
}

// Finish completes a login: it checks the state against the cookie,
// redeems the state once, exchanges the code with the PKCE verifier,
// reads the profile and signs the user in. redirect is the front-end URL
// the signed state carries ("" for none), also when the sign-in failed
// after the state was checked, so the front-end can show why.
func (s *Service) Finish(ctx context.Context, name string, cb Callback, client auth.Client) (res *auth.AuthResult, redirect string, err error) {
	if err := s.auth.ThrottleOAuthCallback(client); err != nil {
		return nil, "", err
	}
	p, err := s.provider(name)
	if err != nil {
		return nil, "", err
	}
	st, ok := s.openState(cb.State, name, cb.Cookie, s.now())
	if ok {
		redirect = st.Redirect
	}
	if cb.Error != "" {
		return nil, redirect, apierr.BadRequest("%s did not authorize the sign-in: %.100s", name, cb.Error)
	}
	fields := map[string]string{}
	if cb.Code == "" {
		fields["code"] = "is required"
	}
	if cb.State == "" {
		fields["state"] = "is required"
	}
	if len(fields) > 0 {
		return nil, redirect, apierr.Invalid(fields)
	}
	if !ok {
		return nil, "", apierr.BadRequest("invalid or expired OAuth state: start the sign-in again from this browser")
	}
	res, err = s.signIn(ctx, p, name, st, cb, client)
	return res, st.Redirect, err
}

// signIn redeems the checked state st, exchanges the code and signs the
// user in.
func (s *Service) signIn(ctx context.Context, p *provider, name string, st statePayload, cb Callback, client auth.Client) (*auth.AuthResult, error) {
	if err := s.redeem(ctx, st); err != nil {
		return nil, err
	}
	ctx = context.WithValue(ctx, oauth2.HTTPClient, s.client)
	tok, err := p.Exchange(ctx, cb.Code, oauth2.VerifierOption(cb.Cookie))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return nil, apierr.BadRequest("%s refused the authorization code: start the sign-in again", name)
		}
		s.log.Warn("oauth token exchange failed", "provider", name, "err", err)
		return nil, apierr.New(http.StatusBadGateway, "bad gateway", "could not reach %s to complete the sign-in", name)
	}
	id, err := p.profile(ctx, p.Client(ctx, tok), p.api)
	if err != nil || id.Subject == "" {
		s.log.Warn("oauth profile unreadable", "provider", name, "err", err)
		return nil, apierr.New(http.StatusBadGateway, "bad gateway", "could not read the %s profile", name)
	}
	id.Provider = name
	return s.auth.OAuthLogin(ctx, id, client)
}

// redeem records the state's nonce, so the state signs in once only, on
// any instance; expired nonces are swept on the way.
func (s *Service) redeem(ctx context.Context, st statePayload) error {
	now := s.now()
	if _, err := s.db.NewRaw(`DELETE FROM oauth_used_states WHERE expires_at < ?`, now).Exec(ctx); err != nil {
		return err
	}
	res, err := s.db.NewRaw(`INSERT INTO oauth_used_states (nonce, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING`,
		st.Nonce, time.Unix(st.Expires, 0)).Exec(ctx)
	if err != nil {
		return err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return apierr.BadRequest("this OAuth state was already used: start the sign-in again")
	}
	return nil
}
