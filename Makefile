# idswap — `make help` lists the targets. Every tool is pinned in go.mod (templ is a go tool).
.DEFAULT_GOAL := help
GO ?= go

.PHONY: help run test generate check-generated fmt vet race fuzz bench build docker-check screenshots

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk 'BEGIN {FS = ":.*## "}; {printf "  %-18s %s\n", $$1, $$2}'

run: ## run the portal on embedded defaults (SQLite in ./data, simulator, demo data) at http://127.0.0.1:8080
	$(GO) run ./cmd/idswap serve --demo

test: vet check-generated fmt race fuzz ## everything CI runs: vet, generated code current, gofmt, race tests, a short fuzz

vet: ## go vet
	$(GO) vet ./...

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

screenshots: ## regenerate docs/screenshots from the real demo in Chromium (not part of make test)
	IDSWAP_SCREENSHOTS=$(CURDIR)/docs/screenshots IDSWAP_REQUIRE_BROWSER=1 $(GO) test -count=1 -run '^TestScreenshots$$' -v ./cmd/idswap | grep -E 'wrote|FAIL|ok'

build: ## a static binary in ./bin
	CGO_ENABLED=0 $(GO) build -trimpath -ldflags='-s -w' -o bin/idswap ./cmd/idswap
