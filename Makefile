# idswap — `make help` lists the targets. Every tool is pinned: templ and staticcheck as go tools
# in go.mod, golangci-lint by version below (run with `go run`, so its large dependency tree stays
# out of go.mod).
.DEFAULT_GOAL := help
GO ?= go
GOLANGCI_LINT ?= github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

.PHONY: help run test tidy generate check-generated fmt vet staticcheck imports lint race fuzz bench bench-rate build docker-check sqlserver-statements check-sqlserver-statements tsql-parse load screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

run: ## run the portal on embedded defaults (SQLite in ./data, simulator, demo data) at http://127.0.0.1:8080
	$(GO) run ./cmd/idswap serve --demo

test: tidy vet check-generated check-sqlserver-statements tsql-parse fmt staticcheck imports race fuzz ## everything CI runs: tidy, vet, generated code, SQL Server statements current and parsed, gofmt, staticcheck, imports, race tests, fuzz

tidy: ## fail if go.mod or go.sum is not what `go mod tidy` would write
	$(GO) mod tidy -diff

vet: ## go vet
	$(GO) vet ./...

staticcheck: ## staticcheck (the version pinned in go.mod)
	$(GO) tool staticcheck ./...

imports: ## fail on an import the README's Layout table does not allow (internal/archtest)
	$(GO) test -count=1 ./internal/archtest

lint: ## golangci-lint with .golangci.yml; not part of `make test` (its first build takes ~12 min)
	$(GO) run $(GOLANGCI_LINT) run ./...

generate: ## regenerate the templ views
	$(GO) tool templ generate

check-generated: generate ## fail if the committed *_templ.go files differ from what templ generates
	@if [ -n "$$(git status --porcelain -- '*_templ.go')" ]; then \
		git status --porcelain -- '*_templ.go'; \
		echo "generated templ code is stale: run 'make generate' and commit the result"; exit 1; fi

STATEMENTS := internal/store/testdata/sqlserver-statements.json
TSQL_PARSE ?= ../shared/tools/tsql-parse/tsql-parse.js

sqlserver-statements: ## re-record every SQL Server statement and migration batch (runs the store tests)
	IDSWAP_SQLSERVER_STATEMENTS=$(CURDIR)/$(STATEMENTS) $(GO) test -count=1 ./internal/store/

check-sqlserver-statements: sqlserver-statements ## fail if the committed SQL Server statement record is stale
	@if [ -n "$$(git status --porcelain -- $(STATEMENTS))" ]; then \
		git --no-pager diff --stat -- $(STATEMENTS); \
		echo "the SQL Server statement record is stale: run 'make sqlserver-statements' and commit the result"; exit 1; fi

tsql-parse: ## parse every recorded SQL Server statement with the shared T-SQL parser (skips without node or the tool)
	@if ! command -v node >/dev/null 2>&1; then echo "tsql-parse: SKIPPED, node is not installed"; exit 0; fi; \
	if [ ! -f "$(TSQL_PARSE)" ]; then echo "tsql-parse: SKIPPED, $(TSQL_PARSE) is missing"; exit 0; fi; \
	out=$$(mktemp); node "$(TSQL_PARSE)" $(STATEMENTS) "$$out" || { rm -f "$$out"; exit 1; }; \
	node -e 'const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); const bad = r.filter(x => !x.ok); for (const b of bad) console.log("does not parse: " + b.id + "\n  " + b.errors.join("\n  ")); console.log("tsql-parse: " + (r.length - bad.length) + " of " + r.length + " statements parse"); process.exit(bad.length ? 1 : 0)' "$$out"; rc=$$?; rm -f "$$out"; exit $$rc

fmt: ## fail if a Go file is not gofmt-formatted
	@files=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$files" ]; then echo "gofmt wants to change:"; echo "$$files"; exit 1; fi

# The four slowest packages are named first: go test starts them in this order, two at a time on
# CI's 2 cores, so the long ones overlap and the short ones fill in at the end.
race: ## every test, with the race detector
	$(GO) test -race -count=1 -timeout 14m ./cmd/idswap ./internal/process ./web ./internal/store ./...

# Budgets are counts, not durations: Go 1.26's fuzz coordinator can report its own -fuzztime
# deadline as a failure ("context deadline exceeded", golang/go#75804, fixed in Go 1.27), which
# failed a CI run with no failing input. Minimizing a long new input under a time budget also
# stalled runs for up to a minute; a count bounds it. About 7-12 s on the 2-core machine.
fuzz: ## fuzz the identifier parsers (40,000 inputs)
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=40000x -fuzzminimizetime=200x ./internal/ident

bench: ## the benchmarks (request checks, engine throughput, audit search)
	$(GO) test -run='^$$' -bench=. -benchmem -timeout 30m ./...

load: build ## offer 8,000 req/s for 10 s to a status endpoint of a fresh demo server on loopback; report rate, p50/p99, 503s, 500s, peak RSS
	$(GO) run ./cmd/idswap-load --bin bin/idswap --rate 8000 --duration 10s

screenshots: ## regenerate docs/screenshots from the real demo in Chromium (not part of make test)
	IDSWAP_SCREENSHOTS=$(CURDIR)/docs/screenshots IDSWAP_REQUIRE_BROWSER=1 $(GO) test -count=1 -run '^TestScreenshots$$' -v ./cmd/idswap | grep -E 'wrote|FAIL|ok'

bench-rate: ## one serve and two worker processes on one SQLite file share IDSWAP_CARRIER_RATE=20 against the simulator limiting at 20/s, a 600-row request through the API; then serve alone (about 75 s)
	$(GO) test -run='^$$' -bench=CarrierRateAcrossProcesses -benchtime=1x -timeout 15m ./cmd/idswap

build: ## a static binary in ./bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/idswap ./cmd/idswap
