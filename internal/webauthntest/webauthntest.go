// Package webauthntest is a software passkey authenticator with the
// browser side of @simplewebauthn/browser 9 (what next-auth/webauthn
// uses): it turns the options JSON of GET /webauthn-options into the
// registration and authentication responses the callback receives, with
// attestation "none", Ed25519 or ES256 keys from the standard library and
// CBOR from github.com/fxamacker/cbor/v2. Every part of a response can be
// bent (Tamper) to test a relying party's refusals.
package webauthntest

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"github.com/fxamacker/cbor/v2"
)

// COSE algorithms an Authenticator makes keys for.
const (
	EdDSA = -8
	ES256 = -7
)

// Authenticator flags.
const (
	FlagUP = 0x01
	FlagUV = 0x04
	FlagBE = 0x08
	FlagBS = 0x10
	FlagAT = 0x40
)

// Credential is a passkey the authenticator holds.
type Credential struct {
	ID         []byte
	RPID       string
	UserHandle []byte
	Alg        int
	Counter    uint32
	// Synced marks a backed-up (multi-device) passkey: BE and BS set.
	Synced bool
	// PublicKey is the COSE public key.
	PublicKey []byte
	signer    crypto.Signer
}

// Authenticator holds passkeys and answers ceremonies. It is safe for
// concurrent use.
type Authenticator struct {
	// Alg is the algorithm of new keys: EdDSA (the default, as
	// Chromium's virtual authenticator chooses) or ES256.
	Alg int
	// Synced makes new passkeys backed up (BE and BS flags).
	Synced bool
	// CounterStep is added to a passkey's signature counter at each
	// assertion; 0 keeps it at 0, as many synced passkeys do.
	CounterStep uint32

	mu    sync.Mutex
	creds []*Credential
}

// Tamper bends one response. Its zero value changes nothing.
type Tamper struct {
	// Origin replaces the client data's origin.
	Origin string
	// Type replaces the client data's type (webauthn.create/get).
	Type string
	// Challenge replaces the client data's challenge.
	Challenge string
	// RPID replaces the rp id whose hash is in the authenticator data.
	RPID string
	// ClearFlags clears flags (FlagUV, FlagUP) in the authenticator data.
	ClearFlags byte
	// BadSignature flips a bit of the assertion's signature.
	BadSignature bool
	// UserHandle replaces the assertion's user handle; NoUserHandle
	// leaves it out.
	UserHandle   *string
	NoUserHandle bool
	// Counter replaces the assertion's signature counter.
	Counter *uint32
	// Credential signs the assertion instead of the first passkey for
	// the rp id.
	Credential *Credential
	// CredentialID is the ID of the passkey a registration makes instead
	// of a random one.
	CredentialID []byte
	// Transports replaces the registration's transports (["internal"]).
	Transports []any
}

// Credentials returns the passkeys the authenticator holds.
func (a *Authenticator) Credentials() []*Credential {
	a.mu.Lock()
	defer a.mu.Unlock()
	return append([]*Credential(nil), a.creds...)
}

var b64 = base64.RawURLEncoding

