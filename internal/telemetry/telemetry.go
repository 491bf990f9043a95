// Package telemetry holds what ginauth reports about itself: the names of
// its log events, and its metrics and traces through the OpenTelemetry API.
//
// A T is made once per Auth from the configured MeterProvider and
// TracerProvider. Its instruments are created once, and every attribute set
// a request records is built up front, so that recording a session read or
// a cache hit allocates nothing with the API's no-op providers (and only
// what the SDK itself needs with a real one). Every method is safe on a nil
// *T, which records nothing.
package telemetry

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

// ScopeName is the instrumentation scope of ginauth's meter and tracer.
const ScopeName = "github.com/ginauth/ginauth"

// Log events: the value of the "event" attribute of every record ginauth
// writes. The package documentation of ginauth lists them with their
// attributes.
const (
	EventSignInSuccess       = "signin.success"
	EventSignInRefused       = "signin.refused"
	EventSignInError         = "signin.error"
	EventProviderError       = "provider.error"
	EventThrottleLimited     = "throttle.limited"
	EventThrottleError       = "throttle.error"
	EventSessionDecodeFailed = "session.decode_failed"
	EventSessionReadFailed   = "session.read_failed"
	EventSessionWriteFailed  = "session.write_failed"
	EventSessionRevokeFailed = "session.revoke_failed"
	EventCallbackFailed      = "callback.failed"
	EventEventHandlerFailed  = "event_handler.failed"
	EventAdapterError        = "adapter.error"
	EventEmailRefused        = "email.address_refused"
	EventEmailError          = "email.error"
	EventEmailDevLink        = "email.dev_link"
	EventResponseFailed      = "response.failed"
	EventConfigNoOrigin      = "config.no_origin"
	EventCrossOriginRefused  = "request.cross_origin_refused"
)

// Events lists every log event, for the tests that hold the documentation
// to the code.
var Events = []string{
	EventSignInSuccess, EventSignInRefused, EventSignInError, EventProviderError,
	EventThrottleLimited, EventThrottleError,
	EventSessionDecodeFailed, EventSessionReadFailed, EventSessionWriteFailed, EventSessionRevokeFailed,
	EventCallbackFailed, EventEventHandlerFailed, EventAdapterError,
	EventEmailRefused, EventEmailError, EventEmailDevLink,
	EventResponseFailed, EventConfigNoOrigin,
}

// Event returns the "event" attribute of a log record.
func Event(name string) slog.Attr { return slog.String("event", name) }

// Metric names.
const (
	MetricSignIns          = "ginauth.signins"
	MetricSessionReads     = "ginauth.session.reads"
	MetricTokenCache       = "ginauth.token_cache.lookups"
	MetricDecodeFailures   = "ginauth.session.decode_failures"
	MetricThrottled        = "ginauth.throttle.limited"
	MetricProviderDuration = "ginauth.provider.duration"
)

// Metrics lists every metric name.
var Metrics = []string{MetricSignIns, MetricSessionReads, MetricTokenCache, MetricDecodeFailures, MetricThrottled, MetricProviderDuration}

// Span names.
const (
	SpanCallback = "ginauth.callback"
	// SpanProvider is followed by the operation: "ginauth.provider.token".
	SpanProvider = "ginauth.provider."
)

// Outcome is how a sign-in ended.
type Outcome uint8

// Sign-in outcomes.
const (
	// OutcomeError: the sign-in failed on ginauth's side or the
	// provider's (a store, a callback, a token endpoint).
	OutcomeError Outcome = iota
	// OutcomeSuccess: a session was started.
	OutcomeSuccess
	// OutcomeRefused: the credentials, the link, the provider's answer or
	// the SignIn callback refused the user.
	OutcomeRefused
	// OutcomeThrottled: a limit refused the attempt.
	OutcomeThrottled
	numOutcomes
)

var outcomeNames = [numOutcomes]string{"error", "success", "refused", "throttled"}

// String returns the outcome's attribute value.
func (o Outcome) String() string { return outcomeNames[o] }

// Read is how a session read ended.
type Read uint8

// Session read outcomes.
const (
	// ReadValid: the request carried a valid session.
	ReadValid Read = iota
	// ReadAbsent: the request carried no session value.
	ReadAbsent
	// ReadInvalid: the request carried a session value that leads to no
	// session (forged, expired, revoked, made with another secret).
	ReadInvalid
	// ReadError: the session store failed.
	ReadError
	numReads
)

var readNames = [numReads]string{"valid", "absent", "invalid", "error"}

// String returns the read outcome's attribute value.
func (r Read) String() string { return readNames[r] }

// Strategy is a session strategy, as an attribute.
type Strategy uint8

