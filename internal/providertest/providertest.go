// Package providertest plays identity providers' hosts on loopback for the
// tests of the providers and of the OAuth engine: a client whose requests to
// named hosts reach a test server (and to no other host), and a fake GitHub.
package providertest

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sync"
	"testing"
)

// hostRouter sends requests for the given hosts to a loopback test server
// and refuses every other host, so tests never reach the network.
type hostRouter struct {
	to    *url.URL
	hosts map[string]bool
}

func (h hostRouter) RoundTrip(r *http.Request) (*http.Response, error) {
	if !h.hosts[r.URL.Host] {
		return nil, fmt.Errorf("providertest: unexpected request to %s", r.URL.Host)
	}
	r2 := r.Clone(r.Context())
	// The Host header keeps the provider's host, so the server can tell
	// which one was asked.
	r2.URL.Scheme, r2.URL.Host, r2.Host = h.to.Scheme, h.to.Host, r.URL.Host
	return http.DefaultTransport.RoundTrip(r2)
}

// RoutedClient returns a client whose requests to hosts reach srv.
func RoutedClient(t testing.TB, srv *httptest.Server, hosts ...string) *http.Client {
	t.Helper()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]bool{}
	for _, h := range hosts {
		m[h] = true
	}
	return &http.Client{Transport: hostRouter{to: u, hosts: m}}
}

// GitHub plays github.com's token endpoint (client "client-id", secret
// "client-secret", always issuing the access token "gho_token") and
// api.github.com's /user and /user/emails.
type GitHub struct {
	*httptest.Server
	mu     sync.Mutex
	paths  []string
	user   string
	emails string
	status int
}

// NewGitHub starts a fake GitHub, stopped when the test ends.
func NewGitHub(t testing.TB) *GitHub {
	gs := &GitHub{}
	gs.Server = httptest.NewServer(http.HandlerFunc(gs.serve))
	t.Cleanup(gs.Close)
	return gs
}

// Set sets the JSON of GET /user, its status (0 for 200), and the JSON of
// GET /user/emails ("" answers 404, as for a token without user:email).
func (gs *GitHub) Set(user string, status int, emails string) {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	gs.user, gs.status, gs.emails = user, status, emails
}

// Requests lists the requests served, as "<host> <method> <path>".
func (gs *GitHub) Requests() []string {
	gs.mu.Lock()
	defer gs.mu.Unlock()
	return append([]string(nil), gs.paths...)
}

func (gs *GitHub) serve(w http.ResponseWriter, r *http.Request) {
	gs.mu.Lock()
	gs.paths = append(gs.paths, r.Host+" "+r.Method+" "+r.URL.Path)
	user, emails, status := gs.user, gs.emails, gs.status
	gs.mu.Unlock()
	if r.URL.Path != "/login/oauth/access_token" && r.Header.Get("Authorization") != "Bearer gho_token" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	switch r.URL.Path {
	case "/login/oauth/access_token":
		if id, secret, ok := r.BasicAuth(); !ok || id != "client-id" || secret != "client-secret" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		fmt.Fprint(w, `{"access_token":"gho_token","token_type":"bearer","scope":"read:user,user:email"}`)
	case "/user":
		if status != 0 {
			w.WriteHeader(status)
		}
		fmt.Fprint(w, user)
	case "/user/emails":
		if emails == "" {
			w.WriteHeader(http.StatusNotFound)
			fmt.Fprint(w, `{"message":"Not Found"}`)
			return
		}
		fmt.Fprint(w, emails)
	default:
		w.WriteHeader(http.StatusNotFound)
	}
}

// PrivateUser is GitHub's /user for a user who keeps the email private.
const PrivateUser = `{"login":"octocat","id":583231,"avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4","name":"The Octocat","email":null}`

// EmailCase is one way GitHub reports a user's email addresses.
type EmailCase struct {
	Name string
	// User and Emails are the answers of /user and /user/emails.
	User, Emails string
	// Email is the address the preset must find (as GitHub spells it);
	// AsksEmails whether it must ask /user/emails.
	Email      string
	AsksEmails bool
}

// EmailCases are the ways GitHub reports a user's email addresses.
var EmailCases = []EmailCase{
	{"public email", `{"login":"octocat","id":583231,"name":null,"email":"octocat@github.com"}`, "", "octocat@github.com", false},
	{"primary verified", PrivateUser, `[
		{"email":"old@example.com","verified":true,"primary":false,"visibility":null},
		{"email":"Octo@Example.com","verified":true,"primary":true,"visibility":"private"},
		{"email":"583231+octocat@users.noreply.github.com","verified":true,"primary":false,"visibility":null}]`,
		"Octo@Example.com", true},
	{"primary not verified", PrivateUser, `[
		{"email":"new@example.com","verified":false,"primary":true,"visibility":"private"},
		{"email":"other@example.com","verified":true,"primary":false,"visibility":null}]`,
		"", true},
	{"verified but not primary", PrivateUser, `[{"email":"other@example.com","verified":true,"primary":false}]`, "", true},
	{"primary verified without an address", PrivateUser, `[{"email":"","verified":true,"primary":true},
		{"email":"late@example.com","verified":true,"primary":true}]`, "late@example.com", true},
	{"no addresses", PrivateUser, `[]`, "", true},
	{"emails refused", PrivateUser, "", "", true},
}

// Offline returns a client that refuses every request.
func Offline() *http.Client {
	return &http.Client{Transport: hostRouter{hosts: map[string]bool{}}}
}
