# edge-chat: two commands on a fresh machine.
#   make dev    installs what is missing, builds, serves http://127.0.0.1:$(PORT)
#   make test   installs what is missing, builds, runs every suite (fails on the first failure)
# Everything the project needs is installed from here; nothing relies on a hand install.

SHELL := /bin/bash
.SHELLFLAGS := -e -o pipefail -c
.DEFAULT_GOAL := help

PORT ?= 8787
STATE_DIR ?= .wrangler/state
CHAT_SEND_BURST ?= 10
CHAT_SEND_PER_SEC ?= 1
# Push services whose endpoints subscriptions may use (comma-separated
# origins); empty: the browsers' own (see core/push.rs).
PUSH_ORIGINS ?=

CARGO_BIN := $(or $(CARGO_HOME),$(HOME)/.cargo)/bin
# wasm-bindgen-cli must match the wasm-bindgen in Cargo.lock exactly.
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/[^0-9.]/,""); print}' Cargo.lock)
WORKER_BUILD_VERSION := $(shell awk '/^name = "worker"$$/{getline; gsub(/[^0-9.]/,""); print}' Cargo.lock)

# worker-build would download these from GitHub, which is unreachable: point it
# at the pinned local ones (wasm-bindgen from crates.io, wasm-opt and esbuild from npm).
export WASM_BINDGEN_BIN := $(CARGO_BIN)/wasm-bindgen
export WASM_OPT_BIN := $(CURDIR)/node_modules/binaryen/bin/wasm-opt
export ESBUILD_BIN := $(CURDIR)/node_modules/esbuild/bin/esbuild
export WRANGLER_SEND_METRICS := false
export CHROMEDRIVER := /usr/bin/chromedriver
export WASM_BINDGEN_TEST_WEBDRIVER_JSON := $(CURDIR)/tests/webdriver.json
export WASM_BINDGEN_TEST_TIMEOUT := 120

RUST_SOURCES := $(shell find src -name '*.rs') Cargo.toml Cargo.lock
WORKER := build/worker/shim.mjs

.PHONY: help dev test tools browser lint unit js-unit wasm-test e2e browser-test worker bench bench-auth bench-search fuzz soak clean

help:
	@echo "make dev    - install what is missing, build, serve on http://127.0.0.1:$(PORT)"
	@echo "make test   - install what is missing, build, run every test suite"

## ---- installs (each step is skipped when already done) ----

tools: .tools/rust-target .tools/wasm-bindgen-$(WASM_BINDGEN_VERSION) .tools/worker-build-$(WORKER_BUILD_VERSION) node_modules/.installed

.tools/rust-target:
	@mkdir -p .tools
	rustup target add wasm32-unknown-unknown
	@touch $@

.tools/wasm-bindgen-$(WASM_BINDGEN_VERSION):
	@mkdir -p .tools
	@$(WASM_BINDGEN_BIN) --version 2>/dev/null | grep -qE '(^| )$(WASM_BINDGEN_VERSION)$$' || \
		cargo install wasm-bindgen-cli --version $(WASM_BINDGEN_VERSION) --force
	@touch $@

.tools/worker-build-$(WORKER_BUILD_VERSION):
	@mkdir -p .tools
	@$(CARGO_BIN)/worker-build --version 2>/dev/null | grep -qE '(^| )$(WORKER_BUILD_VERSION)$$' || \
		cargo install worker-build --version $(WORKER_BUILD_VERSION) --force
	@touch $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

# Debian's Chromium and ChromeDriver drive the wasm and browser tests.
browser:
	@command -v chromium >/dev/null && command -v chromedriver >/dev/null || \
		{ apt-get update && apt-get install -y --no-install-recommends chromium chromium-driver; }

# The local secrets, created on first use and completed when one is missing
# (a .dev.vars from before push notifications gains a VAPID key pair).
.dev.vars: FORCE
	@umask 077; touch $@
	@grep -q '^JWT_SECRET=' $@ || { printf 'JWT_SECRET=%s\n' "$$(head -c 48 /dev/urandom | base64 | tr -d '\n/+=')" >> $@; \
		echo "added a random JWT_SECRET to .dev.vars (never commit it)"; }
	@grep -q '^VAPID_PRIVATE_KEY=' $@ || { node -e "$$VAPID_KEYGEN" >> $@; \
		echo "added a VAPID key pair for push notifications to .dev.vars (never commit it)"; }

# A P-256 key pair as VAPID wants it: the private scalar and the public point, base64url.
define VAPID_KEYGEN
const k = require('crypto').generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
const pub = Buffer.concat([Buffer.from([4]), Buffer.from(k.x, 'base64url'), Buffer.from(k.y, 'base64url')]);
console.log('VAPID_PRIVATE_KEY=' + k.d + '\nVAPID_PUBLIC_KEY=' + pub.toString('base64url'));
endef
export VAPID_KEYGEN

