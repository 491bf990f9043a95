package ginauth

import (
	"fmt"

	"go.opentelemetry.io/otel"

	"github.com/ginauth/ginauth/internal/telemetry"
)

// newTelemetry makes the Auth's instruments from the configured providers,
// or the global ones.
func newTelemetry(cfg *Config) (*telemetry.T, error) {
	mp, tp := cfg.MeterProvider, cfg.TracerProvider
	if mp == nil {
		mp = otel.GetMeterProvider()
	}
	if tp == nil {
		tp = otel.GetTracerProvider()
	}
	t, err := telemetry.New(telemetry.Options{MeterProvider: mp, TracerProvider: tp, Logger: cfg.Logger})
	if err != nil {
		return nil, fmt.Errorf("%w: making the metrics: %w", ErrConfig, err)
	}
	return t, nil
}
