package lethe

import (
	"errors"
	"fmt"
	"strings"
)

// Error codes. They map to CLI exit statuses and, later, HTTP statuses.
const (
	EINVALID      = "invalid"      // bad input: policy, flags, values out of bounds
	ENOTFOUND     = "not_found"    // a named thing does not exist
	ECONFLICT     = "conflict"     // the operation clashes with state (a hold, the guard)
	EUNAUTHORIZED = "unauthorized" // no or bad credentials
	EFORBIDDEN    = "forbidden"    // credentials without the right
	EINTERNAL     = "internal"     // everything else; details are logged, not shown
)

// Pos is a position in a source file, 1-based. The zero Pos means "unknown".
type Pos struct {
	Line int
	Col  int
}

// IsValid reports whether the position names a place in a file.
func (p Pos) IsValid() bool { return p.Line > 0 }

// Error is what Lethe reports to a person: a code, a message that says what
// was wrong and what is allowed, and, for policy errors, where.
type Error struct {
	Code    string
	Message string
	File    string // policy file, when the error is about one
	Pos     Pos
}

func (e *Error) Error() string {
	switch {
	case e.File != "" && e.Pos.IsValid():
		return fmt.Sprintf("%s:%d:%d: %s", e.File, e.Pos.Line, e.Pos.Col, e.Message)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Message)
	default:
		return e.Message
	}
}

// Errorf returns an *Error with the code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	var e *Error
	var list ErrorList
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Code
	case errors.As(err, &list) && len(list) > 0:
		return list[0].Code
	default:
		return EINTERNAL
	}
}

// ErrorMessage returns the human message of err: the message of an *Error,
// and a generic text for anything else, whose details must not reach users.
func ErrorMessage(err error) string {
	var e *Error
	var list ErrorList
	switch {
	case err == nil:
		return ""
	case errors.As(err, &e):
		return e.Message
	case errors.As(err, &list):
		return list.Error()
	default:
		return "internal error"
	}
}

// ErrorList collects every problem found in one pass, so that a person fixes
// a policy in one round instead of one error per run.
type ErrorList []*Error

func (l ErrorList) Error() string {
	lines := make([]string, len(l))
	for i, e := range l {
		lines[i] = e.Error()
	}
	return strings.Join(lines, "\n")
}

// Err returns the list as an error, or nil when it is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}