// CreationOptions are the registration options a relying party sends
// (PublicKeyCredentialCreationOptionsJSON).
type CreationOptions struct {
	Challenge string `json:"challenge"`
	RP        struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"rp"`
	User struct {
		ID          string `json:"id"`
		Name        string `json:"name"`
		DisplayName string `json:"displayName"`
	} `json:"user"`
	PubKeyCredParams []struct {
		Alg  int    `json:"alg"`
		Type string `json:"type"`
	} `json:"pubKeyCredParams"`
	ExcludeCredentials []Descriptor `json:"excludeCredentials"`
}

// RequestOptions are the authentication options a relying party sends
// (PublicKeyCredentialRequestOptionsJSON).
type RequestOptions struct {
	Challenge        string       `json:"challenge"`
	RPID             string       `json:"rpId"`
	AllowCredentials []Descriptor `json:"allowCredentials"`
	UserVerification string       `json:"userVerification"`
}

// Descriptor names a credential in options.
type Descriptor struct {
	ID         string   `json:"id"`
	Type       string   `json:"type"`
	Transports []string `json:"transports"`
}

// ErrExcluded reports a registration refused because the authenticator
// already holds an excluded credential (the browser's InvalidStateError).
var ErrExcluded = errors.New("webauthntest: an excluded credential is present")

// Register creates a passkey for the options and returns the registration
// response's JSON, as @simplewebauthn/browser's startRegistration returns
// it, for a page on origin.
func (a *Authenticator) Register(options []byte, origin string, t Tamper) (string, *Credential, error) {
	var o CreationOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return "", nil, err
	}
	a.mu.Lock()
	for _, d := range o.ExcludeCredentials {
		for _, c := range a.creds {
			if b64.EncodeToString(c.ID) == d.ID {
				a.mu.Unlock()
				return "", nil, ErrExcluded
			}
		}
	}
	a.mu.Unlock()
	alg := a.Alg
	if alg == 0 {
		alg = EdDSA
	}
	offered := false
	for _, p := range o.PubKeyCredParams {
		offered = offered || p.Alg == alg
	}
	if !offered {
		return "", nil, fmt.Errorf("webauthntest: algorithm %d not offered", alg)
	}
	c := &Credential{ID: make([]byte, 32), RPID: o.RP.ID, Alg: alg, Synced: a.Synced,
		// @simplewebauthn/browser 9 encodes user.id as UTF-8.
		UserHandle: []byte(o.User.ID)}
	rand.Read(c.ID)
	if t.CredentialID != nil {
		c.ID = append([]byte(nil), t.CredentialID...)
	}
	var cose []byte
	var err error
	switch alg {
	case EdDSA:
		pub, priv, _ := ed25519.GenerateKey(rand.Reader)
		c.signer = priv
		cose, err = cbor.Marshal(map[int]any{1: 1, 3: EdDSA, -1: 6, -2: []byte(pub)})
	case ES256:
		priv, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		c.signer = priv
		pt, _ := priv.PublicKey.Bytes() // 0x04 || X || Y
		cose, err = cbor.Marshal(map[int]any{1: 2, 3: ES256, -1: 1, -2: pt[1:33], -3: pt[33:]})
	default:
		return "", nil, fmt.Errorf("webauthntest: unsupported algorithm %d", alg)
	}
	if err != nil {
		return "", nil, err
	}
	c.PublicKey = cose
	flags := byte(FlagUP | FlagUV | FlagAT)
	if c.Synced {
		flags |= FlagBE | FlagBS
	}
	flags &^= t.ClearFlags
	rpID := o.RP.ID
	if t.RPID != "" {
		rpID = t.RPID
	}
	auth := authData(rpID, flags, 0)
	auth = append(auth, make([]byte, 16)...) // AAGUID: none
	auth = binary.BigEndian.AppendUint16(auth, uint16(len(c.ID)))
	auth = append(auth, c.ID...)
	auth = append(auth, cose...)
	att, err := cbor.Marshal(map[string]any{"fmt": "none", "attStmt": map[string]any{}, "authData": auth})
	if err != nil {
		return "", nil, err
	}
	spki, _ := x509.MarshalPKIXPublicKey(c.signer.Public())
	cd := clientData("webauthn.create", o.Challenge, origin, t)
	transports := []any{"internal"}
	if t.Transports != nil {
		transports = t.Transports
	}
	resp := map[string]any{
		"id":    b64.EncodeToString(c.ID),
		"rawId": b64.EncodeToString(c.ID),
		"response": map[string]any{
			"attestationObject":  b64.EncodeToString(att),
			"clientDataJSON":     b64.EncodeToString(cd),
			"transports":         transports,
			"publicKeyAlgorithm": alg,
			"publicKey":          b64.EncodeToString(spki),
			"authenticatorData":  b64.EncodeToString(auth),
		},
		"type":                    "public-key",
		"clientExtensionResults":  map[string]any{"credProps": map[string]any{"rk": true}},
		"authenticatorAttachment": "platform",
	}
	out, err := json.Marshal(resp)
	if err != nil {
		return "", nil, err
	}
	a.mu.Lock()
	a.creds = append(a.creds, c)
	a.mu.Unlock()
	return string(out), c, nil
}

// ErrNoCredential reports an assertion for which the authenticator holds
// no passkey.
var ErrNoCredential = errors.New("webauthntest: no passkey for these options")

// Assert signs in with a passkey for the options and returns the
// authentication response's JSON, as @simplewebauthn/browser's
// startAuthentication returns it, for a page on origin.
func (a *Authenticator) Assert(options []byte, origin string, t Tamper) (string, error) {
	var o RequestOptions
	if err := json.Unmarshal(options, &o); err != nil {
		return "", err
	}
	c := t.Credential
	if c == nil {
		a.mu.Lock()
		for _, cand := range a.creds {
			if cand.RPID != o.RPID {
				continue
			}
			allowed := len(o.AllowCredentials) == 0
			for _, d := range o.AllowCredentials {
				allowed = allowed || d.ID == b64.EncodeToString(cand.ID)
			}
			if allowed {
				c = cand
				break
			}
		}
		a.mu.Unlock()
	}
	if c == nil {
		return "", ErrNoCredential
	}
	a.mu.Lock()
	c.Counter += a.CounterStep
	counter := c.Counter
	a.mu.Unlock()
	if t.Counter != nil {
		counter = *t.Counter
	}
	flags := byte(FlagUP | FlagUV)
	if c.Synced {
		flags |= FlagBE | FlagBS
	}
	flags &^= t.ClearFlags
	rpID := c.RPID // the credential's, which a browser only uses on its site
	if t.RPID != "" {
		rpID = t.RPID
	}
	auth := authData(rpID, flags, counter)
	cd := clientData("webauthn.get", o.Challenge, origin, t)
	sig, err := sign(c, auth, cd)
	if err != nil {
		return "", err
	}
	if t.BadSignature {
		sig[len(sig)/2] ^= 1
	}
	response := map[string]any{
		"authenticatorData": b64.EncodeToString(auth),
		"clientDataJSON":    b64.EncodeToString(cd),
		"signature":         b64.EncodeToString(sig),
	}
	// @simplewebauthn/browser 9 decodes the user handle as UTF-8.
	switch {
	case t.NoUserHandle:
	case t.UserHandle != nil:
		response["userHandle"] = *t.UserHandle
	default:
		response["userHandle"] = string(c.UserHandle)
	}
	out, err := json.Marshal(map[string]any{
		"id":                      b64.EncodeToString(c.ID),
		"rawId":                   b64.EncodeToString(c.ID),
		"response":                response,
		"type":                    "public-key",
		"clientExtensionResults":  map[string]any{},
		"authenticatorAttachment": "platform",
	})
	return string(out), err
}

func authData(rpID string, flags byte, counter uint32) []byte {
	h := sha256.Sum256([]byte(rpID))
	out := append(h[:], flags)
	return binary.BigEndian.AppendUint32(out, counter)
}

func clientData(typ, challenge, origin string, t Tamper) []byte {
	if t.Type != "" {
		typ = t.Type
	}
	if t.Challenge != "" {
		challenge = t.Challenge
	}
	if t.Origin != "" {
		origin = t.Origin
	}
	b, _ := json.Marshal(struct {
		Type        string `json:"type"`
		Challenge   string `json:"challenge"`
		Origin      string `json:"origin"`
		CrossOrigin bool   `json:"crossOrigin"`
	}{typ, challenge, origin, false})
	return b
}

// sign signs authenticatorData || sha256(clientDataJSON).
func sign(c *Credential, auth, cd []byte) ([]byte, error) {
	h := sha256.Sum256(cd)
	msg := append(append([]byte(nil), auth...), h[:]...)
	switch k := c.signer.(type) {
	case ed25519.PrivateKey:
		return ed25519.Sign(k, msg), nil
	case *ecdsa.PrivateKey:
		d := sha256.Sum256(msg)
		return ecdsa.SignASN1(rand.Reader, k, d[:])
	}
	return nil, errors.New("webauthntest: unknown key")
}
