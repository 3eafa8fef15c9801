# drplan-operator. `make help` lists the targets.
SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

export GOTOOLCHAIN := local
export GOFLAGS := -mod=mod

K8S_VERSION        ?= 1.37.2
CONTROLLER_GEN_VER ?= v0.23.0
BIN                := $(CURDIR)/bin
CONTROLLER_GEN     := $(BIN)/controller-gen-$(CONTROLLER_GEN_VER)
# envtest binaries live outside the clone so every clone (and CI) on this machine reuses them.
ENVTEST_DIR        ?= $(HOME)/.cache/drplan/k8s-$(K8S_VERSION)
ASSETS              = $(if $(KUBEBUILDER_ASSETS),$(KUBEBUILDER_ASSETS),$(ENVTEST_DIR))
ARGO_CRD_DIR        = $(shell go list -m -f '{{.Dir}}' github.com/argoproj/argo-workflows/v3)/manifests/base/crds/minimal
IMG                ?= drplan-operator:dev
# How long make fuzz runs each fuzz target.
FUZZTIME           ?= 30s
ARGO_VERSION        = $(shell go list -m -f '{{.Version}}' github.com/argoproj/argo-workflows/v3)
# kwok, workflow-controller, argoexec and the argo CLI for the end-to-end suite and the demo, built from the module proxy.
E2E_TOOLS_DIR      ?= $(HOME)/.cache/drplan/e2e-argo-$(ARGO_VERSION)
# Logs of every process of the end-to-end stack (kept when a spec fails).
E2E_ARTIFACTS      ?= $(CURDIR)/artifacts/e2e
HELM_VERSION       ?= v4.3.2
HELM_DIR           ?= $(HOME)/.cache/drplan/helm-$(HELM_VERSION)
HELM               := $(HELM_DIR)/helm
KUBECTL             = $(ASSETS)/kubectl
CHART              := config/helm/drplan-operator
# The operator's image: a static binary, non-root, no shell.
IMAGE_TARBALL      ?= $(CURDIR)/dist/drplan-operator-image.tar
CONTAINER_TOOL     ?= docker
# Extra flags for `make run`, e.g. RUN_ARGS=--default-executor=native.
RUN_ARGS           ?=
# Flags of the real-stack benchmark (go run -tags bench ./test/bench -h), e.g. BENCH_ARGS='-scale 0.1' for a quick run.
BENCH_ARGS         ?=
# Logs of the benchmark's stack and operator, and its results.json.
BENCH_ARTIFACTS    ?= $(CURDIR)/artifacts/bench

.PHONY: help
help: ## List the targets.
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-18s %s\n", $$1, $$2}'

##@ Development

.PHONY: generate
generate: $(CONTROLLER_GEN) ## Generate deepcopy code.
	$(CONTROLLER_GEN) object paths=./api/...

