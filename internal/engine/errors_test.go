package engine

import (
	"errors"
	"fmt"
	"testing"
)

func TestPermanent(t *testing.T) {
	base := errors.New("status offloaded")
	p := Permanent(base)
	cases := []struct {
		name string
		err  error
		want bool
	}{
		{"marked", p, true},
		{"marked, then wrapped with context", fmt.Errorf("run x: %w", p), true},
		{"plain error", base, false},
		{"nil", nil, false},
	}
	for _, c := range cases {
		if got := IsPermanent(c.err); got != c.want {
			t.Errorf("%s: IsPermanent = %v, want %v", c.name, got, c.want)
		}
	}
	if p.Error() != base.Error() || !errors.Is(p, base) {
		t.Errorf("Permanent must keep the message and wrap the error: %q", p)
	}
}

func TestTruncate(t *testing.T) {
	cases := []struct {
		name, in string
		n        int
		want     string
	}{
		{"short enough", "abc", 5, "abc"},
		{"cut inside a rune drops the rune", "héllo", 2, "h"},
		{"cut on a boundary", "héllo", 3, "hé"},
	}
	for _, c := range cases {
		if got := Truncate(c.in, c.n); got != c.want {
			t.Errorf("%s: Truncate(%q, %d) = %q, want %q", c.name, c.in, c.n, got, c.want)
		}
	}
}
