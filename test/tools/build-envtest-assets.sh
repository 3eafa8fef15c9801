#!/usr/bin/env bash
# Builds the envtest binaries (etcd, kube-apiserver, kubectl, and any extra k8s.io/kubernetes/cmd/* binaries)
# from the Go module proxy alone, so tests need no release bucket.
#
#   usage: test/tools/build-envtest-assets.sh [dest-dir]      (default ~/.cache/drplan/k8s-$K8S_VERSION)
#   prints the directory to use as KUBEBUILDER_ASSETS on its last line.
#
# A binary already present at the wanted version is not rebuilt, so a second run costs well under a second.
#   K8S_VERSION  (1.37.2)  k8s.io/kubernetes tag; its staging modules are pinned to v0.<minor>.<patch>
#   ETCD_VERSION (3.6.16)  go.etcd.io/etcd/server/v3 tag
#   EXTRA_BINS   ("")      more k8s.io/kubernetes/cmd binaries, e.g. "kube-scheduler kube-controller-manager"
set -euo pipefail

k8s_version=${K8S_VERSION:-1.37.2}
etcd_version=${ETCD_VERSION:-3.6.16}
dest=${1:-${HOME}/.cache/drplan/k8s-${k8s_version}}
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
work="$dest/.wrappers"
mkdir -p "$work"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=mod GOWORK=off
staging="v0.${k8s_version#*.}" # 1.37.2 -> v0.37.2

say() { echo "envtest-assets: $*" >&2; }

# version_ok NAME: the binary exists and reports the wanted version.
version_ok() {
  local bin="$dest/$1" out
  [[ -x "$bin" ]] || return 1
  case "$1" in
    etcd) out=$("$bin" --version 2>/dev/null || true); [[ "$out" == *"etcd Version: ${etcd_version}"* ]] ;;
    kubectl) out=$("$bin" version --client 2>/dev/null || true); [[ "$out" == *"Client Version: v${k8s_version}"* ]] ;;
    *) out=$("$bin" --version 2>/dev/null || true); [[ "$out" == "Kubernetes v${k8s_version}" ]] ;;
  esac
}

# install_bin NAME MODULE-DIR PACKAGE [LDFLAGS]: builds into a temp file, then renames, so a killed build leaves nothing half-written.
install_bin() {
  local name=$1 dir=$2 pkg=$3 ldflags=${4:-}
  local start=$SECONDS
  say "building $name"
  (cd "$dir" && go build -trimpath -ldflags "-s -w $ldflags" -o "$dest/.$name.partial" "$pkg")
  mv -f "$dest/.$name.partial" "$dest/$name"
  say "built $name in $((SECONDS - start))s"
}

etcd() {
  version_ok etcd && return
  # `go install pkg@version` refuses modules that carry replace directives (etcd/server does), hence a wrapper module.
  local dir="$work/etcd-${etcd_version}"
  if [[ ! -f "$dir/go.mod" ]]; then
    mkdir -p "$dir"
    printf 'module drplan.local/etcd-wrapper\n\ngo 1.24\n\nrequire go.etcd.io/etcd/server/v3 v%s\n' "$etcd_version" >"$dir/go.mod"
  fi
  install_bin etcd "$dir" go.etcd.io/etcd/server/v3
}

kubernetes() {
  local want=(kube-apiserver kubectl ${EXTRA_BINS:-}) missing=() b
  for b in "${want[@]}"; do version_ok "$b" || missing+=("$b"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  # k8s.io/kubernetes points its staging modules at ./staging; a wrapper replaces each with its published tag,
  # or with an empty local module for the few (samples) that are not published.
  local dir="$work/kubernetes-${k8s_version}"
  if [[ ! -f "$dir/.ready" ]]; then
    rm -rf "$dir" && mkdir -p "$dir/empty"
    printf 'module drplan.local/kubernetes-wrapper\n\ngo 1.24\n\nrequire k8s.io/kubernetes v%s\n' "$k8s_version" >"$dir/go.mod"
    local gomod m
    gomod=$(cd "$dir" && go mod download -json "k8s.io/kubernetes@v${k8s_version}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
    for m in $(sed -n 's#^[[:space:]]*\(k8s.io/[A-Za-z0-9._-]*\) => ./staging/.*#\1#p' "$gomod"); do
      if (cd "$dir" && go mod download "$m@$staging" >/dev/null 2>&1); then
        (cd "$dir" && go mod edit -replace "$m=$m@$staging")
      else
        say "$m@$staging is not published; using an empty module"
        mkdir -p "$dir/empty/${m#k8s.io/}"
        printf 'module %s\n\ngo 1.21\n' "$m" >"$dir/empty/${m#k8s.io/}/go.mod"
        (cd "$dir" && go mod edit -replace "$m=./empty/${m#k8s.io/}")
      fi
    done
    touch "$dir/.ready"
  fi
  local minor date v
  minor=$(echo "$k8s_version" | cut -d. -f2)
  date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  v=""
  for pkgvar in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    v="$v -X $pkgvar.gitVersion=v${k8s_version} -X $pkgvar.gitMajor=1 -X $pkgvar.gitMinor=${minor}"
    v="$v -X $pkgvar.gitTreeState=clean -X $pkgvar.buildDate=${date}"
  done
  for b in "${missing[@]}"; do install_bin "$b" "$dir" "k8s.io/kubernetes/cmd/$b" "$v"; done
}

etcd
kubernetes
echo "$dest"