// Session strategies.
const (
	StrategyJWT Strategy = iota
	StrategyDatabase
	numStrategies
)

var strategyNames = [numStrategies]string{"jwt", "database"}

// Op is a call to a provider.
type Op uint8

// Provider operations.
const (
	OpOther Op = iota
	// OpToken: the token endpoint (code exchange, refresh).
	OpToken
	// OpUserInfo: the userinfo or profile endpoint.
	OpUserInfo
	// OpDiscovery: the OpenID Connect discovery document.
	OpDiscovery
	// OpJWKS: the provider's signing keys.
	OpJWKS
	numOps
)

var opNames = [numOps]string{"other", "token", "userinfo", "discovery", "jwks"}

// String returns the operation's attribute value.
func (o Op) String() string { return opNames[o] }

// DecodeReasons are the reasons a session token is refused (see
// jwe.Reason): the values of the "reason" attribute.
var DecodeReasons = []string{"oversized", "malformed", "header", "key", "payload", "claims", "expired"}

// Limits are the throttling limits, as the values of the "limit" attribute.
var Limits = []string{"credentials_client", "credentials_identifier", "email_client", "email_address", "passkey_client"}

// Options are where a T reports.
type Options struct {
	MeterProvider  metric.MeterProvider
	TracerProvider trace.TracerProvider
	Logger         *slog.Logger
}

// T is one Auth's instruments.
type T struct {
	// Logger receives the log records.
	Logger *slog.Logger
	tracer trace.Tracer

	signIns          metric.Int64Counter
	reads            metric.Int64Counter
	cache            metric.Int64Counter
	decodeFailures   metric.Int64Counter
	throttled        metric.Int64Counter
	providerDuration metric.Float64Histogram

	readOpts          [numStrategies][numReads][]metric.AddOption
	hitOpts, missOpts []metric.AddOption
	decodeOpts        map[string][]metric.AddOption
	throttleOpts      map[string][]metric.AddOption
	providers         map[string]*providerOpts
	unknownProvider   providerOpts
}

type providerOpts struct {
	id     string
	signIn [numOutcomes][]metric.AddOption
	// call[op][failed] records a provider call.
	call [numOps][2][]metric.RecordOption
	// span[op] starts a provider call's span.
	span [numOps][]trace.SpanStartOption
	// callback starts the span of a callback.
	callback []trace.SpanStartOption
	// outcome[o] is the callback span's outcome attribute.
	outcome [numOutcomes]attribute.KeyValue
}

