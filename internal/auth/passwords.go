package auth

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/mail"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/crypto/bcrypt"
)

const defaultBcryptCost = bcrypt.DefaultCost

// prehash lets passwords up to 100 characters (up to 400 bytes) through
// bcrypt, which reads only 72 bytes: every byte of the password counts.
func prehash(password string) []byte {
	sum := sha256.Sum256([]byte(password))
	return []byte(base64.StdEncoding.EncodeToString(sum[:]))
}

func (s *Service) hashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword(prehash(password), s.opts.BcryptCost)
	return string(h), err
}

// checkPassword is constant-time in the password (bcrypt compares in
// constant time). With no hash (unknown email, OAuth-only account) it
// compares against a dummy hash of the configured cost, so the answer takes
// as long as for a wrong password.
func (s *Service) checkPassword(hash, password string) bool {
	if hash == "" {
		bcrypt.CompareHashAndPassword(s.dummyHash, prehash(password)) //nolint:errcheck // only spends the time
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), prehash(password)) == nil
}

// maxPassword bounds a password, so prehash reads at most 400 bytes.
const maxPassword = 100

// passwordProblem says what is wrong with a new password under the current
// policy, or "".
func (s *Service) passwordProblem(password string) string {
	p := s.opts.Policy()
	n := utf8.RuneCountInString(password)
	if n < p.PasswordMinLength || n > maxPassword {
		return fmt.Sprintf("must be %d to %d characters", p.PasswordMinLength, maxPassword)
	}
	if !p.PasswordLetterAndDigit {
		return ""
	}
	var letter, digit bool
	for _, r := range password {
		letter = letter || unicode.IsLetter(r)
		digit = digit || unicode.IsDigit(r)
	}
	if !letter || !digit {
		return "must contain a letter and a digit"
	}
	return ""
}

// accountKey is the throttling key of an email as typed: trimmed and
// lower-cased, valid or not, so every spelling of one address shares a budget.
func accountKey(email string) string {
	return strings.ToLower(strings.TrimSpace(email))
}

// normalizeEmail trims and lower-cases an email and says what is wrong with it, or "".
func normalizeEmail(email string) (string, string) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return email, "is required"
	}
	addr, err := mail.ParseAddress(email)
	if err != nil || addr.Address != email || len(email) > 254 || !strings.Contains(email[strings.LastIndexByte(email, '@'):], ".") {
		return email, "must be a valid email address"
	}
	return email, ""
}

func nameProblem(name string) string {
	if utf8.RuneCountInString(name) > 100 {
		return "must be at most 100 characters"
	}
	return ""
}
