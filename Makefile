# The two README commands: `make demo` and `make test`.
GO      ?= go
# github.com/ardanlabs/jinja v1.12.0 (chat templates) needs Go 1.27; the Go
# module proxy serves this approved toolchain and go fetches it on first use.
ifeq ($(filter-out local,$(GOTOOLCHAIN)),)
export GOTOOLCHAIN := go1.27.3
endif
BIN     := bin
PKGS    := ./...
FUZZTIME ?= 60s
STATICCHECK ?= v0.8.2

.PHONY: all build demo test deps lint vet bench bench-e2e bench-tokenize bench-drain fuzz clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

## demo: build and run the embedded demo run (no set-up needed beyond Go).
demo: build
	$(BIN)/aggregator demo

## deps: install what the tests need (Debian packages for the real peers).
deps:
	scripts/install-deps.sh

## test: the whole suite, race detector on, with its real peers installed;
## beside it, the tests the race build skips (tokoracle.NonRace), without
## -race: the differential ones (parity with the HF library, scanners
## against regexp2, templates against Jinja2) compare on one goroutine, so
## -race finds nothing there and only makes them slow; the two runs share
## the machine (the process tests mostly wait). The binaries the
## process tests run are built once, first (internal/testbin): the
## aggregator with -race, the shardworker beside it without (the daemon's
## workers only count there), and a -race shardworker in race/ for
## pkg/shard's tests of the worker itself.
TESTBIN := $(abspath $(BIN)/test)
NONRACE := Parity|ScannerVs|Oracle|CountNoAllocs
test: deps vet
	$(GO) build -race -tags testhooks -o $(TESTBIN)/ ./cmd/aggregator
	$(GO) build -race -tags testhooks -o $(TESTBIN)/race/ ./cmd/shardworker
	$(GO) build -tags testhooks -o $(TESTBIN)/ ./cmd/shardworker
	@AGGREGATOR_TEST_BINDIR=$(TESTBIN) $(GO) test -race -count=1 -parallel 4 -timeout 15m $(PKGS) & race=$$!; \
	  $(GO) test -count=1 -timeout 10m -run '$(NONRACE)' ./pkg/tokenize/... ./pkg/chattmpl; parity=$$?; \
	  wait $$race; r=$$?; \
	  if [ $$r -ne 0 ] || [ $$parity -ne 0 ]; then echo "make test: FAILED (race suite $$r, differential tests $$parity)"; exit 1; fi

vet:
	$(GO) vet $(PKGS)
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

lint: vet
	$(GO) run honnef.co/go/tools/cmd/staticcheck@$(STATICCHECK) $(PKGS)

## bench: hot-path benchmarks (decode, fold, registry, snapshot encoders).
bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 2s ./pkg/...

## bench-e2e: end-to-end throughput from a python3-zmq publisher over IPC.
bench-e2e: build deps
	scripts/bench-e2e.sh

## bench-tokenize: tokens/s vs the HF Rust library, interleaved, per model.
bench-tokenize: deps
	scripts/bench-tokenize.sh

## bench-drain: ENDED-to-final drain of 100k streaming samples, 1 vs 2 workers, vs HF.
bench-drain: deps
	scripts/bench-drain.sh

## fuzz: fuzz the frame decoder for FUZZTIME.
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzDecodeFrame -fuzztime $(FUZZTIME) -fuzzminimizetime 1s ./pkg/events/

clean:
	rm -rf $(BIN)

## docker: the container image (deploy/Dockerfile; the context is the repository).
DOCKER  ?= docker
IMAGE   ?= aggregator:latest
## dist: bin/aggregator-VERSION-GOOS-GOARCH.tar.gz, both binaries built as the image builds them.
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
DIST_FLAGS := -trimpath -buildvcs=false -ldflags='-s -w'

.PHONY: docker dist

docker:
	$(DOCKER) build -f deploy/Dockerfile -t $(IMAGE) .

dist:
	@set -e; os=$$($(GO) env GOOS); arch=$$($(GO) env GOARCH); \
	  name=aggregator-$(VERSION)-$$os-$$arch; stage=$(BIN)/.dist/$$name; \
	  rm -rf $(BIN)/.dist; mkdir -p $$stage; \
	  echo "CGO_ENABLED=1 $(GO) build $(DIST_FLAGS) -o $$stage/ ./cmd/aggregator ./cmd/shardworker"; \
	  CGO_ENABLED=1 $(GO) build $(DIST_FLAGS) -o $$stage/ ./cmd/aggregator ./cmd/shardworker; \
	  tar -C $(BIN)/.dist -czf $(BIN)/$$name.tar.gz $$name; \
	  rm -rf $(BIN)/.dist; \
	  (cd $(BIN) && sha256sum $$name.tar.gz > $$name.tar.gz.sha256); \
	  echo "$(BIN)/$$name.tar.gz"