// New makes the instruments. A nil provider is the API's no-op one.
func New(o Options) (*T, error) {
	mp, tp := o.MeterProvider, o.TracerProvider
	if mp == nil {
		mp = noop.NewMeterProvider()
	}
	if tp == nil {
		tp = tracenoop.NewTracerProvider()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	m := mp.Meter(ScopeName)
	t := &T{Logger: o.Logger, tracer: tp.Tracer(ScopeName)}
	var err error
	if t.signIns, err = m.Int64Counter(MetricSignIns, metric.WithUnit("{signin}"),
		metric.WithDescription("Sign-in attempts that reached a provider's callback, by provider and outcome.")); err != nil {
		return nil, err
	}
	if t.reads, err = m.Int64Counter(MetricSessionReads, metric.WithUnit("{read}"),
		metric.WithDescription("Session reads, by strategy and outcome.")); err != nil {
		return nil, err
	}
	if t.cache, err = m.Int64Counter(MetricTokenCache, metric.WithUnit("{lookup}"),
		metric.WithDescription("Lookups in the cache of verified session tokens, by result (hit or miss).")); err != nil {
		return nil, err
	}
	if t.decodeFailures, err = m.Int64Counter(MetricDecodeFailures, metric.WithUnit("{token}"),
		metric.WithDescription("Session tokens refused, by reason.")); err != nil {
		return nil, err
	}
	if t.throttled, err = m.Int64Counter(MetricThrottled, metric.WithUnit("{request}"),
		metric.WithDescription("Requests a throttling limit refused, by limit.")); err != nil {
		return nil, err
	}
	if t.providerDuration, err = m.Float64Histogram(MetricProviderDuration, metric.WithUnit("s"),
		metric.WithDescription("Duration of calls to OAuth and OpenID Connect providers, by provider, operation and outcome."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)); err != nil {
		return nil, err
	}

	for s := range numStrategies {
		for r := range numReads {
			t.readOpts[s][r] = addOpts(attribute.String("strategy", strategyNames[s]), attribute.String("outcome", readNames[r]))
		}
	}
	t.hitOpts = addOpts(attribute.String("result", "hit"))
	t.missOpts = addOpts(attribute.String("result", "miss"))
	t.decodeOpts = make(map[string][]metric.AddOption, len(DecodeReasons))
	for _, r := range DecodeReasons {
		t.decodeOpts[r] = addOpts(attribute.String("reason", r))
	}
	t.throttleOpts = make(map[string][]metric.AddOption, len(Limits))
	for _, l := range Limits {
		t.throttleOpts[l] = addOpts(attribute.String("limit", l))
	}
	t.providers = map[string]*providerOpts{}
	t.unknownProvider = *newProviderOpts("")
	return t, nil
}

// AddProvider makes the attribute sets of a configured provider: only the
// ids added take the "provider" attribute, so that requests naming other
// providers add no series. Call it before t is used.
func (t *T) AddProvider(id string) {
	if t != nil && t.providers[id] == nil {
		t.providers[id] = newProviderOpts(id)
	}
}

func addOpts(kv ...attribute.KeyValue) []metric.AddOption {
	return []metric.AddOption{metric.WithAttributeSet(attribute.NewSet(kv...))}
}

func newProviderOpts(id string) *providerOpts {
	p := &providerOpts{id: id, callback: []trace.SpanStartOption{
		trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(attribute.String("ginauth.provider", id)),
	}}
	for o := range numOutcomes {
		p.outcome[o] = attribute.String("ginauth.signin.outcome", outcomeNames[o])
		p.signIn[o] = addOpts(attribute.String("provider", id), attribute.String("outcome", outcomeNames[o]))
	}
	for op := range numOps {
		for failed, outcome := range []string{"success", "error"} {
			set := attribute.NewSet(attribute.String("provider", id), attribute.String("operation", opNames[op]),
				attribute.String("outcome", outcome))
			p.call[op][failed] = []metric.RecordOption{metric.WithAttributeSet(set)}
		}
		p.span[op] = []trace.SpanStartOption{
			trace.WithSpanKind(trace.SpanKindClient),
			trace.WithAttributes(attribute.String("ginauth.provider", id), attribute.String("ginauth.provider.operation", opNames[op])),
		}
	}
	return p
}

func (t *T) provider(id string) *providerOpts {
	if p := t.providers[id]; p != nil {
		return p
	}
	return &t.unknownProvider
}

// SessionRead counts a session read.
func (t *T) SessionRead(ctx context.Context, database bool, r Read) {
	if t == nil {
		return
	}
	s := StrategyJWT
	if database {
		s = StrategyDatabase
	}
	t.reads.Add(ctx, 1, t.readOpts[s][r]...)
}

// CacheHit counts a verified-token cache hit.
func (t *T) CacheHit(ctx context.Context) {
	if t != nil {
		t.cache.Add(ctx, 1, t.hitOpts...)
	}
}

// CacheMiss counts a verified-token cache miss.
func (t *T) CacheMiss(ctx context.Context) {
	if t != nil {
		t.cache.Add(ctx, 1, t.missOpts...)
	}
}

// DecodeFailed counts and logs (at debug level) a refused session token.
// reason is one of DecodeReasons.
func (t *T) DecodeFailed(ctx context.Context, reason string) {
	if t == nil {
		return
	}
	if opts, ok := t.decodeOpts[reason]; ok {
		t.decodeFailures.Add(ctx, 1, opts...)
	}
	if t.Logger.Enabled(ctx, slog.LevelDebug) {
		t.Logger.LogAttrs(ctx, slog.LevelDebug, "ginauth: session token refused", Event(EventSessionDecodeFailed),
			slog.String("reason", reason))
	}
}

// Throttled counts a request a limit refused. limit is one of Limits.
func (t *T) Throttled(ctx context.Context, limit string) {
	if t == nil {
		return
	}
	if opts, ok := t.throttleOpts[limit]; ok {
		t.throttled.Add(ctx, 1, opts...)
	}
}

// StartCallback starts the span of a provider's callback.
func (t *T) StartCallback(ctx context.Context, provider string) (context.Context, trace.Span) {
	if t == nil {
		return ctx, trace.SpanFromContext(ctx)
	}
	return t.tracer.Start(ctx, SpanCallback, t.provider(provider).callback...)
}

// EndCallback ends a callback's span and, when the request was a sign-in
// attempt, counts it by outcome.
func (t *T) EndCallback(ctx context.Context, span trace.Span, provider string, o Outcome, attempt bool) {
	if t == nil {
		return
	}
	if attempt {
		p := t.provider(provider)
		t.signIns.Add(ctx, 1, p.signIn[o]...)
		span.SetAttributes(p.outcome[o])
		if o == OutcomeError {
			span.SetStatus(codes.Error, "sign-in failed")
		}
	}
	span.End()
}
