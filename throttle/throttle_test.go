package throttle

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func TestMemoryBucket(t *testing.T) {
	m, err := NewMemory(Limit{Every: time.Minute, Burst: 3}, 0)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	m.now = func() time.Time { return now }
	ctx := context.Background()
	for i := range 3 {
		if d, _ := m.Allow(ctx, "a"); !d.Allowed {
			t.Fatalf("event %d refused", i)
		}
	}
	d, _ := m.Allow(ctx, "a")
	if d.Allowed || d.RetryAfter <= 0 || d.RetryAfter > time.Minute {
		t.Fatalf("fourth event: %+v, want refused with a wait up to a minute", d)
	}
	if d, _ := m.Allow(ctx, "b"); !d.Allowed {
		t.Error("another key was refused")
	}
	// A refused event costs nothing: after one interval exactly one more.
	now = now.Add(time.Minute)
	if d, _ := m.Allow(ctx, "a"); !d.Allowed {
		t.Error("refused after the refill")
	}
	if d, _ := m.Allow(ctx, "a"); d.Allowed {
		t.Error("allowed twice after one refill")
	}
}

func TestMemoryConcurrent(t *testing.T) {
	m, err := NewMemory(Limit{Every: time.Hour, Burst: 10}, 0)
	if err != nil {
		t.Fatal(err)
	}
	var allowed atomic.Int64
	var wg sync.WaitGroup
	for range 100 {
		wg.Go(func() {
			if d, _ := m.Allow(context.Background(), "k"); d.Allowed {
				allowed.Add(1)
			}
		})
	}
	wg.Wait()
	if n := allowed.Load(); n != 10 {
		t.Errorf("%d of 100 concurrent events allowed, want the burst of 10", n)
	}
}

func TestMemoryMaxKeys(t *testing.T) {
	m, err := NewMemory(Limit{Every: time.Hour, Burst: 1}, 2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"a", "b", "c"} {
		m.Allow(ctx, k)
	}
	if m.keys.Len() != 2 {
		t.Errorf("%d keys tracked, want 2", m.keys.Len())
	}
	if d, _ := m.Allow(ctx, "c"); d.Allowed {
		t.Error("a tracked key got a second event")
	}
}

func TestInvalidLimits(t *testing.T) {
	for _, l := range []Limit{{}, {Every: time.Second}, {Burst: 1}, {Every: -time.Second, Burst: 1}, {Every: time.Second, Burst: -1}} {
		if _, err := NewMemory(l, 0); !errors.Is(err, ErrInvalidLimit) {
			t.Errorf("NewMemory(%+v) = %v", l, err)
		}
	}
	if _, err := NewMemory(Limit{Every: time.Second, Burst: 1}, -1); err == nil {
		t.Error("NewMemory with negative maxKeys succeeded")
	}
	if d, err := Unlimited.Allow(context.Background(), "x"); !d.Allowed || err != nil {
		t.Errorf("Unlimited = %+v, %v", d, err)
	}
}
