package main

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/providers"
)

// emailSetup is how the example sends its sign-in links.
type emailSetup struct {
	// Sender sends the links; nil when email sign-in is off.
	Sender providers.Sender
	// SMTP is the SMTP sender when Sender is one, for the log.
	SMTP *email.SMTP
	// Development reports the development sender, which prints the links
	// instead of sending them.
	Development bool
}

// emailSender reads the example's email settings through getenv:
//
//   - EMAIL_SERVER set: the links go through that SMTP server
//     (smtp://user:password@host:port with STARTTLS required, or smtps://
//     with TLS from the first byte), sent from EMAIL_FROM, which is then
//     required. tlsConfig, when not nil, secures the connection instead of
//     the system's roots (such as a private CA's). EMAIL_INSECURE_PLAINTEXT
//     set to true sends in clear text, and is refused unless the server is on
//     the loopback interface.
//   - EMAIL_SERVER unset and the application's origin appURL on the loopback
//     interface (the example's default): the development sender prints each
//     link to devOut.
//   - otherwise email sign-in is off: a deployed application never falls
//     back to printing links that sign in as anyone.
func emailSender(getenv func(string) string, appURL string, tlsConfig *tls.Config, devOut io.Writer) (emailSetup, error) {
	insecure := false
	if v := getenv("EMAIL_INSECURE_PLAINTEXT"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return emailSetup{}, fmt.Errorf("EMAIL_INSECURE_PLAINTEXT %q: want 1 or 0 (true or false)", v)
		}
		insecure = b
	}
	server := getenv("EMAIL_SERVER")
	if server == "" {
		if insecure {
			return emailSetup{}, errors.New("EMAIL_INSECURE_PLAINTEXT is set but EMAIL_SERVER is not: set EMAIL_SERVER to the relay, such as smtp://localhost:1025")
		}
		if u, err := url.Parse(appURL); err != nil || !isLoopback(u.Hostname()) {
			return emailSetup{}, nil
		}
		return emailSetup{Sender: email.Log{Writer: devOut}, Development: true}, nil
	}
	from := getenv("EMAIL_FROM")
	if from == "" {
		return emailSetup{}, errors.New("EMAIL_SERVER is set but EMAIL_FROM is not: set the sender address, such as no-reply@example.com")
	}
	// NewSMTP's errors never repeat the password.
	s, err := email.NewSMTP(server, from)
	if err != nil {
		return emailSetup{}, fmt.Errorf("EMAIL_SERVER or EMAIL_FROM: %w", err)
	}
	if insecure {
		switch {
		case s.TLS == email.ImplicitTLS:
			return emailSetup{}, errors.New("EMAIL_INSECURE_PLAINTEXT contradicts an smtps:// EMAIL_SERVER: use smtp:// for a clear-text relay")
		case !isLoopback(s.Host):
			return emailSetup{}, fmt.Errorf("EMAIL_INSECURE_PLAINTEXT is honoured only for a relay on the loopback interface (localhost, 127.0.0.1, ::1), not %q: "+
				"anyone on the network path could read the links and sign in as their recipients", s.Host)
		}
		// The connection does not leave the machine, so neither do the
		// links nor the relay's credentials, if it wants some.
		s.TLS = email.InsecurePlainText
		s.InsecureAllowCleartextAuth = s.Username != ""
	}
	if tlsConfig != nil {
		s.TLSConfig = tlsConfig
	}
	if err := s.Validate(); err != nil {
		return emailSetup{}, fmt.Errorf("EMAIL_SERVER: %w", err)
	}
	return emailSetup{Sender: s, SMTP: s}, nil
}

// isLoopback reports whether host names the loopback interface: localhost
// or a loopback IP address. Other names are not resolved: what they resolve
// to can change.
func isLoopback(host string) bool {
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	if strings.EqualFold(host, "localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// logEmail says at start how sign-in links are sent.
func logEmail(logger *slog.Logger, e emailSetup) {
	switch {
	case e.Development:
		logger.Warn("email sign-in uses the development sender: sign-in links are printed in this terminal, not sent. " +
			"For development only: anyone who reads this output can sign in as any address; set EMAIL_SERVER and EMAIL_FROM to send them.")
	case e.SMTP != nil && e.SMTP.TLS == email.InsecurePlainText:
		logger.Warn("email sign-in sends links in clear text to a relay on the loopback interface (EMAIL_INSECURE_PLAINTEXT): for development only",
			"smtp", *e.SMTP)
	case e.SMTP != nil:
		logger.Info("email sign-in", "smtp", *e.SMTP)
	default:
		logger.Info("email sign-in is off: EMAIL_SERVER is not set, and AUTH_URL is not a loopback origin where the development sender could print the links; " +
			"set EMAIL_SERVER and EMAIL_FROM to offer it")
	}
}
