# Folio — the two commands: `make run` (set up, build, open the app) and
# `make test` (set up, run every test). See README.md.

export PATH := /usr/local/go/bin:$(HOME)/go/bin:$(PATH)
export GOTOOLCHAIN ?= auto
export OMP_THREAD_LIMIT := 1

BIN      := bin/folio
PKGS     := ./...
# The race pass: the packages whose own goroutines share state (sessions,
# stores, the sync engine, the archive, the code set searched from many).
# The front ends (cli, ui) drive them and run in the plain pass; under the
# race detector they took more than half of CI's 20 minutes.
PUREPKGS := ./app/... ./crypto/... ./storage/... ./profile/... ./archive/... ./syncer/... ./codeset/...
# What builds without cgo (no MuPDF, Tesseract or Fyne): the archive server,
# a static binary for a headless server, and the packages under it. Only
# scan/pageread reads pages through cgo, and ui draws the window.
NOCGOPKGS := ./cmd/folio-archive ./archive/... ./syncer/... ./storage/... ./crypto/... ./app/... ./codeset/...
FUZZTIME ?= 10s
SOAK     ?= 2000

.PHONY: run build deps test test-race fuzz bench soak fmt vet lint screenshots package clean

run: build
	./$(BIN) $(if $(FOLIO_DATA),--data "$(FOLIO_DATA)")

deps:
	@scripts/deps.sh $(DEPS_FOR)

build: DEPS_FOR = run
build: deps
	go build -o $(BIN) .

# Every test; the pure-Go packages also under the race detector; and the
# build without cgo. The race pass is -short: the tests that kill or run
# whole folio processes (crash, kill, e2e, long fault runs) check what
# survives a process, which the plain pass does, not goroutines within one;
# and its scan workers are bin/folio, built as users run it (see
# pageread.ServeIfWorker), as the worker's own code runs in the plain pass.
test: DEPS_FOR = test
test: deps
	go vet $(PKGS)
	CGO_ENABLED=0 go build $(NOCGOPKGS)
	go test -count=1 -timeout 15m $(PKGS)
	go build -o $(BIN) .
	FOLIO_WORKER_MEM_MB=0 FOLIO_SCAN_WORKER_BINARY=$(CURDIR)/$(BIN) go test -count=1 -race -short -timeout 15m $(PUREPKGS)

# Short runs of every fuzz target.
fuzz:
	scripts/fuzz.sh $(FUZZTIME)

# Benchmarks, with the figures BENCHMARKS.md quotes.
bench: DEPS_FOR = bench
bench: deps
	scripts/bench.sh

# The crash test, many more kills than `make test` does; then, as root, a
# day's sync over a link with the netem profile (600 ms, 10 % loss,
# 64 kbit/s each way; see TestNetemSoak in syncer/netem_test.go).
soak:
	FOLIO_CRASH_KILLS=$(SOAK) go test -count=1 -run TestCrash -timeout 60m ./profile/
	@if [ "$$(id -u)" = 0 ]; then \
		echo "FOLIO_NETEM=1 go test -count=1 -run TestNetemSoak -timeout 90m -v ./syncer/"; \
		FOLIO_NETEM=1 go test -count=1 -run TestNetemSoak -timeout 90m -v ./syncer/; \
	else \
		echo "skipping the netem soak: needs root"; \
	fi

fmt:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet:
	go vet $(PKGS)

lint:
	go run honnef.co/go/tools/cmd/staticcheck@v0.8.2 $(PKGS)

# Real-window screenshots under Xvfb into docs/screenshots/ (1366x768) and
# docs/screenshots/1024x600/.
screenshots: DEPS_FOR = test
screenshots: deps build
	scripts/screenshots.sh
	SCREEN=1024x600 scripts/screenshots.sh

package: deps
	go tool fyne package -os linux --release

clean:
	rm -rf bin
