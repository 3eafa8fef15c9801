package report

import (
	"testing"
	"time"
)

func ms(xs ...int) []time.Duration {
	out := make([]time.Duration, len(xs))
	for i, x := range xs {
		out[i] = time.Duration(x) * time.Millisecond
	}
	return out
}

func TestPercentile(t *testing.T) {
	hundred := make([]int, 100)
	for i := range hundred {
		hundred[i] = 100 - i // 100..1, unsorted
	}
	cases := []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 99, 7 * time.Millisecond},
		{"median of odd count", ms(5, 1, 3), 50, 3 * time.Millisecond},
		{"median of even count is the lower middle", ms(4, 1, 3, 2), 50, 2 * time.Millisecond},
		{"p99 of 100 values", ms(hundred...), 99, 99 * time.Millisecond},
		{"p100 is the maximum", ms(hundred...), 100, 100 * time.Millisecond},
		{"p99 of 10 values is the maximum", ms(1, 2, 3, 4, 5, 6, 7, 8, 9, 10), 99, 10 * time.Millisecond},
		{"p50 of 100 values", ms(hundred...), 50, 50 * time.Millisecond},
	}
	for _, c := range cases {
		if got := Percentile(c.in, c.p); got != c.want {
			t.Errorf("%s: Percentile(p%g) = %s, want %s", c.name, c.p, got, c.want)
		}
	}
}

func TestPercentileLeavesInputAlone(t *testing.T) {
	in := ms(3, 1, 2)
	Percentile(in, 50)
	if in[0] != 3*time.Millisecond || in[1] != time.Millisecond {
		t.Fatalf("input reordered: %v", in)
	}
}

func TestExcessAndMeans(t *testing.T) {
	ex := Excess([]int{10, 7, 5}, []int{8, 6, 5})
	if MaxInt(ex) != 2 || len(ex) != 3 || ex[2] != 0 {
		t.Fatalf("Excess = %v", ex)
	}
	if got := MeanInt([]int{1, 2, 6}); got != 3 {
		t.Fatalf("MeanInt = %g", got)
	}
	if MeanInt(nil) != 0 || MaxInt(nil) != 0 {
		t.Fatal("empty input must give 0")
	}
}

func TestCDF(t *testing.T) {
	xs, fs := CDF(ms(30, 10, 20, 40))
	if xs[0] != 10*time.Millisecond || xs[3] != 40*time.Millisecond {
		t.Fatalf("xs = %v", xs)
	}
	if fs[0] != 0.25 || fs[3] != 1 {
		t.Fatalf("fs = %v", fs)
	}
}
