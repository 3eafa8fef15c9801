package engine

import (
	"context"
	"testing"
	"time"

	. "github.com/onsi/gomega"
)

func TestWakeKeepsTheEarliestAndWaitsAtLeastASecond(t *testing.T) {
	g := NewWithT(t)
	now := time.Date(2026, 1, 2, 3, 0, 0, 0, time.UTC)
	ctx, w := WithWakeups(context.Background())
	g.Expect(w.After(now)).To(BeZero(), "nothing asked for")
	WakeAt(ctx, now.Add(time.Hour))
	WakeAt(ctx, now.Add(10*time.Second))
	WakeAt(ctx, now.Add(time.Minute))
	g.Expect(w.After(now)).To(Equal(10*time.Second + 500*time.Millisecond))
	g.Expect(w.After(now.Add(time.Hour))).To(Equal(MinWakeDelay), "a deadline passed: look again soon")
	WakeAt(context.Background(), now) // no collector: ignored
}
