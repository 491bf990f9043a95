package email_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"time"

	"github.com/ginauth/ginauth/email"
	"github.com/ginauth/ginauth/providers"
)

// NewSMTP reads a server URL in the form of Auth.js's EMAIL_SERVER; the
// result goes into the email provider as its Sender.
func ExampleNewSMTP() {
	// From os.Getenv("EMAIL_SERVER") and os.Getenv("EMAIL_FROM").
	sender, err := email.NewSMTP("smtp://apikey:p%40ssw0rd@smtp.example.com:587", "Acme <no-reply@acme.example>")
	if err != nil {
		fmt.Println(err)
		return
	}
	sender.SendTimeout = 15 * time.Second

	provider := providers.Email{Sender: sender}
	fmt.Println(sender)
	fmt.Println(provider.Validate())
	// Output:
	// email.SMTP{Host: "smtp.example.com", Port: 587, TLS: StartTLS, Username: "apikey", Password: [redacted], From: "Acme <no-reply@acme.example>"}
	// <nil>
}

// An SMTP sender configured field by field: TLS from the first byte, with a
// private CA.
func ExampleSMTP() {
	roots := x509.NewCertPool() // roots.AppendCertsFromPEM(caPEM)
	sender := email.SMTP{
		Host:      "smtp.internal.example",
		TLS:       email.ImplicitTLS,
		TLSConfig: &tls.Config{RootCAs: roots},
		Username:  "ginauth",
		Password:  "from-a-secret-store",
		From:      "no-reply@example.com",
	}
	fmt.Println(sender.Validate())

	// Clear text only for a relay on the loopback interface, such as
	// Mailpit during development.
	dev := email.SMTP{Host: "localhost", Port: 1025, TLS: email.InsecurePlainText, From: "dev@localhost"}
	fmt.Println(dev.Validate())
	// Output:
	// <nil>
	// <nil>
}

// Render builds the message for applications that deliver it themselves.
func ExampleRender() {
	msg, err := email.Render(providers.VerificationRequest{
		Identifier: "user@example.com",
		URL:        "https://app.example.com/api/auth/callback/email?callbackUrl=https%3A%2F%2Fapp.example.com&token=3f2a&email=user%40example.com",
		Expires:    time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
		Theme:      providers.Theme{Name: "Acme", Color: "#0f766e"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(msg.Subject)
	fmt.Print(msg.Text)
	// Output:
	// Sign in to app.example.com
	// Sign in to app.example.com
	// https://app.example.com/api/auth/callback/email?callbackUrl=https%3A%2F%2Fapp.example.com&token=3f2a&email=user%40example.com
	//
	// This link can be used once and expires on 1 May 2026 at 12:00 UTC.
	// If you did not request this email you can safely ignore it.
	//
	// Acme
}

// Log prints the link in the terminal during development. Never use it in
// production: whoever reads the output can sign in as anyone.
func ExampleLog() {
	provider := providers.Email{Sender: email.Log{Writer: os.Stdout}}
	err := provider.Sender.SendVerificationRequest(context.Background(), providers.VerificationRequest{
		Identifier: "dev@example.com",
		URL:        "http://localhost:8080/api/auth/callback/email?token=3f2a&email=dev%40example.com",
		Expires:    time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
	})
	fmt.Println(err)
	// Output:
	// email (development sender, never use in production): sign-in link for dev@example.com, expires 2026-05-01T12:00:00Z:
	// http://localhost:8080/api/auth/callback/email?token=3f2a&email=dev%40example.com
	// <nil>
}

// Render on an SMTP sender words the message your own way; SMTP still
// delivers it. Here the default message is kept and its subject and text
// are replaced.
func ExampleSMTP_render() {
	sender, err := email.NewSMTP("smtps://mailer:secret@smtp.example.com", "Acme <no-reply@acme.example>")
	if err != nil {
		fmt.Println(err)
		return
	}
	sender.Render = func(r providers.VerificationRequest) (email.Message, error) {
		m, err := email.Render(r) // the HTML part in the pages' style
		if err != nil {
			return email.Message{}, err
		}
		m.Subject = "Your Acme sign-in link"
		// The link alone on its own line, exactly as it is.
		m.Text = "Hello,\n\nOpen this link to sign in to Acme:\n" + r.URL + "\n\nIt works once, until " +
			r.Expires.UTC().Format("15:04 MST") + ".\n"
		return m, nil
	}
	m, err := sender.Render(providers.VerificationRequest{
		Identifier: "user@example.com",
		URL:        "https://app.example.com/api/auth/callback/email?token=3f2a&email=user%40example.com",
		Expires:    time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC),
	})
	fmt.Println(m.Subject, err)
	fmt.Print(m.Text)
	// Output:
	// Your Acme sign-in link <nil>
	// Hello,
	//
	// Open this link to sign in to Acme:
	// https://app.example.com/api/auth/callback/email?token=3f2a&email=user%40example.com
	//
	// It works once, until 12:00 UTC.
}
