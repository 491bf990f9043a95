package email

import "errors"

var (
	// ErrInvalidAddress reports a recipient that is not exactly one plain
	// address (user@example.com): empty, too long, with a display name,
	// angle brackets, a list, spaces or line breaks. Nothing is sent and no
	// connection is made.
	ErrInvalidAddress = errors.New("email: invalid recipient address")

	// ErrConfig reports a sender that cannot work as configured: a bad
	// SMTP URL, a missing host or From address, credentials on a clear-text
	// connection without the opt-in, and the like.
	ErrConfig = errors.New("email: invalid configuration")

	// ErrAuth reports that the SMTP server refused the credentials, asked
	// for credentials that were not configured, or offers no mechanism the
	// sender can use. The password never appears in the error's text.
	ErrAuth = errors.New("email: SMTP authentication failed")

	// ErrTLS reports that the connection could not be secured: the server
	// does not offer STARTTLS, or the TLS handshake or the certificate
	// check failed. Neither credentials nor the message were sent.
	ErrTLS = errors.New("email: could not secure the connection to the SMTP server")

	// ErrRejected reports that the SMTP server refused the message for
	// good: a 5xx reply to MAIL, RCPT or DATA, such as an unknown
	// recipient or a sender it does not relay for, or a greeting that
	// turns the client away.
	ErrRejected = errors.New("email: the SMTP server refused the message")

	// ErrTemporary reports that the SMTP server deferred the message (a
	// 4xx reply, such as to MAIL, RCPT or DATA); the same message may go
	// through later.
	ErrTemporary = errors.New("email: the SMTP server deferred the message")
)
