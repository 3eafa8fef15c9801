#!/usr/bin/env bash
# Runs every fuzz target of the module (every `func FuzzXxx` in a _test.go file, found now, not listed here)
# for FUZZTIME each (default 30s) and prints the inputs each one ran. Fails on the first target that finds
# a failure (a panic or a failed check); go test then leaves the input under the package's testdata/fuzz/.
set -euo pipefail
fuzztime=${FUZZTIME:-30s}
cd "$(dirname "$0")/../.."
mapfile -t targets < <(grep -rn --include='*_test.go' --exclude-dir=.git --exclude-dir=bin -E '^func Fuzz[A-Za-z0-9_]*\(' . |
	sed -E 's|^\./||' |
	sed -E 's|^(.*)/[^/]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|\1 \2|; s|^[^/ ]*_test\.go:[0-9]+:func (Fuzz[A-Za-z0-9_]*)\(.*|. \1|' | sort -u)
if [ ${#targets[@]} -eq 0 ]; then
	echo "no fuzz targets found" >&2
	exit 1
fi
summary=()
for t in "${targets[@]}"; do
	dir=${t% *} name=${t#* }
	echo "== ./$dir $name ($fuzztime)"
	log=$(mktemp)
	if ! go test "./$dir" -run '^$' -fuzz "^${name}\$" -fuzztime "$fuzztime" 2>&1 | tee "$log"; then
		rm -f "$log"
		echo "FAIL: ./$dir $name" >&2
		exit 1
	fi
	execs=$(grep -oE 'execs: [0-9]+' "$log" | tail -1 | grep -oE '[0-9]+' || echo "?")
	rm -f "$log"
	summary+=("./$dir $name: $execs inputs, no failure")
done
echo "== fuzz summary (FUZZTIME=$fuzztime each)"
printf '%s\n' "${summary[@]}"
