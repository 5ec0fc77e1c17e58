package oauth

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"strings"
	"time"
)

// stateTTL is how long a browser has to come back from the provider.
const stateTTL = 10 * time.Minute

// statePayload is what the signed state carries. Bind is the hash of the
// browser's cookie, which holds the PKCE verifier: a state is good only
// with the cookie it was issued with, so a state planted in another
// browser (login CSRF) fails, and the verifier never leaves the browser's
// cookie and this server.
type statePayload struct {
	Provider string `json:"p"`
	Nonce    string `json:"n"`
	Bind     string `json:"b"`
	Expires  int64  `json:"e"`
	// Redirect is the allowed front-end URL the callback sends the
	// browser to with the tokens; signed, so nobody can swap it.
	Redirect string `json:"r,omitempty"`
}

var b64 = base64.RawURLEncoding

// randomString is n random bytes, base64url-encoded.
func randomString(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return b64.EncodeToString(b)
}

func bind(cookie string) string {
	sum := sha256.Sum256([]byte(cookie))
	return b64.EncodeToString(sum[:])
}

// signState returns payload.mac, both base64url.
func (s *Service) signState(p statePayload) string {
	body, _ := json.Marshal(p)
	enc := b64.EncodeToString(body)
	return enc + "." + b64.EncodeToString(s.mac(enc))
}

func (s *Service) mac(enc string) []byte {
	m := hmac.New(sha256.New, s.secret)
	m.Write([]byte("fastcms-oauth-state:" + enc))
	return m.Sum(nil)
}

// openState checks the signature, the provider, the expiry and the cookie
// binding of state, and returns its payload; ok is false for any failure.
func (s *Service) openState(state, provider, cookie string, now time.Time) (statePayload, bool) {
	var p statePayload
	enc, sig, found := strings.Cut(state, ".")
	if !found || cookie == "" {
		return p, false
	}
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, s.mac(enc)) {
		return p, false
	}
	body, err := b64.DecodeString(enc)
	if err != nil || json.Unmarshal(body, &p) != nil {
		return p, false
	}
	ok := p.Provider == provider && now.Unix() < p.Expires &&
		hmac.Equal([]byte(p.Bind), []byte(bind(cookie)))
	return p, ok
}
