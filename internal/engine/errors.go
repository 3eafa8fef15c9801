package engine

import (
	"errors"
	"unicode/utf8"
)

// Permanent marks a Sync error that retrying cannot heal (an engine cannot read its own run, say): the
// reconciler fails the run with its message instead of retrying. The message is err's.
func Permanent(err error) error { return permanentError{err} }

// IsPermanent reports whether err, or an error it wraps, was marked Permanent.
func IsPermanent(err error) bool {
	var p permanentError
	return errors.As(err, &p)
}

type permanentError struct{ err error }

func (p permanentError) Error() string { return p.err.Error() }
func (p permanentError) Unwrap() error { return p.err }

// Truncate cuts s to at most n bytes on a rune boundary: status and event texts have size limits.
func Truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	s = s[:n]
	for len(s) > 0 && !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s
}
