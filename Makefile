# idswap — `make help` lists the targets. Every tool is pinned: templ and staticcheck as go tools
# in go.mod, golangci-lint by version below (run with `go run`, so its large dependency tree stays
# out of go.mod).
.DEFAULT_GOAL := help
GO ?= go
GOLANGCI_LINT ?= github.com/golangci/golangci-lint/v2/cmd/golangci-lint@v2.15.0

.PHONY: help run test tidy generate check-generated fmt vet staticcheck imports lint race fuzz bench build docker-check

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

run: ## run the portal on embedded defaults (SQLite in ./data, simulator, demo data) at http://127.0.0.1:8080
	$(GO) run ./cmd/idswap serve --demo

test: tidy vet check-generated fmt staticcheck imports race fuzz ## everything CI runs: tidy, vet, generated code, gofmt, staticcheck, imports, race tests, fuzz

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

fmt: ## fail if a Go file is not gofmt-formatted
	@files=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$files" ]; then echo "gofmt wants to change:"; echo "$$files"; exit 1; fi

race: ## every test, with the race detector
	$(GO) test -race -count=1 -timeout 12m ./...

fuzz: ## fuzz the identifier parsers for a few seconds
	$(GO) test -run='^$$' -fuzz=FuzzParse -fuzztime=10s ./internal/ident

bench: ## the benchmarks (request checks, engine throughput, audit search)
	$(GO) test -run='^$$' -bench=. -benchmem -timeout 30m ./...

build: ## a static binary in ./bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/idswap ./cmd/idswap
