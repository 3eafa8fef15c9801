package report

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Targets of issue 16, checked in the report (never in tests).
const (
	TargetRatio       = 1.1                    // through the operator / Argo alone, at TargetRatioAt actions
	TargetRatioAt     = 100                    //
	TargetFirstAction = time.Second            // execution created -> first action started
	TargetLagP99      = 300 * time.Millisecond // node change -> execution status
	TargetExtraWrites = 3                      // writes <= transitions + 3
)

// dur prints a duration for a table: milliseconds below 10 s, seconds with two decimals above.
func dur(d time.Duration) string {
	if d == 0 {
		return "0"
	}
	if d < 10*time.Second {
		return strconv.FormatFloat(float64(d)/float64(time.Millisecond), 'f', 0, 64) + " ms"
	}
	return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s"
}

// secs prints a duration in seconds with one decimal (CPU time).
func secs(d time.Duration) string { return strconv.FormatFloat(d.Seconds(), 'f', 2, 64) + " s" }

// bytesize prints a byte count with thousands separators.
func bytesize(n int64) string {
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func mib(n int64) string { return strconv.FormatFloat(float64(n)/(1<<20), 'f', 1, 64) + " MiB" }

// verdict is the report's word for a target.
func verdict(met bool) string {
	if met {
		return "**met**"
	}
	return "**missed**"
}

func ratio(a, b time.Duration) float64 {
	if b == 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func loads(l [3]float64) string { return fmt.Sprintf("%.2f / %.2f / %.2f", l[0], l[1], l[2]) }
