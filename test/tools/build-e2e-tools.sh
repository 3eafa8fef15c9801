#!/usr/bin/env bash
# Builds what the end-to-end suite (test/e2e) runs besides the envtest control plane, from the Go module proxy alone:
#   kube-scheduler, kube-controller-manager  (k8s.io/kubernetes, next to the envtest binaries)
#   kwok                                      (sigs.k8s.io/kwok, the fake kubelet)
#   workflow-controller, argoexec, argo       (github.com/argoproj/argo-workflows/v3 at the version go.mod pins;
#                                              argo is the CLI people debug runs with, driven by the e2e specs)
#
#   usage: test/tools/build-e2e-tools.sh [dest-dir]   (default ~/.cache/drplan/e2e-argo-<argo version>)
#   prints two lines: the envtest directory (KUBEBUILDER_ASSETS) and the tools directory.
#
# A tool already built at the wanted version (recorded in <dest>/<tool>.version) is not rebuilt, so a warm run
# costs about a second. Every binary is built into a temporary file and renamed, so a killed build leaves nothing.
#   KWOK_VERSION (v0.8.0)  sigs.k8s.io/kwok tag
#   ARGO_VERSION (from go.mod)
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
export GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off

kwok_version=${KWOK_VERSION:-v0.8.0}
argo_version=${ARGO_VERSION:-$(cd "$root" && go list -m -f '{{.Version}}' github.com/argoproj/argo-workflows/v3)}
dest=${1:-${HOME}/.cache/drplan/e2e-argo-${argo_version}}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work="$dest/.wrappers"
mkdir -p "$work"

say() { echo "e2e-tools: $*" >&2; }

# built NAME VERSION: the tool exists and was built at VERSION by this script.
built() { [[ -x "$dest/$1" && "$(cat "$dest/$1.version" 2>/dev/null)" == "$2" ]]; }

# install NAME VERSION DIR PACKAGE [go build flags...]
install() {
  local name=$1 version=$2 dir=$3 pkg=$4
  shift 4
  local start=$SECONDS
  say "building $name $version"
  (cd "$dir" && go build -trimpath "$@" -o "$dest/.$name.partial" "$pkg")
  mv -f "$dest/.$name.partial" "$dest/$name"
  echo "$version" >"$dest/$name.version"
  say "built $name in $((SECONDS - start))s"
}

# kube-scheduler and kube-controller-manager come from the same wrapper module as kube-apiserver.
envtest_dir=$(EXTRA_BINS="kube-scheduler kube-controller-manager" "$root/test/tools/build-envtest-assets.sh")

if ! built kwok "$kwok_version"; then
  dir="$work/kwok-${kwok_version}"
  if [[ ! -f "$dir/go.mod" ]]; then
    mkdir -p "$dir"
    printf 'module drplan.local/kwok-wrapper\n\ngo 1.24\n\nrequire sigs.k8s.io/kwok %s\n' "$kwok_version" >"$dir/go.mod"
  fi
  CGO_ENABLED=0 install kwok "$kwok_version" "$dir" sigs.k8s.io/kwok/cmd/kwok -ldflags "-s -w"
fi

if ! built workflow-controller "$argo_version" || ! built argoexec "$argo_version" || ! built argo "$argo_version"; then
  # The module zip drops git symlinks, and workflow/executor/osspecific/signal_linux.go is one (to signal_darwin.go),
  # so argoexec does not build from the module cache. Build the Argo binaries from a copy with that file restored.
  dir="$work/argo-${argo_version}"
  if [[ ! -f "$dir/.ready" ]]; then
    rm -rf "$dir" && mkdir -p "$dir"
    printf 'module drplan.local/argo-wrapper\n\ngo 1.24\n\nrequire github.com/argoproj/argo-workflows/v3 %s\n' "$argo_version" >"$dir/go.mod"
    src=$(cd "$dir" && go mod download -json "github.com/argoproj/argo-workflows/v3@${argo_version}" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    cp -r "$src" "$dir/argo-src"
    chmod -R u+w "$dir/argo-src"
    cp "$dir/argo-src/workflow/executor/osspecific/signal_darwin.go" "$dir/argo-src/workflow/executor/osspecific/signal_linux.go"
    # Argo's own go.mod pins tablewriter back to v0.0.5; a replace in a dependency does not apply, so repeat it.
    (cd "$dir" && go mod edit -replace "github.com/argoproj/argo-workflows/v3=./argo-src" \
      -replace "github.com/olekukonko/tablewriter=github.com/olekukonko/tablewriter@v0.0.5")
    touch "$dir/.ready"
  fi
  ld="-s -w -X github.com/argoproj/argo-workflows/v3.version=${argo_version}"
  built workflow-controller "$argo_version" ||
    install workflow-controller "$argo_version" "$dir" github.com/argoproj/argo-workflows/v3/cmd/workflow-controller -ldflags "$ld"
  built argoexec "$argo_version" ||
    install argoexec "$argo_version" "$dir" github.com/argoproj/argo-workflows/v3/cmd/argoexec -ldflags "$ld"
  if ! built argo "$argo_version"; then
    # The CLI embeds the built UI (ui/embed.go: //go:embed dist/app), which the module zip does not carry. A placeholder
    # page lets it build, as Argo's own Makefile does with STATIC_FILES=false; the CLI's commands never serve it.
    mkdir -p "$dir/argo-src/ui/dist/app"
    [[ -f "$dir/argo-src/ui/dist/app/index.html" ]] ||
      echo 'Argo UI not built (drplan e2e tools: CLI only)' >"$dir/argo-src/ui/dist/app/index.html"
    install argo "$argo_version" "$dir" github.com/argoproj/argo-workflows/v3/cmd/argo -ldflags "$ld"
  fi
fi

echo "$envtest_dir"
echo "$dest"
