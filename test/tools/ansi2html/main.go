// Command ansi2html turns a terminal capture with colour codes (tmux capture-pane -e -p) into a standalone
// HTML page, so headless Chromium can screenshot it for the docs (test/tools/terminal-screenshot.sh).
// The terminal emulation is buildkite's terminal-to-html; this only wraps it in a page with a dark theme.
//
//	usage: ansi2html [-title T] < capture.txt > page.html
package main

import (
	"flag"
	"fmt"
	"html"
	"io"
	"os"

	terminal "github.com/buildkite/terminal-to-html/v3"
)

const page = `<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>%s</title>
<style>
body { margin: 0; background: #1e1e1e; }
pre.term { margin: 0; padding: 14px 18px; color: #d4d4d4; background: #1e1e1e;
  font: 14px/1.35 "DejaVu Sans Mono", monospace; white-space: pre; }
.term-fg31 { color: #f14c4c; } .term-fg32 { color: #23d18b; } .term-fg33 { color: #e5e510; }
.term-fg34 { color: #3b8eea; } .term-fgi90 { color: #8a8a8a; } .term-fg1, .term-bold { font-weight: bold; }
</style></head>
<body><pre class="term">%s</pre></body></html>
`

func main() {
	title := flag.String("title", "drplanctl", "page title")
	flag.Parse()
	in, err := io.ReadAll(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "ansi2html:", err)
		os.Exit(1)
	}
	fmt.Printf(page, html.EscapeString(*title), terminal.Render(in))
}
