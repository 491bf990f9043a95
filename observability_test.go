package ginauth_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/gin-gonic/gin"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"

	"github.com/ginauth/ginauth"
	"github.com/ginauth/ginauth/authjs"
	"github.com/ginauth/ginauth/internal/jwe"
	"github.com/ginauth/ginauth/internal/oidctest"
	"github.com/ginauth/ginauth/internal/telemetry"
	"github.com/ginauth/ginauth/providers"
	"github.com/ginauth/ginauth/throttle"
)

// observed is an application's telemetry, collected by the real
// OpenTelemetry SDK in memory, and its logs as JSON lines.
type observed struct {
	reader *sdkmetric.ManualReader
	spans  *tracetest.SpanRecorder
	logs   *oidctest.SyncBuffer
}

// observe returns a Config edit that sends an Auth's metrics, spans and
// logs (at debug level) to o.
func observe(t *testing.T) (*observed, func(*ginauth.Config)) {
	t.Helper()
	o := &observed{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder(), logs: &oidctest.SyncBuffer{}}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(o.reader))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(o.spans))
	t.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	return o, func(c *ginauth.Config) {
		c.MeterProvider, c.TracerProvider = mp, tp
		c.Logger = slog.New(slog.NewJSONHandler(o.logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
}

// attrKey spells an attribute set as "k=v,k=v", sorted by key.
func attrKey(s attribute.Set) string {
	var parts []string
	for _, kv := range s.ToSlice() {
		parts = append(parts, string(kv.Key)+"="+kv.Value.String())
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// metrics returns every data point, by metric name and attribute set: the
// sum of a counter, the count of a histogram.
func (o *observed) metrics(t *testing.T) map[string]map[string]int64 {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := o.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != telemetry.ScopeName {
			t.Errorf("scope %q", sm.Scope.Name)
		}
		for _, m := range sm.Metrics {
			points := map[string]int64{}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				if !d.IsMonotonic {
					t.Errorf("%s is not monotonic", m.Name)
				}
				for _, p := range d.DataPoints {
					points[attrKey(p.Attributes)] = p.Value
				}
			case metricdata.Histogram[float64]:
				if m.Unit != "s" {
					t.Errorf("%s: unit %q", m.Name, m.Unit)
				}
				for _, p := range d.DataPoints {
					points[attrKey(p.Attributes)] = int64(p.Count)
				}
			default:
				t.Errorf("%s: unexpected data %T", m.Name, m.Data)
			}
			out[m.Name] = points
		}
	}
	return out
}

// want compares one metric's points with the expected ones, exactly.
func want(t *testing.T, got map[string]map[string]int64, name string, exp map[string]int64) {
	t.Helper()
	g := got[name]
	for k, v := range exp {
		if g[k] != v {
			t.Errorf("%s{%s} = %d, want %d", name, k, g[k], v)
		}
	}
	for k, v := range g {
		if _, ok := exp[k]; !ok {
			t.Errorf("%s{%s} = %d, not expected", name, k, v)
		}
	}
}

// records parses the JSON log lines.
func (o *observed) records(t *testing.T) []map[string]any {
	t.Helper()
	var out []map[string]any
	for line := range strings.Lines(o.logs.String()) {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("log line %q: %v", line, err)
		}
		out = append(out, rec)
	}
	return out
}

// checkLogs holds every record to the documented event names and to
// keeping secrets out: none of secrets may appear anywhere in the logs.
func (o *observed) checkLogs(t *testing.T, secrets ...string) []map[string]any {
	t.Helper()
	recs := o.records(t)
	for _, rec := range recs {
		ev, _ := rec["event"].(string)
		if !slices.Contains(telemetry.Events, ev) {
			t.Errorf("record without a documented event: %v", rec)
		}
	}
	all := o.logs.String()
	for _, s := range secrets {
		if s == "" {
			t.Fatal("an empty secret to look for")
		}
		if strings.Contains(all, s) {
			t.Errorf("the logs contain the secret %q:\n%s", s, all)
		}
	}
	return recs
}

// events returns the event names of recs, in order, with the given
// attribute's value: "signin.refused:credentials".
func events(recs []map[string]any, attr string) []string {
	var out []string
	for _, r := range recs {
		s, _ := r["event"].(string)
		if v, ok := r[attr]; ok {
			s += fmt.Sprintf(":%v", v)
		}
		out = append(out, s)
	}
	return out
}

// callbackSpans returns the ended callback spans' outcome attributes.
func (o *observed) callbackSpans() []string {
	var out []string
	for _, s := range o.spans.Ended() {
		if s.Name() != telemetry.SpanCallback {
			continue
		}
		var provider, outcome string
		for _, kv := range s.Attributes() {
			switch kv.Key {
			case "ginauth.provider":
				provider = kv.Value.AsString()
			case "ginauth.signin.outcome":
				outcome = kv.Value.AsString()
			}
		}
		if outcome == "error" && s.Status().Code != codes.Error {
			outcome += "(status not set)"
		}
		out = append(out, provider+":"+outcome)
	}
	return out
}

// TestTelemetryCredentials: a refused and a successful credentials
// sign-in, session reads (a cache miss, then hits), requests without a
// session and with refused tokens each produce their counts, spans and
// log events, and no log line holds a password, a token or a secret.
func TestTelemetryCredentials(t *testing.T) {
	o, edit := observe(t)
	a := newApp(t, ginauth.ModeV5, edit)

	if r := a.signIn("alice", "not-the-password-7f3a", "/"); !strings.Contains(r.header.Get("Location"), "error=CredentialsSignin") {
		t.Fatalf("wrong password: %d to %q", r.status, r.header.Get("Location"))
	}
	r := a.signIn("alice", "wonderland", "/")
	ck, ok := r.cookie(a.sessionCookieName())
	if !ok {
		t.Fatalf("no session: %d %q", r.status, r.header.Get("Location"))
	}
	// GET on the credentials callback is no sign-in attempt.
	a.do(http.MethodGet, "/api/auth/callback/credentials", nil)

	m := o.metrics(t)
	want(t, m, telemetry.MetricSignIns, map[string]int64{
		"outcome=refused,provider=credentials": 1,
		"outcome=success,provider=credentials": 1,
	})
	if got := o.callbackSpans(); !slices.Equal(got, []string{"credentials:refused", "credentials:success", "credentials:"}) {
		t.Errorf("callback spans %q", got)
	}

	for range 3 {
		if r := a.do(http.MethodGet, "/api/protected", nil); r.status != http.StatusOK {
			t.Fatalf("protected: %d", r.status)
		}
	}
	anon := newClient(t)
	get := func(cookie string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, a.srv.URL+"/api/protected", nil)
		if cookie != "" {
			req.Header.Set("Cookie", a.sessionCookieName()+"="+cookie)
		}
		res, err := anon.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	codec, err := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{testSecret}, Salt: a.sessionCookieName(),
		Now: func() time.Time { return time.Now().Add(-48 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	expired, err := codec.Encode(authjs.Claims{"sub": "1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	otherSecret, err := jwe.New(jwe.Options{Format: jwe.V5, Secrets: []string{strings.Repeat("x", 40)}, Salt: a.sessionCookieName()})
	if err != nil {
		t.Fatal(err)
	}
	forged, err := otherSecret.Encode(authjs.Claims{"sub": "1"}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []string{"", "not-a-token", expired, forged} {
		if s := get(c); s != http.StatusUnauthorized {
			t.Errorf("cookie %.20q: status %d", c, s)
		}
	}

	m = o.metrics(t)
	want(t, m, telemetry.MetricSessionReads, map[string]int64{
		"outcome=valid,strategy=jwt":   3,
		"outcome=absent,strategy=jwt":  1,
		"outcome=invalid,strategy=jwt": 3,
	})
	// The sign-in issued the token without decoding it, and the cache
	// keeps a token from its second sighting on: two misses, then a hit;
	// the three refused tokens miss too.
	want(t, m, telemetry.MetricTokenCache, map[string]int64{"result=hit": 1, "result=miss": 5})
	want(t, m, telemetry.MetricDecodeFailures, map[string]int64{"reason=malformed": 1, "reason=expired": 1, "reason=key": 1})
	want(t, m, telemetry.MetricThrottled, nil)

	recs := o.checkLogs(t, "wonderland", "not-the-password-7f3a", ck.Value, expired, forged, testSecret, a.csrf())
	got := events(recs, "reason")
	exp := []string{"signin.refused:credentials", "signin.success", "session.decode_failed:malformed",
		"session.decode_failed:expired", "session.decode_failed:key"}
	if !slices.Equal(got, exp) {
		t.Errorf("events %q, want %q", got, exp)
	}
	for _, rec := range recs {
		if rec["event"] == telemetry.EventSignInSuccess && (rec["provider"] != "credentials" || rec["user_id"] != "1" || rec["level"] != "INFO") {
			t.Errorf("signin.success record %v", rec)
		}
	}
}

// TestTelemetryThrottle: a credentials attempt over a limit counts as a
// throttled sign-in and a throttled request, with its log event.
func TestTelemetryThrottle(t *testing.T) {
	o, edit := observe(t)
	perID, err := throttle.NewMemory(throttle.Limit{Every: time.Hour, Burst: 1}, 0)
	if err != nil {
		t.Fatal(err)
	}
	a := newApp(t, ginauth.ModeV5, func(c *ginauth.Config) {
		edit(c)
		c.Throttle.CredentialsPerIdentifier = perID
	})
	a.signIn("bob", "guess-one-9d1c", "/")
	r := a.signIn("bob", "builder", "/")
	if !strings.Contains(r.header.Get("Location"), "code=rate_limited") {
		t.Fatalf("second attempt: %d to %q", r.status, r.header.Get("Location"))
	}
	m := o.metrics(t)
	want(t, m, telemetry.MetricSignIns, map[string]int64{
		"outcome=refused,provider=credentials":   1,
		"outcome=throttled,provider=credentials": 1,
	})
	want(t, m, telemetry.MetricThrottled, map[string]int64{"limit=credentials_identifier": 1})
	if got := o.callbackSpans(); !slices.Equal(got, []string{"credentials:refused", "credentials:throttled"}) {
		t.Errorf("callback spans %q", got)
	}
	recs := o.checkLogs(t, "builder", "guess-one-9d1c")
	if got := events(recs, "limit"); !slices.Equal(got, []string{"signin.refused", "throttle.limited:credentials_identifier"}) {
		t.Errorf("events %q", got)
	}
}

// TestTelemetryOAuth: a sign-in at the loopback OpenID provider counts a
// success and times each provider call (discovery, keys, token, userinfo),
// with client spans under the callback's span; a provider's refusal counts
// as refused. The code, the state, the provider's tokens and the client
// secret never reach the logs.
func TestTelemetryOAuth(t *testing.T) {
	o, edit := observe(t)
	s := newOAuthSite(t, ginauth.ModeV5, edit, func(c *ginauth.Config) {
		corp := c.Providers[0].(providers.OAuth)
		corp.FetchUserInfo = true
		c.Providers[0] = corp
	})
	c := browser()
	authURL, _ := s.start(c, "corp", "")
	back := s.op.Login(t, c, authURL.String(), "alice")
	res := s.callback(c, back)
	if res.StatusCode != http.StatusFound || !strings.HasSuffix(res.Header.Get("Location"), "/dashboard") {
		t.Fatalf("callback: %d to %q", res.StatusCode, res.Header.Get("Location"))
	}
	refused, err := c.Get(s.origin + "/api/auth/callback/corp?error=access_denied")
	if err != nil {
		t.Fatal(err)
	}
	refused.Body.Close()

	m := o.metrics(t)
	want(t, m, telemetry.MetricSignIns, map[string]int64{
		"outcome=success,provider=corp": 1,
		"outcome=refused,provider=corp": 1,
	})
	want(t, m, telemetry.MetricProviderDuration, map[string]int64{
		"operation=discovery,outcome=success,provider=corp": 1,
		"operation=jwks,outcome=success,provider=corp":      1,
		"operation=token,outcome=success,provider=corp":     1,
		"operation=userinfo,outcome=success,provider=corp":  1,
	})

	var callback sdktrace.ReadOnlySpan
	byName := map[string]sdktrace.ReadOnlySpan{}
	for _, sp := range o.spans.Ended() {
		byName[sp.Name()] = sp
		if sp.Name() == telemetry.SpanCallback && callback == nil {
			callback = sp
		}
	}
	if callback == nil {
		t.Fatal("no callback span")
	}
	for _, op := range []string{"token", "userinfo"} {
		sp := byName[telemetry.SpanProvider+op]
		if sp == nil || sp.Parent().SpanID() != callback.SpanContext().SpanID() {
			t.Errorf("%s span %v is not under the callback's", op, sp)
		}
	}
	for _, op := range []string{"discovery", "jwks"} {
		if byName[telemetry.SpanProvider+op] == nil {
			t.Errorf("no %s span", op)
		}
	}
	if sp := byName[telemetry.SpanProvider+"jwks"]; sp != nil && sp.Parent().IsValid() {
		t.Error("the key fetch's span has a parent from another request")
	}
	if got := o.callbackSpans(); !slices.Equal(got, []string{"corp:success", "corp:refused"}) {
		t.Errorf("callback spans %q", got)
	}

	s.mu.Lock()
	acct := s.accounts[0]
	s.mu.Unlock()
	q := back.Query()
	recs := o.checkLogs(t, q.Get("code"), q.Get("state"), acct.AccessToken, acct.IDToken, s.op.ClientSecret(), oauthSecret)
	if got := events(recs, "reason"); !slices.Equal(got, []string{"signin.success", "signin.refused:provider_error"}) {
		t.Errorf("events %q", got)
	}
}

// TestTelemetryDocumented: the package documentation lists every log
// event and every metric.
func TestTelemetryDocumented(t *testing.T) {
	src, err := os.ReadFile("ginauth.go")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(src[:strings.Index(string(src), "\npackage ginauth")])
	for _, name := range append(slices.Clone(telemetry.Events), telemetry.Metrics...) {
		if !strings.Contains(doc, "//   - "+name+" ") && !strings.Contains(doc, "//     "+name+" ") {
			t.Errorf("the package documentation does not list %q", name)
		}
	}
	for _, r := range append(slices.Clone(telemetry.DecodeReasons), telemetry.Limits...) {
		if !strings.Contains(doc, r) {
			t.Errorf("the package documentation does not mention %q", r)
		}
	}
}

// Metrics and spans go to the providers in Config; the OpenTelemetry SDK
// exports them (here a ManualReader read by hand; in production an OTLP or
// Prometheus exporter). Without them ginauth uses the global providers.
func ExampleConfig_observability() {
	reader := sdkmetric.NewManualReader()
	meters := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	tracer := sdktrace.NewTracerProvider() // add a span processor and an exporter
	defer meters.Shutdown(context.Background())
	defer tracer.Shutdown(context.Background())

	auth, err := ginauth.New(ginauth.Config{
		Secret:         "an-example-secret-of-at-least-32-bytes",
		URL:            "http://localhost:8080",
		Providers:      []providers.Provider{providers.Credentials{Authorize: checkPassword}},
		MeterProvider:  meters,
		TracerProvider: tracer,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		panic(err)
	}
	r := gin.New()
	auth.Mount(r)
	r.GET("/me", auth.RequireAuth(), func(c *gin.Context) { c.Status(http.StatusNoContent) })
	cookie := signIn(r)
	get(r, "/me", cookie)

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		panic(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if sum, ok := m.Data.(metricdata.Sum[int64]); ok {
			for _, p := range sum.DataPoints {
				fmt.Println(m.Name, attrKey(p.Attributes), p.Value)
			}
		}
	}
	// Unordered output:
	// ginauth.signins outcome=success,provider=credentials 1
	// ginauth.session.reads outcome=valid,strategy=jwt 1
	// ginauth.token_cache.lookups result=miss 1
}
