package telemetry

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel"
)

// TestHotPathAllocatesNothing: counting a session read and a cache hit
// allocates nothing with the API's no-op provider and with the global
// provider before an application installs one.
func TestHotPathAllocatesNothing(t *testing.T) {
	for name, o := range map[string]Options{
		"noop":   {},
		"global": {MeterProvider: otel.GetMeterProvider(), TracerProvider: otel.GetTracerProvider()},
	} {
		tel, err := New(o)
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		allocs := testing.AllocsPerRun(1000, func() {
			tel.CacheHit(ctx)
			tel.SessionRead(ctx, false, ReadValid)
			tel.SessionRead(ctx, true, ReadInvalid)
			tel.CacheMiss(ctx)
		})
		if allocs != 0 {
			t.Errorf("%s: %v allocations per read", name, allocs)
		}
	}
}

// TestNil: a nil T records nothing and does not panic.
func TestNil(t *testing.T) {
	var tel *T
	ctx := context.Background()
	tel.AddProvider("x")
	tel.CacheHit(ctx)
	tel.CacheMiss(ctx)
	tel.SessionRead(ctx, false, ReadValid)
	tel.DecodeFailed(ctx, "key")
	tel.Throttled(ctx, "email_client")
	ctx2, span := tel.StartCallback(ctx, "x")
	tel.EndCallback(ctx2, span, "x", OutcomeSuccess, true)
	if tel.Transport(nil, "x") != nil {
		t.Error("a nil T made a transport")
	}
	var tr *Transport
	tr.SetJWKS("https://example.com/jwks")
}
