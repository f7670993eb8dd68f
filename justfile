# Corkboard's everyday commands. `just` alone lists them.
set shell := ["bash", "-euo", "pipefail", "-c"]

# List the recipes.
default:
    @just --list

# Serve the embedded default: SQLite under ./data, http://127.0.0.1:8080.
run:
    cargo run --release

# Every test of the workspace (README's test command; set TEST_DATABASE_URL / TEST_REDIS_URL for PostgreSQL and Redis).
test:
    cargo test --workspace

# Clippy on every crate and target, warnings as errors (as CI).
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# Format every crate.
fmt:
    cargo fmt --all

# Fail when a file is not formatted (as CI).
fmt-check:
    cargo fmt --all -- --check

# Fail on a dependency edge that breaks the crate rules (shared/STYLE.md §1).
check-arch:
    bash .ci/check-arch.sh

# Run the migration CLI: `just migrate up`, `just migrate down`, `just migrate status`.
migrate *ARGS:
    cargo run --release -- migrate {{ARGS}}

# Print the OpenAPI document.
openapi:
    cargo run -q -- openapi

# Browser end-to-end test: a real OpenID Provider, the server on PostgreSQL + Redis, headless Chromium (tests/e2e/run.sh; needs /usr/bin/chromium and node).
e2e:
    bash tests/e2e/run.sh

# API fuzzer: Schemathesis over the OpenAPI document against the server on SQLite and PostgreSQL + Redis; no 5xx, every answer as documented, every error a problem document (tests/fuzz/run.sh; needs python3).
fuzz:
    bash tests/fuzz/run.sh

# Benchmark on PostgreSQL + Redis (`just bench`) or the embedded SQLite (`just bench sqlite`): release build, seed, load with wrk, report to docs/performance/ and stdout. More options: `just bench postgres --help`.
bench backend="postgres" *ARGS:
    #!/usr/bin/env bash
    set -euo pipefail
    if ! command -v wrk >/dev/null; then
        echo "just bench: installing the load generator wrk (Debian package)" >&2
        sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
        $sudo apt-get install -y wrk || { $sudo apt-get update && $sudo apt-get install -y wrk; }
    fi
    cargo build --release -p app -p corkboard-bench
    target="${CARGO_TARGET_DIR:-target}/release"
    "$target/corkboard-bench" run --server "$target/corkboard" --backend {{backend}} {{ARGS}}

# What CI runs: format, architecture, lints, tests.
ci:
    bash .ci/run
