package redis

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// The records are JSON objects as @auth/unstorage-adapter writes them with
// JSON.stringify: Dates become ISO strings (Date.prototype.toISOString: UTC,
// milliseconds), which its hydrateDates turns back into Dates on read.

// isoMillis is the layout of Date.prototype.toISOString.
const isoMillis = "2006-01-02T15:04:05.000Z"

// jsTime returns t as JavaScript keeps it: whole milliseconds, in UTC.
func jsTime(t time.Time) time.Time {
	return time.UnixMilli(t.UnixMilli()).UTC()
}

func formatTime(t time.Time) string { return t.UTC().Format(isoMillis) }

// expiryMillis is the PEXPIREAT argument for t; a time at or before the
// epoch becomes 1, which Redis treats as already past.
func expiryMillis(t time.Time) int64 {
	return max(t.UnixMilli(), 1)
}

var errCorrupt = errors.New("redis: stored record is not what @auth/unstorage-adapter writes")

// jsonValue encodes v as JSON.stringify does for the strings, numbers and
// booleans of the records: without escaping <, > and &.
func jsonValue(v any) json.RawMessage {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v) // strings, integers and booleans always encode
	return bytes.TrimSuffix(buf.Bytes(), []byte{'\n'})
}

var jsonNull = json.RawMessage("null")

// object is a JSON object with its members in order, for merging updates
// into a stored record as JavaScript's {...stored, ...updates} does: members
// keep their place, new ones go last, and members this package does not
// know (fields an Auth.js application added) survive.
type object []member

type member struct {
	name  string
	value json.RawMessage
}

func parseObject(b []byte) (object, error) {
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errCorrupt
	}
	var o object
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, errCorrupt
		}
		name, _ := tok.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, errCorrupt
		}
		o.set(name, v)
	}
	if _, err := dec.Token(); err != nil {
		return nil, errCorrupt
	}
	return o, nil
}

func (o *object) set(name string, v json.RawMessage) {
	for i := range *o {
		if (*o)[i].name == name {
			(*o)[i].value = v
			return
		}
	}
	*o = append(*o, member{name, v})
}

// setString sets a string member, or deletes it when s is empty (as
// JSON.stringify drops an undefined property).
func (o *object) setString(name, s string) {
	if s == "" {
		o.del(name)
		return
	}
	o.set(name, jsonValue(s))
}

func (o *object) del(name string) {
	for i := range *o {
		if (*o)[i].name == name {
			*o = append((*o)[:i], (*o)[i+1:]...)
			return
		}
	}
}

func (o object) marshal() []byte {
	n := 2
	for _, m := range o {
		n += len(m.name) + len(m.value) + 4
	}
	b := make([]byte, 0, n)
	b = append(b, '{')
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, jsonValue(m.name)...)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// jsString decodes a JSON string, null (""), or a number or boolean (its
// literal text): the JavaScript side does not check the types it stores.
type jsString string

func (s *jsString) UnmarshalJSON(b []byte) error {
	switch {
	case bytes.Equal(b, jsonNull):
		*s = ""
	case len(b) > 0 && b[0] == '"':
		v, err := unquote(b)
		if err != nil {
			return err
		}
		*s = jsString(v)
	case len(b) > 0 && (b[0] == '{' || b[0] == '['):
		return errCorrupt
	default:
		*s = jsString(b)
	}
	return nil
}

// unquote decodes a JSON string, without encoding/json for the common
// case of one without escapes.
func unquote(b []byte) (string, error) {
	if len(b) >= 2 && b[0] == '"' && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), nil
	}
	var s string
	err := json.Unmarshal(b, &s)
	return s, err
}

// jsInt decodes a JSON number (a fractional one is truncated), a numeric
// string or null (0).
type jsInt int64

func (n *jsInt) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, jsonNull) {
		*n = 0
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		b = []byte(s)
	}
	if i, err := strconv.ParseInt(string(b), 10, 64); err == nil {
		*n = jsInt(i)
		return nil
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) || math.Abs(f) >= math.MaxInt64 {
		return errCorrupt
	}
	*n = jsInt(f)
	return nil
}

