package adaptertest

import (
	"fmt"
	"testing"
	"time"

	"github.com/ginauth/ginauth/authjs"
)

// instant is a time the stores must keep to the second.
type instant struct {
	name string
	t    time.Time
}

// futureInstants are expiries: sub-second parts, locations other than UTC
// and UTC, a date change across locations, and far in the future.
func futureInstants() []instant {
	return []instant{
		{"now plus a day, with monotonic clock", time.Now().Add(24 * hour)},
		{"nanoseconds in +05:30", time.Date(2031, 3, 4, 5, 6, 7, 987654321, time.FixedZone("IST", 5*3600+1800))},
		{"whole second in UTC", time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)},
		{"date change west of UTC", time.Date(2030, 12, 31, 22, 30, 15, 500_000_000, time.FixedZone("", -5*3600))},
		{"local time zone", time.Date(2032, 7, 1, 12, 0, 0, 1, time.Local)},
		{"far future", time.Date(2099, 12, 31, 23, 59, 59, 999_999_999, time.UTC)},
	}
}

// allInstants adds past instants to futureInstants, for EmailVerified.
func allInstants() []instant {
	return append(futureInstants(),
		instant{"now", time.Now()},
		instant{"past with milliseconds", time.Date(2001, 9, 9, 1, 46, 40, 123_000_000, time.UTC)},
		instant{"before the Unix epoch", time.Date(1969, 7, 20, 20, 17, 40, 0, time.UTC)},
	)
}

var timeTests = []test{
	{"EmailVerifiedOnCreate", func(t *testing.T, a authjs.Adapter) {
		for i, in := range allInstants() {
			t.Run(in.name, func(t *testing.T) {
				want := authjs.User{Name: in.name, Email: fmt.Sprintf("created-%d@example.com", i), EmailVerified: ptr(in.t)}
				u := createUser(t, a, want)
				want.ID = u.ID
				checkUser(t, "CreateUser result", u, want)
				checkUser(t, "GetUser", getUser(t, a, u.ID), want)
			})
		}
	}},
	{"EmailVerifiedOnUpdate", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Updated", Email: "updated@example.com"})
		for _, in := range allInstants() {
			t.Run(in.name, func(t *testing.T) {
				want := authjs.User{ID: u.ID, Name: "Updated", Email: "updated@example.com", EmailVerified: ptr(in.t)}
				got, err := a.UpdateUser(t.Context(), want)
				noErr(t, err, "UpdateUser")
				checkUser(t, "UpdateUser result", got, want)
				checkUser(t, "GetUser", getUser(t, a, u.ID), want)
			})
		}
		want := authjs.User{ID: u.ID, Name: "Updated", Email: "updated@example.com"}
		got, err := a.UpdateUser(t.Context(), want)
		noErr(t, err, "UpdateUser clearing EmailVerified")
		checkUser(t, "UpdateUser clearing EmailVerified", got, want)
		checkUser(t, "GetUser after clearing EmailVerified", getUser(t, a, u.ID), want)
	}},
	{"SessionExpires", func(t *testing.T, a authjs.Adapter) {
		u := createUser(t, a, authjs.User{Name: "Timed"})
		for i, in := range futureInstants() {
			t.Run(in.name, func(t *testing.T) {
				s := authjs.DatabaseSession{SessionToken: fmt.Sprintf("timed-%d", i), UserID: u.ID, Expires: in.t}
				createSession(t, a, s)
				gs, _ := getSession(t, a, s.SessionToken)
				checkSession(t, "GetSessionAndUser after CreateSession", gs, s)

				s.Expires = in.t.Add(36*hour + 250*time.Millisecond)
				noErr(t, a.UpdateSession(t.Context(), s), "UpdateSession")
				gs, _ = getSession(t, a, s.SessionToken)
				checkSession(t, "GetSessionAndUser after UpdateSession", gs, s)
			})
		}
	}},
	{"TokenExpires", func(t *testing.T, a authjs.Adapter) {
		for i, in := range futureInstants() {
			t.Run(in.name, func(t *testing.T) {
				vt := authjs.VerificationToken{Identifier: fmt.Sprintf("timed-%d@example.com", i), Token: tokenHash, Expires: in.t}
				createToken(t, a, vt)
				useToken(t, a, vt)
			})
		}
	}},
}
