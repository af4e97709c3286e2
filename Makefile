# zonekeeper — the commands a developer and CI use.

GO        ?= go
BIN       := bin/zonekeeper
VERSION   ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
LDFLAGS   := -s -w -X main.version=$(VERSION)
FUZZTIME  ?= 30s
DEMO_DIR  ?= $(CURDIR)/.demo/zones
DEMO_ARGS := --source=manifest --manifest=examples --provider=zonefile \
             --zonefile-dir=$(DEMO_DIR) --zonefile-zone=example.com --txt-owner-id=demo

.PHONY: all build test test-e2e dns-servers e2e-bin helm-bin externaldns-webhook-bin podman lint bench bench-scale bench-smoke soak fuzz demo docs image image-offline clean

all: lint test build

build:
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/zonekeeper

# Unit, property, conformance and end-to-end tests with the race detector; the seed
# corpora of every fuzz target run here too. End-to-end tests need the kube-apiserver and
# etcd binaries (built once, then cached: see e2e-bin), helm, external-dns's webhook
# server, and BIND9, Knot and PowerDNS (see dns-servers). Nothing is skipped for want of them,
# except the offline image's test where podman cannot be installed (see podman).
test: dns-servers e2e-bin helm-bin externaldns-webhook-bin podman
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...

# Only the tests that run real servers: the Kubernetes API, DNS servers, the daemon.
test-e2e: dns-servers e2e-bin helm-bin externaldns-webhook-bin podman
	$(GO) test -race -count=1 -timeout 30m ./test/... ./provider/rfc2136/...

# Installs BIND9, Knot and PowerDNS from Debian's packages when run as root; otherwise
# stops with the command that installs them, if any is missing.
dns-servers:
	@test/dnsserver/install.sh

# Builds kube-apiserver and etcd from the Go module proxy, or reuses the cached ones.
e2e-bin:
	@test/e2e/kube/build.sh >/dev/null

# Builds helm from the Go module proxy for the chart tests, or reuses the cached one.
helm-bin:
	@test/helm/build.sh >/dev/null

# Builds external-dns's own webhook server (a webhook provider zonekeeper's team did not
# write) for the webhook client's tests, or reuses the cached one.
externaldns-webhook-bin:
	@test/externaldns-webhook/build.sh >/dev/null

# Installs podman and runc from Debian's packages, for the offline image, when run as root
# and either is missing; otherwise says what to install (test/image then skips, except
# under CI). Nothing when both are there.
podman:
	@if command -v podman >/dev/null && command -v runc >/dev/null; then :; \
	elif [ "$$(id -u)" = 0 ]; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends podman runc ca-certificates >/dev/null; \
	else echo "podman or runc is missing: apt-get install -y podman runc as root"; fi

# The container image, for machines with Docker (see Dockerfile).
IMAGE ?= ghcr.io/zonekeeper/zonekeeper:$(VERSION)
image:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

# The same image without a registry: FROM scratch with the static binary and Debian's CA
# bundle, built with podman (see test/image/build.sh).
OFFLINE_IMAGE ?= localhost/zonekeeper:$(VERSION)
image-offline: podman
	@VERSION=$(VERSION) test/image/build.sh $(OFFLINE_IMAGE)

lint:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go'))"; \
	if [ -n "$$unformatted" ]; then echo "gofmt would change:"; echo "$$unformatted"; exit 1; fi
	$(GO) vet ./...

# Rewrites docs/flags.md from the cobra commands; `make test` fails while it is stale.
docs:
	$(GO) test ./cmd/zonekeeper -run '^TestFlagReferenceCurrent$$' -count=1 -update-docs

# Every Go benchmark, those on real servers included (the end-to-end ones take minutes),
# then the scenario harness on a real kube-apiserver with BIND9 at N = 1,000, 5,000, 10,000
# and 50,000 Ingresses and with the Route53 and Cloudflare emulators at N = 1,000, 5,000 and
# 10,000, which rewrites docs/benchmarks.md (about 95 minutes; see test/bench).
bench: e2e-bin
	$(GO) test -run '^$$' -bench . -benchmem -timeout 60m ./...
	$(GO) run ./test/bench/cmd/zkbench -out docs/benchmarks.md

# Events at scale: event latency under 20 status updates/s of background churn at N = 1,000
# to 100,000 Ingresses on a real kube-apiserver with BIND9, start to all names, RSS and CPU
# per resync after idling (about 25 minutes; docs/benchmarks.md, "Scale"). It prints its
# report rather than rewriting docs/benchmarks.md, whose tables `bench` makes.
bench-scale: e2e-bin
	$(GO) run ./test/bench/cmd/zkbench -n 1000,10000,50000,100000 -providers rfc2136 -scenarios event,idle \
		-daemon-runs 1 -runs 1 -samples 40 -idle 70s -churn-rate 20 -out ''

# A quick run of the scenario harness (N = 200, one run each), for CI.
bench-smoke: e2e-bin
	$(GO) run ./test/bench/cmd/zkbench -smoke

# The fault-injection soak (test/soak): churn on the real API server, a BIND9 behind a
# proxy that drops, stalls and fails messages, zonekeeper killed at random; at the end
# the zone must converge exactly. `make test` runs a 30 s smoke of it.
SOAK ?= 10m
soak: e2e-bin
	ZONEKEEPER_SOAK=$(SOAK) $(GO) test -count=1 -timeout 60m -run '^TestSoak$$' -v ./test/soak/ -soak.report=$(CURDIR)/soak-report.json

# Runs every fuzz target for FUZZTIME each (go test -fuzz takes one target at a time).
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for target in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "== $$pkg $$target"; \
	    $(GO) test -run '^$$' -fuzz "^$$target$$" -fuzztime $(FUZZTIME) $$pkg; \
	  done; \
	done

# Plans and applies examples/ into a zone file, then shows that nothing is left to do.
demo: build
	@rm -rf $(DEMO_DIR) && mkdir -p $(DEMO_DIR)
	@echo "== zonekeeper plan (nothing written yet)"
	@$(BIN) plan $(DEMO_ARGS)
	@echo; echo "== zonekeeper run --once"
	@$(BIN) run --once $(DEMO_ARGS)
	@echo; echo "== $(DEMO_DIR)/example.com.zone"
	@cat $(DEMO_DIR)/example.com.zone
	@if command -v named-checkzone >/dev/null; then echo; echo "== BIND's named-checkzone on it"; named-checkzone example.com $(DEMO_DIR)/example.com.zone; fi
	@echo; echo "== zonekeeper plan --detailed-exitcode (0 means nothing left to change)"
	@$(BIN) plan --detailed-exitcode $(DEMO_ARGS)

clean:
	rm -rf bin .demo