// jsTimeValue decodes an ISO date string (what JSON.stringify makes of a
// Date) or null (the zero time).
type jsTimeValue time.Time

func (t *jsTimeValue) UnmarshalJSON(b []byte) error {
	if bytes.Equal(b, jsonNull) {
		*t = jsTimeValue{}
		return nil
	}
	s, err := unquote(b)
	if err != nil {
		return errCorrupt
	}
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return errCorrupt
	}
	*t = jsTimeValue(v)
	return nil
}

func (t jsTimeValue) time() time.Time { return time.Time(t) }

// decode unmarshals a stored record, reporting what it is without its
// contents (which may hold tokens).
func decode(what string, b []byte, v any) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%w: %s", errCorrupt, what)
	}
	return nil
}

// User records: {"name","email","image","emailVerified","id"}, the order
// Auth.js's createUser input gets from the profile and the adapter's
// {...user, id}. emailVerified is always present (null when not verified).

type userRecord struct {
	ID            jsString    `json:"id"`
	Name          jsString    `json:"name"`
	Email         jsString    `json:"email"`
	Image         jsString    `json:"image"`
	EmailVerified jsTimeValue `json:"emailVerified"`
}

func encodeUser(u *authjs.User) []byte {
	var o object
	o.setString("name", u.Name)
	o.setString("email", u.Email)
	o.setString("image", u.Image)
	setEmailVerified(&o, u.EmailVerified)
	o.set("id", jsonValue(u.ID))
	return o.marshal()
}

func setEmailVerified(o *object, t *time.Time) {
	if t == nil {
		o.set("emailVerified", jsonNull)
	} else {
		o.set("emailVerified", jsonValue(formatTime(*t)))
	}
}

func decodeUser(b []byte) (*authjs.User, error) {
	var r userRecord
	if err := decode("user", b, &r); err != nil {
		return nil, err
	}
	u := &authjs.User{ID: string(r.ID), Name: string(r.Name), Email: string(r.Email), Image: string(r.Image)}
	if t := r.EmailVerified.time(); !t.IsZero() {
		u.EmailVerified = &t
	}
	return u, nil
}

// Account records: the account as Auth.js passes it to linkAccount, with
// the adapter's "id" ("<provider>:<providerAccountId>") last. Token fields
// are left out when empty, as Auth.js leaves out what a provider did not
// return.

type accountRecord struct {
	UserID            jsString `json:"userId"`
	Type              jsString `json:"type"`
	Provider          jsString `json:"provider"`
	ProviderAccountID jsString `json:"providerAccountId"`
	AccessToken       jsString `json:"access_token"`
	RefreshToken      jsString `json:"refresh_token"`
	ExpiresAt         jsInt    `json:"expires_at"`
	IDToken           jsString `json:"id_token"`
	Scope             jsString `json:"scope"`
	TokenType         jsString `json:"token_type"`
	SessionState      jsString `json:"session_state"`
}

func encodeAccount(a *authjs.Account) []byte {
	var o object
	o.setString("userId", a.UserID)
	o.setString("type", string(a.Type))
	o.set("provider", jsonValue(a.Provider))
	o.set("providerAccountId", jsonValue(a.ProviderAccountID))
	o.setString("access_token", a.AccessToken)
	o.setString("refresh_token", a.RefreshToken)
	if a.ExpiresAt != 0 {
		o.set("expires_at", jsonValue(a.ExpiresAt))
	}
	o.setString("id_token", a.IDToken)
	o.setString("scope", a.Scope)
	o.setString("token_type", a.TokenType)
	o.setString("session_state", a.SessionState)
	o.set("id", jsonValue(a.Provider+":"+a.ProviderAccountID))
	return o.marshal()
}

func decodeAccount(b []byte) (*authjs.Account, error) {
	var r accountRecord
	if err := decode("account", b, &r); err != nil {
		return nil, err
	}
	return &authjs.Account{
		UserID:            string(r.UserID),
		Type:              authjs.ProviderType(r.Type),
		Provider:          string(r.Provider),
		ProviderAccountID: string(r.ProviderAccountID),
		AccessToken:       string(r.AccessToken),
		RefreshToken:      string(r.RefreshToken),
		ExpiresAt:         int64(r.ExpiresAt),
		IDToken:           string(r.IDToken),
		Scope:             string(r.Scope),
		TokenType:         string(r.TokenType),
		SessionState:      string(r.SessionState),
	}, nil
}

