package main

import (
	"strings"
	"testing"

	. "github.com/onsi/gomega"
)

func TestFitCutsFramesToTheTerminal(t *testing.T) {
	g := NewWithT(t)
	frame := "NAME  \x1b[32mSucceeded\x1b[0m  a long message here\nb\nc\nd\ne\n"
	size := func(cols, rows int) func() (int, int, error) {
		return func() (int, int, error) { return cols, rows, nil }
	}
	// Wide and tall enough: unchanged, and a blank line before the footer.
	g.Expect(fit(frame, size(200, 50))).To(Equal(frame + "\n"))
	// Width counts what shows: the colour codes stay, the message is cut.
	got := strings.Split(fit(frame, size(20, 50)), "\n")[0]
	g.Expect(got).To(Equal("NAME  \x1b[32mSucceeded\x1b[0m  a …"))
	// Height: the rows less the footer and the blank line, the last of them saying what is hidden.
	g.Expect(fit(frame, size(200, 5))).To(Equal("NAME  \x1b[32mSucceeded\x1b[0m  a long message here\nb\n… 3 more lines (a taller terminal shows them)\n\n"))
	// Not a terminal: as is.
	g.Expect(fit(frame, nil)).To(Equal(frame + "\n"))
}