FORCE:

## ---- build ----

# Also the wrangler.toml build command; Make skips it when nothing changed.
worker: $(WORKER)

# worker-build keeps the wasm name section (readable panic traces); the
# Worker never panics by design (clippy denies unwrap/expect), so the release
# bundle drops it: ~240 KB less to ship and to compile at each cold start.
# It also runs -Oz a second time: ~4 KB less than the single pass.
WASM_FEATURES := $(addprefix --enable-,bulk-memory nontrapping-float-to-int sign-ext mutable-globals reference-types multivalue exception-handling)

$(WORKER): $(RUST_SOURCES) | tools
	$(CARGO_BIN)/worker-build --release
	$(WASM_OPT_BIN) build/index_bg.wasm $(WASM_FEATURES) -Oz --strip-debug --strip-producers -o build/index_bg.wasm.tmp
	mv build/index_bg.wasm.tmp build/index_bg.wasm
	@touch $@

## ---- serve ----

dev: tools .dev.vars $(WORKER)
	exec npx wrangler dev --ip 127.0.0.1 --port $(PORT) --persist-to $(STATE_DIR) \
		--var CHAT_SEND_BURST:$(CHAT_SEND_BURST) --var CHAT_SEND_PER_SEC:$(CHAT_SEND_PER_SEC) \
		$(if $(PUSH_ORIGINS),--var PUSH_ORIGINS:$(PUSH_ORIGINS)) \
		--show-interactive-dev-session=false

## ---- tests ----

test: tools browser lint unit js-unit wasm-test e2e browser-test

lint: tools
	cargo fmt --check
	cargo clippy --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --all-targets -- -D warnings
	cargo clippy --target wasm32-unknown-unknown --no-default-features --all-targets -- -D warnings

unit:
	cargo test

# The web client's pure modules under node's test runner (no browser).
js-unit: node_modules/.installed
	node --test tests/unit/

# The core's whole unit suite compiled to wasm32 (the same tests as `make unit`,
# and it checks the count is the same), then the wasm-only platform tests.
wasm-test: tools browser
	@native=$$(cargo test --lib -q -- --list 2>/dev/null | grep -c ': test$$'); \
	out=$$(cargo test --target wasm32-unknown-unknown --no-default-features --lib 2>&1) || { echo "$$out"; exit 1; }; \
	echo "$$out" | grep 'test result'; \
	wasm=$$(echo "$$out" | sed -n 's/^test result: ok\. \([0-9]*\) passed.*/\1/p'); \
	[ "$$wasm" = "$$native" ] || { echo "wasm32 ran $$wasm core tests, native has $$native"; exit 1; }; \
	echo "core: $$wasm tests natively and in headless Chromium (wasm32)"
	cargo test --target wasm32-unknown-unknown --no-default-features --test wasm

e2e: tools browser .dev.vars $(WORKER)
	node tests/run.mjs e2e

browser-test: tools browser .dev.vars $(WORKER)
	node tests/run.mjs browser

bench: tools .dev.vars $(WORKER)
	cargo build --release --quiet --manifest-path bench/loadgen/Cargo.toml
	cargo build --release --quiet --manifest-path bench/tokio-ws/Cargo.toml
	cd bench/socketio && { [ node_modules/.package-lock.json -nt package-lock.json ] || npm ci --no-audit --no-fund; }
	node bench/run.mjs

# Login and token-check latency (issue: accounts); not part of make test.
bench-auth: tools .dev.vars $(WORKER)
	cargo bench --bench tokens
	node bench/auth.mjs

# Search latency: a room of 100,000 messages and a search over 50 rooms
# (bench/results/search.json); not part of make test.
bench-search: tools .dev.vars $(WORKER)
	node bench/search.mjs

# 1,000 sockets in 50 rooms for SOAK_MINUTES (default 10) with steady sends;
# prints delivery, latency, errors and server memory (bench/results/soak.json).
soak: tools .dev.vars $(WORKER)
	node bench/soak.mjs

# Fuzz/property tests with a long budget (a small one runs in make test).
# FUZZ_SEED is random unless given, and printed so a failure can be replayed.
FUZZ_CASES ?= 200000
fuzz: node_modules/.installed
	@seed=$${FUZZ_SEED:-$$RANDOM$$RANDOM}; echo "fuzz: FUZZ_SEED=$$seed FUZZ_CASES=$(FUZZ_CASES)"; \
	FUZZ_SEED=$$seed FUZZ_CASES=$(FUZZ_CASES) cargo test --release --lib fuzz_tests && \
	FUZZ_SEED=$$seed FUZZ_CASES=$(FUZZ_CASES) node --test tests/unit/

clean:
	rm -rf build target .tools
