package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// metrics serves ginauth's metrics, with the Go runtime's and the
// process's, in the Prometheus text format on a listener of its own, so
// that /metrics is never reachable through the application's port.
type metrics struct {
	// Provider is the MeterProvider to hand ginauth.Config.
	Provider metric.MeterProvider
	sdk      *sdkmetric.MeterProvider
	srv      *http.Server
	ln       net.Listener
}

// newMetrics listens on addr (host:port, METRICS_ADDR) for GET /metrics.
// It does not serve until Serve is called.
func newMetrics(addr string) (*metrics, error) {
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("METRICS_ADDR %q: want host:port, such as 127.0.0.1:9464: %w", addr, err)
	}
	// A registry of its own, not the client library's global one: only
	// what is registered here is exposed.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("METRICS_ADDR: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	return &metrics{
		Provider: sdk,
		sdk:      sdk,
		ln:       ln,
		srv: &http.Server{
			Handler:           mux,
			ReadHeaderTimeout: 5 * time.Second,
			ReadTimeout:       10 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    16 << 10,
		},
	}, nil
}

// Addr is the address the metrics are served on.
func (m *metrics) Addr() string { return m.ln.Addr().String() }

// Serve serves until Shutdown.
func (m *metrics) Serve() error {
	if err := m.srv.Serve(m.ln); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// Shutdown stops serving and flushes the provider.
func (m *metrics) Shutdown(ctx context.Context) error {
	return errors.Join(m.srv.Shutdown(ctx), m.sdk.Shutdown(ctx))
}
