#!/usr/bin/env bash
# Screenshots drplanctl's live view for the docs: runs `drplanctl watch` in a detached tmux pane, captures the pane
# with its colours (capture-pane -e) when the run has ended or after WAIT seconds, renders the capture to HTML
# (test/tools/ansi2html) and screenshots that page with headless Chromium (Debian's chromium package).
#
#   usage: test/tools/terminal-screenshot.sh OUT.png -- DRPLANCTL-ARGS...
#   e.g.   test/tools/terminal-screenshot.sh docs/images/drplanctl-watch.png -- --kubeconfig artifacts/demo/kubeconfig \
#            -n demo watch quickstart-run
#   COLS (120) x ROWS (22): the pane size; WAIT (60): seconds to wait for the run to end.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=$1
shift
[[ ${1:-} == -- ]] && shift
cols=${COLS:-120} rows=${ROWS:-22} wait=${WAIT:-60}
export GOTOOLCHAIN=local GOFLAGS=-mod=mod

work=$(mktemp -d)
trap 'tmux kill-session -t "$session" 2>/dev/null || true; rm -rf "$work"' EXIT
session=drplan-shot-$$

(cd "$root" && go build -o "$work/drplanctl" ./cmd/drplanctl)
(cd "$root/test/tools/ansi2html" && go build -o "$work/ansi2html" .)

# The pane's shell keeps the last frame on screen after watch exits.
tmux new-session -d -s "$session" -x "$cols" -y "$rows" \
  "env TERM=xterm-256color NO_COLOR= $(printf '%q ' "$work/drplanctl" "$@"); read -r"
for ((i = 0; i < wait * 4; i++)); do
  tmux capture-pane -t "$session" -p | grep -q ' ended: ' && break
  sleep 0.25
done
tmux capture-pane -t "$session" -e -p >"$work/capture.txt"
"$work/ansi2html" -title "drplanctl $*" <"$work/capture.txt" >"$work/page.html"

# 8.4 px per column and 19 px per row of 14 px DejaVu Sans Mono, plus the page padding.
width=$((cols * 84 / 10 + 40)) height=$((rows * 19 + 30))
chromium --headless --no-sandbox --disable-gpu --disable-background-networking --disable-component-update \
  --disable-sync --no-first-run --user-data-dir="$work/chromium" --hide-scrollbars \
  --window-size="$width,$height" --screenshot="$work/shot.png" "file://$work/page.html" 2>"$work/chromium.log" ||
  { cat "$work/chromium.log" >&2; exit 1; }
mkdir -p "$(dirname "$out")"
mv "$work/shot.png" "$out"
echo "$out"
