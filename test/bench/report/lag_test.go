package report

import (
	"testing"
	"time"
)

func TestLags(t *testing.T) {
	t0 := time.Date(2026, 12, 8, 4, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	shown := map[Change]time.Time{
		{"a", "Pending"}:   at(0),
		{"a", "Running"}:   at(10),
		{"a", "Succeeded"}: at(100),
		{"b", "Running"}:   at(50),
		{"b", "Succeeded"}: at(60),
	}
	seen := map[Change]time.Time{
		{"a", "Pending"}:   at(5),
		{"a", "Running"}:   at(40),  // 30 ms
		{"a", "Succeeded"}: at(90),  // before the harness saw it: 0
		{"b", "Succeeded"}: at(260), // 200 ms; b Running never shown
	}
	lags, coalesced := Lags(shown, seen)
	want := []time.Duration{30 * time.Millisecond, 200 * time.Millisecond, 0}
	if len(lags) != len(want) {
		t.Fatalf("lags = %v, want %v", lags, want)
	}
	for i := range want {
		if lags[i] != want[i] {
			t.Fatalf("lags = %v, want %v (in the order of the changes)", lags, want)
		}
	}
	if coalesced != 1 {
		t.Fatalf("coalesced = %d, want 1 (b Running)", coalesced)
	}
	if n := Transitions(shown); n != 4 {
		t.Fatalf("Transitions = %d, want 4", n)
	}
}
