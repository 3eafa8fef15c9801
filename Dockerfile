# The operator's image: `make docker-build IMG=...` (docker or podman). A static binary on distroless/static,
# run as the non-root user 65532, no shell. Without a daemon or registry, `make image-tarball` builds the same
# layout with go-containerregistry (test/tools/imagetar).
FROM golang:1.26 AS builder
ARG TARGETOS=linux
ARG TARGETARCH=amd64
WORKDIR /workspace
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY argoexec/ argoexec/
COPY cmd/ cmd/
COPY internal/ internal/
COPY nativeexec/ nativeexec/
COPY translator/ translator/
# No -tags localdev: the shipped binary links no envtest or test stack.
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} GOFLAGS=-mod=mod \
    go build -trimpath -ldflags '-s -w -buildid=' -o manager ./cmd/manager

FROM gcr.io/distroless/static:nonroot
WORKDIR /
COPY --from=builder /workspace/manager /manager
USER 65532:65532
ENTRYPOINT ["/manager"]
