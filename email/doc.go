// Package email delivers the sign-in links of the email provider
// (providers.Email, Auth.js's "email" and "nodemailer" providers).
//
// [SMTP] sends the link through an SMTP server, configured field by field
// or from a URL in the form of Auth.js's EMAIL_SERVER with [NewSMTP]:
//
//	sender, err := email.NewSMTP(os.Getenv("EMAIL_SERVER"), os.Getenv("EMAIL_FROM"))
//	...
//	providers.Email{Sender: sender}
//
// The connection is encrypted by default (STARTTLS is required, or TLS from
// the first byte with smtps://); clear text is a loudly named opt-in meant
// for a relay on the loopback interface during development.
//
// [Render] builds the message (subject, plain text and HTML in the style of
// the built-in pages) for applications that bring their own transport, and
// [Log] prints the link for local development.
//
// Errors can be told apart with errors.Is: [ErrInvalidAddress] (refused
// before connecting), [ErrAuth], [ErrTLS], [ErrRejected], [ErrTemporary],
// [ErrConfig], and context.DeadlineExceeded or context.Canceled when the
// send ran out of time or was cancelled.
//
// The package depends only on the providers and authjs packages of this
// module, never on the root package, so it can be used with any transport
// or framework that speaks in providers.VerificationRequest values.
package email
