package email

import (
	"fmt"
	"net/mail"
	"strings"
	"unicode"
)

// Limits of RFC 5321 section 4.5.3.1: a path holds at most 256 octets
// including the angle brackets, a local part at most 64, a domain at most
// 255 and a domain label at most 63.
const (
	maxAddressLen = 254
	maxLocalLen   = 64
	maxLabelLen   = 63
)

// ValidateAddress returns nil when addr is exactly one plain address, such
// as "user@example.com", that can be used as a recipient without letting
// its text reach the message's headers or the SMTP envelope as anything but
// one address. It refuses, with an error matching [ErrInvalidAddress]:
//
//   - empty addresses and addresses longer than 254 bytes (or a local part
//     longer than 64, a domain label longer than 63);
//   - spaces, line breaks and any other control or invisible formatting
//     character;
//   - display names, angle brackets, comments, quoted local parts,
//     domain literals, and lists ("a@b.c, d@e.f" or "a@b.c; d@e.f");
//   - anything net/mail does not parse back to the very same address.
//
// The error never repeats the address. [SMTP] and [Log] call it before
// sending; call it too when sending r.Identifier by another transport.
func ValidateAddress(addr string) error {
	switch {
	case addr == "":
		return fmt.Errorf("%w: empty", ErrInvalidAddress)
	case len(addr) > maxAddressLen:
		return fmt.Errorf("%w: longer than %d bytes", ErrInvalidAddress, maxAddressLen)
	}
	for _, r := range addr {
		if r == unicode.ReplacementChar || unicode.IsSpace(r) || unicode.IsControl(r) || unicode.Is(unicode.Cf, r) {
			return fmt.Errorf("%w: contains a space, a line break or a control character", ErrInvalidAddress)
		}
	}
	if strings.ContainsAny(addr, `,;<>()[]"\:`) {
		return fmt.Errorf("%w: must be one plain address without a name, brackets or quotes", ErrInvalidAddress)
	}
	if strings.Count(addr, "@") != 1 {
		return fmt.Errorf("%w: must contain exactly one @", ErrInvalidAddress)
	}
	parsed, err := mail.ParseAddress(addr)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrInvalidAddress, err)
	}
	if parsed.Name != "" || parsed.Address != addr {
		return fmt.Errorf("%w: must be one plain address", ErrInvalidAddress)
	}
	local, domain, _ := strings.Cut(addr, "@")
	if len(local) > maxLocalLen {
		return fmt.Errorf("%w: local part longer than %d bytes", ErrInvalidAddress, maxLocalLen)
	}
	for label := range strings.SplitSeq(domain, ".") {
		if label == "" || len(label) > maxLabelLen {
			return fmt.Errorf("%w: malformed domain", ErrInvalidAddress)
		}
	}
	return nil
}
