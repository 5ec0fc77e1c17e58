package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"fastcms/internal/apierr"
	"fastcms/internal/ids"
)

const issuer = "fastcms"

// Tokens is what a login or refresh hands the client.
type Tokens struct {
	AccessToken  string
	RefreshToken string
	TokenType    string
	ExpiresIn    int
}

// accessClaims binds an access token to its session (sid): revoking the
// session, or every session, kills the access tokens issued under it.
type accessClaims struct {
	SessionID string `json:"sid"`
	jwt.RegisteredClaims
}

func (s *Service) signAccess(userID, sessionID string, ttl time.Duration) (string, error) {
	now := s.opts.Now()
	claims := accessClaims{
		SessionID: sessionID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    issuer,
			Subject:   userID,
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		},
	}
	return jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(s.opts.Secret)
}

// parseAccess verifies signature, algorithm, issuer and expiry.
func (s *Service) parseAccess(token string) (*accessClaims, error) {
	if claims := s.verified.get(token); claims != nil {
		if !s.opts.Now().Before(claims.ExpiresAt.Time) {
			return nil, apierr.Unauthorized("invalid or expired access token")
		}
		return claims, nil
	}
	claims := &accessClaims{}
	_, err := jwt.ParseWithClaims(token, claims, func(*jwt.Token) (any, error) { return s.opts.Secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuer(issuer),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(s.opts.Now),
	)
	if err != nil || !ids.IsUUID(claims.Subject) || !ids.IsUUID(claims.SessionID) {
		return nil, apierr.Unauthorized("invalid or expired access token")
	}
	s.verified.put(token, claims)
	return claims, nil
}

// verifiedTokens remembers the claims of access tokens whose signature
// and claims checked out, so a token presented again costs a map lookup
// instead of an HMAC and a JSON decode: a client sends the same token with
// every request, and a websocket re-checks its holder's rights before
// every event it delivers (1,000 subscribers of a collection at 100
// writes/s are 100,000 checks a second). Expiry is checked on every use;
// the session and the user behind the claims are checked by the caller,
// as for a token parsed afresh. The map is bounded and starts over when
// full.
type verifiedTokens struct {
	mu sync.Mutex
	m  map[string]*accessClaims
}

// maxVerifiedTokens bounds the tokens remembered (about 0.5 KB each).
const maxVerifiedTokens = 10000

func (v *verifiedTokens) get(token string) *accessClaims {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.m[token]
}

func (v *verifiedTokens) put(token string, claims *accessClaims) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.m == nil || len(v.m) >= maxVerifiedTokens {
		v.m = map[string]*accessClaims{}
	}
	v.m[token] = claims
}

// issue makes the token pair for a session whose refresh token is refresh.
func (s *Service) issue(userID, sessionID, refresh string) (*Tokens, error) {
	ttl := s.opts.Policy().AccessTTL
	access, err := s.signAccess(userID, sessionID, ttl)
	if err != nil {
		return nil, err
	}
	return &Tokens{AccessToken: access, RefreshToken: refresh, TokenType: "bearer", ExpiresIn: int(ttl / time.Second)}, nil
}

// randomToken returns an opaque random token and the hash under which it is stored.
func randomToken() (token string, hash []byte) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	token = base64.RawURLEncoding.EncodeToString(b)
	return token, hashToken(token)
}

// hashToken is SHA-256: tokens are 256 random bits, so a slow hash adds nothing,
// and a fast one lets lookups go by primary key.
func hashToken(token string) []byte {
	h := sha256.Sum256([]byte(token))
	return h[:]
}
