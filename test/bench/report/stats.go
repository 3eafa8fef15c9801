package report

import (
	"slices"
	"strings"
	"time"
)

// Percentile is the nearest-rank p-th percentile (0 < p <= 100) of ds: the smallest value with at least p% of
// the values at or below it. Zero for no values. ds need not be sorted and is not modified.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(p/100*float64(len(s)) + 0.999999999)
	rank = max(1, min(rank, len(s)))
	return s[rank-1]
}

// Max is the largest of ds, zero for none.
func Max(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return slices.Max(ds)
}

// MeanInt is the mean of xs, zero for none.
func MeanInt(xs []int) float64 {
	if len(xs) == 0 {
		return 0
	}
	sum := 0
	for _, x := range xs {
		sum += x
	}
	return float64(sum) / float64(len(xs))
}

// Excess is, per execution, writes minus transitions; its largest value says whether "writes <= transitions +
// k" held for every execution.
func Excess(writes, transitions []int) []int {
	out := make([]int, 0, len(writes))
	for i := range writes {
		if i < len(transitions) {
			out = append(out, writes[i]-transitions[i])
		}
	}
	return out
}

// MaxInt is the largest of xs, zero for none.
func MaxInt(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	return slices.Max(xs)
}

// CDF returns the sorted values of ds and, for each, the fraction of values at or below it: the points of an
// empirical distribution function.
func CDF(ds []time.Duration) (xs []time.Duration, fs []float64) {
	xs = slices.Clone(ds)
	slices.Sort(xs)
	fs = make([]float64, len(xs))
	for i := range xs {
		fs[i] = float64(i+1) / float64(len(xs))
	}
	return xs, fs
}

// MergeRuns keeps the earlier runs of the shapes that later does not run again, then later; the result is
// ordered by actions and kind, each shape's runs in the order they ran.
func MergeRuns(earlier, later []Run) []Run {
	rerun := map[Shape]bool{}
	for _, r := range later {
		rerun[r.Shape] = true
	}
	var out []Run
	for _, r := range earlier {
		if !rerun[r.Shape] {
			out = append(out, r)
		}
	}
	out = append(out, later...)
	slices.SortStableFunc(out, func(a, b Run) int {
		if a.Shape.Actions != b.Shape.Actions {
			return a.Shape.Actions - b.Shape.Actions
		}
		return strings.Compare(a.Shape.Kind, b.Shape.Kind)
	})
	return out
}
