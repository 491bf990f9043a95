package telemetry

import (
	"context"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"
)

type opKey struct{}

// WithOp marks the provider calls made with ctx as op.
func WithOp(ctx context.Context, op Op) context.Context {
	return context.WithValue(ctx, opKey{}, op)
}

func opOf(ctx context.Context) Op {
	op, _ := ctx.Value(opKey{}).(Op)
	return op
}

// Transport reports the calls to one provider: a client span and a
// duration per call. The operation comes from the request's context (see
// WithOp), except for the provider's signing keys, recognised by their URL.
type Transport struct {
	base     http.RoundTripper
	t        *T
	p        *providerOpts
	jwks     atomic.Pointer[string]
	jwksSpan []trace.SpanStartOption
}

// Transport wraps base for the provider with the given id. On a nil T it
// returns nil.
func (t *T) Transport(base http.RoundTripper, provider string) *Transport {
	if t == nil {
		return nil
	}
	p := t.provider(provider)
	// The key set fetches its keys with the context of the discovery that
	// created it, long after that discovery's span ended: its spans start
	// their own traces.
	jwksSpan := append(append([]trace.SpanStartOption(nil), p.span[OpJWKS]...), trace.WithNewRoot())
	return &Transport{base: base, t: t, p: p, jwksSpan: jwksSpan}
}

// SetJWKS records the provider's jwks_uri, once discovery found it.
func (tr *Transport) SetJWKS(url string) {
	if tr != nil && url != "" {
		tr.jwks.Store(&url)
	}
}

// RoundTrip runs the call in a span and records its duration. The span and
// the metric carry the provider, the operation and the status code, never
// the URL's query or any header.
func (tr *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	ctx := req.Context()
	op := opOf(ctx)
	opts := tr.p.span[op]
	if u := tr.jwks.Load(); u != nil && *u == req.URL.String() {
		op, opts = OpJWKS, tr.jwksSpan
	}
	ctx, span := tr.t.tracer.Start(ctx, SpanProvider+op.String(), opts...)
	start := time.Now()
	resp, err := tr.base.RoundTrip(req.WithContext(ctx))
	elapsed := time.Since(start).Seconds()
	failed := 0
	switch {
	case err != nil:
		failed = 1
		span.SetStatus(codes.Error, "request failed")
	default:
		span.SetAttributes(attribute.Int("http.response.status_code", resp.StatusCode))
		if resp.StatusCode >= 400 {
			failed = 1
			span.SetStatus(codes.Error, "status "+strconv.Itoa(resp.StatusCode))
		}
	}
	span.End()
	tr.t.providerDuration.Record(ctx, elapsed, tr.p.call[op][failed]...)
	return resp, err
}
