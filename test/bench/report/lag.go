package report

import (
	"slices"
	"time"
)

// Change is one action entering a phase, as a watch showed it first.
type Change struct {
	Action string
	Phase  string
}

// Lags pairs every change the Workflow showed (at the time of shown) with the first execution status showing
// the same change (seen): the lag of each change the status showed, in the order of the changes, and how many
// it never showed (coalesced: the status went straight to a later phase). Pending is no change. A status
// showing a change before the harness's own Workflow watch did counts as zero lag.
func Lags(shown, seen map[Change]time.Time) (lags []time.Duration, coalesced int) {
	keys := make([]Change, 0, len(shown))
	for k := range shown {
		if k.Phase != "Pending" {
			keys = append(keys, k)
		}
	}
	slices.SortFunc(keys, func(a, b Change) int { return shown[a].Compare(shown[b]) })
	for _, k := range keys {
		t1, ok := seen[k]
		if !ok {
			coalesced++
			continue
		}
		lags = append(lags, max(0, t1.Sub(shown[k])))
	}
	return lags, coalesced
}

// Transitions counts the changes of shown that are not to Pending.
func Transitions(shown map[Change]time.Time) int {
	n := 0
	for k := range shown {
		if k.Phase != "Pending" {
			n++
		}
	}
	return n
}