// Session records: {"sessionToken","userId","expires"}.

type sessionRecord struct {
	SessionToken jsString    `json:"sessionToken"`
	UserID       jsString    `json:"userId"`
	Expires      jsTimeValue `json:"expires"`
}

func encodeSession(s *authjs.DatabaseSession) []byte {
	o := object{
		{"sessionToken", jsonValue(s.SessionToken)},
		{"userId", jsonValue(s.UserID)},
		{"expires", jsonValue(formatTime(s.Expires))},
	}
	return o.marshal()
}

func decodeSession(b []byte) (*authjs.DatabaseSession, error) {
	var r sessionRecord
	if err := decode("session", b, &r); err != nil {
		return nil, err
	}
	if r.SessionToken == "" || r.UserID == "" || r.Expires.time().IsZero() {
		return nil, fmt.Errorf("%w: session", errCorrupt)
	}
	return &authjs.DatabaseSession{
		SessionToken: string(r.SessionToken),
		UserID:       string(r.UserID),
		Expires:      r.Expires.time(),
	}, nil
}

// Verification token records: {"identifier","token","expires"}.

type tokenRecord struct {
	Identifier jsString    `json:"identifier"`
	Token      jsString    `json:"token"`
	Expires    jsTimeValue `json:"expires"`
}

func encodeToken(t *authjs.VerificationToken) []byte {
	o := object{
		{"identifier", jsonValue(t.Identifier)},
		{"token", jsonValue(t.Token)},
		{"expires", jsonValue(formatTime(t.Expires))},
	}
	return o.marshal()
}

func decodeToken(b []byte) (*authjs.VerificationToken, error) {
	var r tokenRecord
	if err := decode("verification token", b, &r); err != nil {
		return nil, err
	}
	return &authjs.VerificationToken{
		Identifier: string(r.Identifier),
		Token:      string(r.Token),
		Expires:    r.Expires.time(),
	}, nil
}

// Authenticator records: AdapterAuthenticator's fields in its order;
// transports is null when there are none, as Auth.js's WebAuthn provider
// passes it.

type authenticatorRecord struct {
	CredentialID         jsString `json:"credentialID"`
	UserID               jsString `json:"userId"`
	ProviderAccountID    jsString `json:"providerAccountId"`
	CredentialPublicKey  jsString `json:"credentialPublicKey"`
	Counter              jsInt    `json:"counter"`
	CredentialDeviceType jsString `json:"credentialDeviceType"`
	CredentialBackedUp   bool     `json:"credentialBackedUp"`
	Transports           jsString `json:"transports"`
}

func encodeAuthenticator(a *authjs.Authenticator) []byte {
	o := object{
		{"credentialID", jsonValue(a.CredentialID)},
		{"userId", jsonValue(a.UserID)},
		{"providerAccountId", jsonValue(a.ProviderAccountID)},
		{"credentialPublicKey", jsonValue(a.CredentialPublicKey)},
		{"counter", jsonValue(a.Counter)},
		{"credentialDeviceType", jsonValue(a.CredentialDeviceType)},
		{"credentialBackedUp", jsonValue(a.CredentialBackedUp)},
		{"transports", jsonNull},
	}
	if a.Transports != "" {
		o.set("transports", jsonValue(a.Transports))
	}
	return o.marshal()
}

func decodeAuthenticator(b []byte) (*authjs.Authenticator, error) {
	var r authenticatorRecord
	if err := decode("authenticator", b, &r); err != nil {
		return nil, err
	}
	return &authjs.Authenticator{
		CredentialID:         string(r.CredentialID),
		UserID:               string(r.UserID),
		ProviderAccountID:    string(r.ProviderAccountID),
		CredentialPublicKey:  string(r.CredentialPublicKey),
		Counter:              int64(r.Counter),
		CredentialDeviceType: string(r.CredentialDeviceType),
		CredentialBackedUp:   r.CredentialBackedUp,
		Transports:           string(r.Transports),
	}, nil
}
