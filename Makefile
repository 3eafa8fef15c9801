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
ARGO_VERSION        = $(shell go list -m -f '{{.Version}}' github.com/argoproj/argo-workflows/v3)
# kwok, workflow-controller, argoexec and the argo CLI for the end-to-end suite and the demo, built from the module proxy.
E2E_TOOLS_DIR      ?= $(HOME)/.cache/drplan/e2e-argo-$(ARGO_VERSION)
# Logs of every process of the end-to-end stack (kept when a spec fails).
E2E_ARTIFACTS      ?= $(CURDIR)/artifacts/e2e

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

.PHONY: fmt
fmt: ## gofmt every Go file.
	gofmt -s -w $$(git ls-files '*.go')

.PHONY: vet
vet: ## go vet ./...
	go vet ./...

.PHONY: verify
verify: generate manifests ## Fail when generated files or formatting are stale.
	@test -z "$$(gofmt -s -l $$(git ls-files '*.go'))" || { gofmt -s -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	@git diff --exit-code -- api config || { echo "generated files are stale: run make generate manifests and commit"; exit 1; }
	@test -z "$$(git status --porcelain -- api config)" || { git status --porcelain -- api config; echo "untracked generated files"; exit 1; }

.PHONY: build
build: ## Build bin/manager and bin/drplanctl.
	go build -o $(BIN)/manager ./cmd/manager
	go build -o $(BIN)/drplanctl ./cmd/drplanctl

##@ Tests

.PHONY: envtest-assets
envtest-assets: ## Build kube-apiserver, etcd and kubectl from the Go module proxy into ~/.cache/drplan (skipped when present or KUBEBUILDER_ASSETS is set).
	@if [ -n "$(KUBEBUILDER_ASSETS)" ]; then echo "KUBEBUILDER_ASSETS=$(KUBEBUILDER_ASSETS) is set; not building"; \
	else K8S_VERSION=$(K8S_VERSION) test/tools/build-envtest-assets.sh $(ENVTEST_DIR) >/dev/null; fi

.PHONY: test
test: envtest-assets e2e-tools ## Run every test: unit, integration (real kube-apiserver + etcd) and end to end (the real Argo controller).
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) go test ./... -count=1
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
test-e2e: envtest-assets e2e-tools ## Run the end-to-end suites (the stack's own test, then test/e2e): DR plans through the real Argo workflow-controller and argoexec (kwok fakes the kubelet).
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) DRPLAN_E2E_TOOLS=$(E2E_TOOLS_DIR) DRPLAN_E2E_ARTIFACTS=$(E2E_ARTIFACTS) \
		go test -tags e2e -p 1 ./test/stack/ ./test/e2e/... -count=1 -timeout 40m -v

.PHONY: bench
bench: ## Run the translator benchmarks.
	go test ./translator -run '^$$' -bench . -benchmem

##@ Run and deploy

.PHONY: run
run: envtest-assets manifests ## Run the operator against the current kubeconfig, or on an embedded control plane when none is reachable.
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) go run ./cmd/manager --local-control-plane=auto --crd-dir=config/crd/bases

.PHONY: demo
demo: envtest-assets e2e-tools manifests ## Start a local stack (control plane, Argo, kwok, the operator), run examples/quickstart forward and back, leave it running.
	KUBEBUILDER_ASSETS=$(ASSETS) ARGO_CRD_DIR=$(ARGO_CRD_DIR) DRPLAN_E2E_TOOLS=$(E2E_TOOLS_DIR) go run ./test/demo up

.PHONY: demo-down
demo-down: ## Stop what make demo left running.
	go run ./test/demo down

.PHONY: install
install: manifests ## Install the CRDs into the current cluster.
	kubectl apply --server-side -f config/crd/bases

.PHONY: uninstall
uninstall: ## Remove the CRDs (and with them every DR object) from the current cluster.
	kubectl delete --ignore-not-found -f config/crd/bases

.PHONY: deploy
deploy: manifests ## Deploy the operator (config/default, needs cert-manager) into the current cluster; IMG sets the image.
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