.PHONY: manifests
manifests: $(CONTROLLER_GEN) ## Generate CRDs, RBAC and webhook manifests under config/.
	$(CONTROLLER_GEN) crd paths=./api/... output:crd:artifacts:config=config/crd/bases
	$(CONTROLLER_GEN) rbac:roleName=manager-role paths=./internal/... output:rbac:artifacts:config=config/rbac
	$(CONTROLLER_GEN) webhook paths=./internal/... output:webhook:artifacts:config=config/webhook
	@# The Helm chart ships the same CRDs (Helm installs crds/ before the templates).
	rm -f $(CHART)/crds/*.yaml && cp config/crd/bases/*.yaml $(CHART)/crds/
	@# ...and the rules and webhooks of config/, which its templates read from files/.
	cp config/rbac/role.yaml $(CHART)/files/manager-role.yaml
	cp config/rbac/leader_election_role.yaml $(CHART)/files/leader-election-role.yaml
	cp config/rbac/metrics_auth_role.yaml $(CHART)/files/metrics-auth-role.yaml
	cp config/webhook/manifests.yaml $(CHART)/files/webhooks.yaml
	cp config/executor/role.yaml $(CHART)/files/executor-role.yaml
	cp config/executor/globalization/cluster_role.yaml $(CHART)/files/executor-globalization-clusterrole.yaml

.PHONY: fmt
fmt: ## gofmt every Go file.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet ./..., and the code behind build tags (e2e, bench, localdev).
	go vet ./...
	go vet -tags e2e ./test/...
	go vet -tags bench ./test/bench/
	go vet -tags localdev ./cmd/...

.PHONY: verify
verify: generate manifests helm ## Fail when generated files, formatting or the Helm chart are stale.
	@test -z "$$(gofmt -s -l $$(git ls-files '*.go'))" || { gofmt -s -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	@git diff --exit-code -- api config || { echo "generated files are stale: run make generate manifests and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api config)" || { git status --porcelain -- api config; echo "untracked generated files"; exit 1; }
	$(HELM) lint --strict $(CHART)
	DRPLAN_HELM=$(HELM) go test ./test/chart -run 'Drift' -count=1

.PHONY: build
build: ## Build bin/manager (the shipped operator, no local stack) and bin/drplanctl.
	go build -o $(BIN)/manager ./cmd/manager
	go build -o $(BIN)/drplanctl ./cmd/drplanctl

.PHONY: helm
helm: ## Build helm $(HELM_VERSION) from the Go module proxy into ~/.cache/drplan (skipped when present).
	@test -x $(HELM) || GOBIN=$(HELM_DIR) go install helm.sh/helm/v4/cmd/helm@$(HELM_VERSION)

##@ Tests

.PHONY: envtest-assets
envtest-assets: ## Build kube-apiserver, etcd and kubectl from the Go module proxy into ~/.cache/drplan (skipped when present or KUBEBUILDER_ASSETS is set).
	@if [ -n "$(KUBEBUILDER_ASSETS)" ]; then echo "KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) is set; not building"; \
	else K8S_VERSION=$(K8S_VERSION) test/tools/build-envtest-assets.sh $(ENVTEST_DIR) >/dev/null; fi

.PHONY: test
test: envtest-assets e2e-tools helm ## Run every test: unit, integration (real kube-apiserver + etcd), image, chart, and end to end (the real Argo controller).
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) DRPLAN_HELM=$(HELM) go test ./... -count=1
	$(MAKE) --no-print-directory test-e2e

.PHONY: test-unit
test-unit: ## Run the unit tests only.
	go test $$(go list ./... | grep -v /test/) -count=1

.PHONY: test-integration
test-integration: envtest-assets ## Run the integration suite only.
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) go test ./test/integration/... -count=1 -v

.PHONY: e2e-tools
e2e-tools: ## Build kube-scheduler, kube-controller-manager, kwok, Argo's workflow-controller, argoexec and argo CLI into ~/.cache/drplan (skipped when present).
	test/tools/build-e2e-tools.sh $(E2E_TOOLS_DIR) >/dev/null

.PHONY: test-e2e
test-e2e: envtest-assets e2e-tools ## Run the end-to-end suites (the stack's own test, test/e2e, then make run's own test): DR plans through the real Argo workflow-controller and argoexec (kwok fakes the kubelet).
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) DRPLAN_E2E_TOOLS=$(E2E_TOOLS_DIR) DRPLAN_E2E_ARTIFACTS=$(E2E_ARTIFACTS) \
		go test -tags e2e -p 1 ./test/stack/ ./test/e2e/... ./test/localrun/ -count=1 -timeout 40m -v

.PHONY: fuzz
fuzz: ## Run every fuzz target of the module (found by name, func Fuzz*) for FUZZTIME each (default 30s).
	FUZZTIME=$(FUZZTIME) test/tools/fuzz.sh

.PHONY: bench
bench: envtest-assets e2e-tools build ## Run the translator benchmarks, then the operator on the real Argo controller (test/bench), which rewrites its section of docs/benchmarks.md and the plots.
	go test ./translator -run '^$$' -bench . -benchmem
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) DRPLAN_E2E_TOOLS=$(E2E_TOOLS_DIR) \
		go run -tags bench ./test/bench -out docs/benchmarks.md -artifacts $(BENCH_ARTIFACTS) -manager $(BIN)/manager $(BENCH_ARGS)

##@ Run and deploy

.PHONY: run
run: envtest-assets e2e-tools manifests ## Run the operator against the current kubeconfig, or, when none is reachable, on a local stack with Argo (Ctrl-C stops it all).
	@# -tags localdev links the local stack (test tooling); the shipped binary (make build) has none.
	go build -tags localdev -o $(BIN)/manager-localdev ./cmd/manager
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) DRPLAN_E2E_TOOLS=$(E2E_TOOLS_DIR) \
		$(BIN)/manager-localdev --local-control-plane=auto --crd-dir=config/crd/bases $(RUN_ARGS)

.PHONY: demo
demo: envtest-assets e2e-tools manifests ## Start a local stack (control plane, Argo, kwok, the operator), run examples/quickstart forward and back, leave it running.
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) DRPLAN_E2E_TOOLS=$(E2E_TOOLS_DIR) go run ./test/demo up

.PHONY: demo-down
demo-down: ## Stop what make demo left running.
	go run ./test/demo down

.PHONY: docker-build
docker-build: ## Build the operator image IMG with docker or podman (CONTAINER_TOOL) from the Dockerfile.
	$(CONTAINER_TOOL) build -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the image IMG.
	$(CONTAINER_TOOL) push $(IMG)

.PHONY: image-tarball
image-tarball: ## Build the image IMG without a daemon or registry into dist/ (docker-archive; docker/podman load -i, ctr import); byte-reproducible.
	@mkdir -p $(BIN)/image $(dir $(IMAGE_TARBALL))
	CGO_ENABLED=0 GOOS=linux GOARCH=amd64 go build -trimpath -ldflags '-s -w -buildid=' -o $(BIN)/image/manager ./cmd/manager
	go run ./test/tools/imagetar -binary $(BIN)/image/manager -tag $(IMG) -out $(IMAGE_TARBALL)

.PHONY: build-installer
build-installer: envtest-assets manifests ## Write dist/install.yaml (CRDs, RBAC, Deployment, webhook with self-provisioned certificates, metrics Service) for image IMG.
	@mkdir -p dist
	$(KUBECTL) kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' > dist/install.yaml
	@echo "wrote dist/install.yaml (image $(IMG))"

.PHONY: install
install: manifests ## Install the CRDs into the current cluster.
	kubectl apply --server-side -f config/crd/bases

.PHONY: uninstall
uninstall: ## Remove the CRDs (and with them every DR object) from the current cluster.
	kubectl delete --ignore-not-found -f config/crd/bases

.PHONY: deploy
deploy: manifests ## Deploy the operator (config/default) into the current cluster; IMG sets the image.
	kubectl kustomize config/default | sed 's|image: controller:latest|image: $(IMG)|' | kubectl apply --server-side -f -

.PHONY: undeploy
undeploy: ## Remove what deploy installed.
	kubectl kustomize config/default | kubectl delete --ignore-not-found -f -

.PHONY: executor
executor: ## Create the least-privilege drplan-executor ServiceAccount in namespace NS (make executor NS=shop).
	@test -n "$(NS)" || { echo "usage: make executor NS=<plan namespace>"; exit 1; }
	kubectl apply -n $(NS) -k config/executor

$(CONTROLLER_GEN):
	GOBIN=$(BIN) go install sigs.k8s.io/controller-tools/cmd/controller-gen@$(CONTROLLER_GEN_VER)
	mv $(BIN)/controller-gen $(CONTROLLER_GEN)
