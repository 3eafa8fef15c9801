// Package view prints DR executions and plans for people: the tree of an execution (stages -> workflow entries
// -> actions), tables of executions and of a plan's history, and the detail of describe. Everything here is a pure
// function of the objects and the clock, written through text/tabwriter, so it is tested without a cluster.
package view

import (
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/duration"
)

// Style says how to print: Color adds ANSI colours to phases (only for terminals that support them).
type Style struct {
	Color bool
}

// ANSI SGR codes, all two digits, so every coloured cell carries the same number of invisible bytes (5 before,
// 4 after): text/tabwriter counts bytes, and equal overhead in every row of a column keeps the columns aligned.
const (
	sgrReset  = "\x1b[0m"
	sgrRed    = "\x1b[31m"
	sgrGreen  = "\x1b[32m"
	sgrYellow = "\x1b[33m"
	sgrBlue   = "\x1b[34m"
	sgrGrey   = "\x1b[90m"
	sgrPlain  = "\x1b[39m"
)

// phase colours a phase cell: green done, red failed, blue running, yellow canceled, grey skipped or pending.
func (s Style) phase(p string) string {
	if !s.Color {
		return p
	}
	code := sgrPlain
	switch p {
	case "Succeeded":
		code = sgrGreen
	case "Failed":
		code = sgrRed
	case "Running":
		code = sgrBlue
	case "Canceled":
		code = sgrYellow
	case "Skipped", "Pending":
		code = sgrGrey
	}
	return code + p + sgrReset
}

// phaseHeader is the header of a phase column: with colour it carries the same invisible bytes as the
// coloured cells below it (in the terminal's default colour), so the column lines up.
func (s Style) phaseHeader() string {
	if !s.Color {
		return "PHASE"
	}
	return sgrPlain + "PHASE" + sgrReset
}

// orDash prints "-" for an empty cell, as kubectl does, so columns never collapse.
func orDash(v string) string {
	if v == "" {
		return "-"
	}
	return v
}

// elapsed is the duration from start to end, or to now while unfinished; "-" before a start.
func elapsed(start, end *metav1.Time, now time.Time) string {
	if start == nil {
		return "-"
	}
	stop := now
	if end != nil {
		stop = end.Time
	}
	d := stop.Sub(start.Time)
	if d < 0 {
		d = 0
	}
	if d < time.Minute {
		// HumanDuration rounds below two seconds to "0s"/"1s"; a DR action of 400ms is worth showing.
		return d.Round(100 * time.Millisecond).String()
	}
	return duration.HumanDuration(d)
}

// age is how long ago t was, kubectl style; "-" when unset.
func age(t *metav1.Time, now time.Time) string {
	if t == nil {
		return "-"
	}
	return duration.HumanDuration(now.Sub(t.Time))
}

// clip shortens a one-line message for a table cell; describe prints it whole.
func clip(msg string, max int) string {
	line, rest, cut := strings.Cut(strings.TrimSpace(msg), "\n")
	r := []rune(strings.TrimRight(line, "\r"))
	if len(r) > max {
		return string(r[:max-1]) + "…"
	}
	if cut && rest != "" {
		return string(r) + " …"
	}
	return string(r)
}

// timestamp prints a time in RFC 3339 (UTC), or "-".
func timestamp(t *metav1.Time) string {
	if t == nil {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}
