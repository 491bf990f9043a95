package email

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/ginauth/ginauth/providers"
)

// Log is a providers.Sender for development that sends nothing: it prints
// the sign-in link, to Logger when set, else to Writer, else to standard
// error, so that a developer can copy it from the terminal.
//
// Never use Log in production. The link signs in as the address it was
// asked for, so whoever can read the logs can sign in as any user who asks
// for a link, and the users themselves never receive one.
//
// Like SMTP, Log refuses an Identifier that [ValidateAddress] refuses, so a
// development setup fails where production would, and it writes nothing
// when ctx is already done.
type Log struct {
	// Writer receives one plain-text notice per link: a line with the
	// address and the expiry, then the link alone on the next line.
	Writer io.Writer
	// Logger, when set, receives instead one record at level Warn with
	// the attributes "to", "url" and "expires".
	Logger *slog.Logger
}

// SendVerificationRequest prints r's link.
func (l Log) SendVerificationRequest(ctx context.Context, r providers.VerificationRequest) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("email: not sent: %w", err)
	}
	if err := ValidateAddress(r.Identifier); err != nil {
		return err
	}
	if _, err := parseLink(r.URL); err != nil {
		return err
	}
	if l.Logger != nil {
		l.Logger.WarnContext(ctx, "email: sign-in link (development sender, never use in production)",
			slog.String("event", "email.dev_link"),
			slog.String("to", r.Identifier),
			slog.String("url", r.URL),
			slog.Time("expires", r.Expires.UTC()))
		return nil
	}
	w := l.Writer
	if w == nil {
		w = os.Stderr
	}
	expires := "no expiry"
	if !r.Expires.IsZero() {
		expires = "expires " + r.Expires.UTC().Format(time.RFC3339)
	}
	if _, err := fmt.Fprintf(w, "email (development sender, never use in production): sign-in link for %s, %s:\n%s\n",
		r.Identifier, expires, r.URL); err != nil {
		return fmt.Errorf("email: writing the sign-in link: %w", err)
	}
	return nil
}
