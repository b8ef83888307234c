package lethehttp

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/danielgtaylor/huma/v2"

	"lethe"
	"lethe/engine"
)

// Error is the body of every error response: one of lethe's error codes
// and a message for a person.
type Error struct {
	status  int
	Code    string `json:"code" enum:"invalid,not_found,conflict,unauthorized,forbidden,internal" doc:"What kind of error: invalid (400, 422), not_found (404), conflict (409), unauthorized (401), forbidden (403), internal (500)"`
	Message string `json:"message" doc:"What was wrong and what is allowed"`
}

func (e *Error) Error() string  { return e.Message }
func (e *Error) GetStatus() int { return e.status }

// statuses maps lethe's codes to HTTP statuses. EINVALID is 400 here; the
// operations whose input is well formed but out of bounds answer 422.
var statuses = map[string]int{
	lethe.EINVALID:      http.StatusBadRequest,
	lethe.ENOTFOUND:     http.StatusNotFound,
	lethe.ECONFLICT:     http.StatusConflict,
	lethe.EUNAUTHORIZED: http.StatusUnauthorized,
	lethe.EFORBIDDEN:    http.StatusForbidden,
	lethe.EINTERNAL:     http.StatusInternalServerError,
}

// codeOf is the lethe code of an HTTP status huma chose itself.
func codeOf(status int) string {
	switch {
	case status == http.StatusNotFound:
		return lethe.ENOTFOUND
	case status == http.StatusConflict:
		return lethe.ECONFLICT
	case status == http.StatusUnauthorized:
		return lethe.EUNAUTHORIZED
	case status == http.StatusForbidden:
		return lethe.EFORBIDDEN
	case status >= 500:
		return lethe.EINTERNAL
	default:
		return lethe.EINVALID
	}
}

// huma builds its own errors (a body that does not match the schema, a
// parameter of the wrong type) through NewError; they take the same shape
// as Lethe's. huma's details name the field and what was wrong with it,
// never the value sent.
func init() {
	huma.NewError = func(status int, msg string, errs ...error) huma.StatusError {
		if status >= 500 {
			return &Error{status: status, Code: lethe.EINTERNAL, Message: "internal error"}
		}
		var parts []string
		for _, e := range errs {
			var d *huma.ErrorDetail
			switch {
			case e == nil:
			case errors.As(e, &d):
				if d.Location != "" {
					parts = append(parts, d.Location+": "+d.Message)
				} else {
					parts = append(parts, d.Message)
				}
			default:
				parts = append(parts, e.Error())
			}
		}
		if len(parts) > 0 {
			msg += ": " + strings.Join(parts, "; ")
		}
		return &Error{status: status, Code: codeOf(status), Message: msg}
	}
}

// fail turns an error of the engine or a store into a response. Internal
// errors are logged with what was being done and answered with a generic
// message: a database error may quote a query or a value.
func (s *Server) fail(ctx context.Context, op string, err error) error {
	var guard *engine.GuardError
	if errors.As(err, &guard) {
		return &Error{status: http.StatusConflict, Code: lethe.ECONFLICT, Message: strings.ReplaceAll(strings.TrimSpace(guard.Error()), "--confirm", `"confirm": true`)}
	}
	code := lethe.ErrorCode(err)
	if code == lethe.EINTERNAL {
		if ctx.Err() != nil {
			// The client went away or the server is stopping: nothing to
			// report to anyone.
			return &Error{status: http.StatusServiceUnavailable, Code: lethe.EINTERNAL, Message: "the request was cancelled"}
		}
		s.log.ErrorContext(ctx, "operation failed", "op", op, "err", err)
		return &Error{status: http.StatusInternalServerError, Code: lethe.EINTERNAL, Message: "internal error; the server log has the details"}
	}
	return &Error{status: statuses[code], Code: code, Message: lethe.ErrorMessage(err)}
}

// unprocessable answers EINVALID errors with 422: for values that are well
// formed but outside what the policy allows (a period below its floor).
func (s *Server) unprocessable(ctx context.Context, op string, err error) error {
	if lethe.ErrorCode(err) == lethe.EINVALID {
		return &Error{status: http.StatusUnprocessableEntity, Code: lethe.EINVALID, Message: lethe.ErrorMessage(err)}
	}
	return s.fail(ctx, op, err)
}

func invalid(format string, args ...any) error {
	return &Error{status: http.StatusBadRequest, Code: lethe.EINVALID, Message: lethe.Errorf(lethe.EINVALID, format, args...).Message}
}
