#!/usr/bin/env bash
# The browser end-to-end test (`just e2e`): a real OpenID Provider (deploy/oidc/provider.mjs, the
# `oidc-provider` package), the `corkboard` binary on PostgreSQL + Redis configured with that
# provider, and headless Chromium driven by playwright-core (tests/e2e/run.mjs). Everything runs
# on loopback, on free ports picked here; every process started here is stopped by its PID when
# the script ends, whatever happens.
#
# Needs: node + npm, psql, a PostgreSQL and a Redis (defaults below), /usr/bin/chromium
# (`apt-get install chromium`). Installs the node packages from the committed lockfiles when they
# are missing. Settings (all optional):
#   E2E_DATABASE_URL  a database the test may drop and recreate
#                     (default postgres://postgres@127.0.0.1:5432/corkboard_e2e_<pid>, the run's own)
#   E2E_REDIS_URL     (default redis://127.0.0.1:6379; keys under a prefix of this run, removed after)
#   CHROMIUM_PATH     (default /usr/bin/chromium)
#   E2E_RELEASE=1     test the release binary instead of the debug one
#   E2E_KEEP_LOGS=1   keep the processes' logs directory
set -euo pipefail

cd "$(dirname "$0")/../.."
root=$PWD
e2e=$root/tests/e2e

db_url=${E2E_DATABASE_URL:-postgres://postgres@127.0.0.1:5432/corkboard_e2e_$$}
redis_url=${E2E_REDIS_URL:-redis://127.0.0.1:6379}
export CHROMIUM_PATH=${CHROMIUM_PATH:-/usr/bin/chromium}

say() { printf '[e2e] %s\n' "$*"; }
die() {
  printf '[e2e] FAILED: %s\n' "$*" >&2
  exit 1
}

for tool in node npm psql cargo; do
  command -v "$tool" >/dev/null 2>&1 || die "$tool is not installed"
done
[[ -x "$CHROMIUM_PATH" ]] || die "no Chromium at $CHROMIUM_PATH (apt-get install chromium)"
for dir in "$e2e" "$root/deploy/oidc"; do
  if [[ ! -d "$dir/node_modules" ]]; then
    say "installing node packages in ${dir#"$root"/} from its lockfile"
    (cd "$dir" && npm ci --no-audit --no-fund)
  fi
done

# ---- the binary ---------------------------------------------------------------------------------
profile=debug
build_flags=()
if [[ "${E2E_RELEASE:-}" == 1 ]]; then
  profile=release
  build_flags=(--release)
fi
say "building corkboard ($profile)"
cargo build -q -p app --bin corkboard "${build_flags[@]}"
target_dir=${CARGO_TARGET_DIR:-$root/target}
bin=$target_dir/$profile/corkboard
[[ -x "$bin" ]] || die "no binary at $bin"

# ---- processes, stopped by PID on every exit -------------------------------------------------------
logs=$(mktemp -d -t corkboard-e2e.XXXXXX)
pids=()
redis_prefix="cbe2e:$$:$RANDOM:"
db_name=${db_url##*/}
db_name=${db_name%%\?*}
admin_db_url=${db_url%/*}/postgres

cleanup() {
  local rc=$?
  local pid
  for pid in "${pids[@]}"; do
    kill "$pid" 2>/dev/null || true
  done
  for pid in "${pids[@]}"; do
    wait "$pid" 2>/dev/null || true
  done
  if ((rc != 0)); then
    for log in "$logs"/*.log; do
      [[ -f "$log" ]] || continue
      printf '\n[e2e] ---- last lines of %s ----\n' "$(basename "$log")" >&2
      tail -n 40 "$log" >&2
    done
  fi
  if command -v redis-cli >/dev/null 2>&1; then
    redis-cli -u "$redis_url" --scan --pattern "${redis_prefix}*" 2>/dev/null |
      xargs -r redis-cli -u "$redis_url" del >/dev/null 2>&1 || true
  fi
  psql -q "$admin_db_url" -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" >/dev/null 2>&1 || true
  if [[ "${E2E_KEEP_LOGS:-}" == 1 ]]; then
    say "logs kept in $logs"
  else
    rm -rf "$logs"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A port nothing listens on now (the kernel picks it; the gap before use is a few milliseconds).
free_port() {
  node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# Polls `url` until it answers 2xx, while process `pid` lives; at most `seconds`.
wait_for() {
  local name=$1 url=$2 pid=$3 seconds=$4
  local deadline=$((SECONDS + seconds))
  until curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; do
    kill -0 "$pid" 2>/dev/null || die "$name exited before it was ready"
    ((SECONDS < deadline)) || die "$name not ready at $url after ${seconds}s"
    sleep 0.2
  done
  say "$name ready at $url"
}

app_port=$(free_port)
op_port=$(free_port)
[[ "$app_port" != "$op_port" ]] || op_port=$(free_port)
app_url=http://127.0.0.1:$app_port
issuer=http://127.0.0.1:$op_port
client_secret=$(node -e 'console.log(require("crypto").randomBytes(24).toString("hex"))')

say "fresh database $db_name"
PGOPTIONS='--client-min-messages=warning' psql -q -v ON_ERROR_STOP=1 "$admin_db_url" \
  -c "DROP DATABASE IF EXISTS \"$db_name\" WITH (FORCE)" \
  -c "CREATE DATABASE \"$db_name\"" >/dev/null

# ---- the OpenID Provider ---------------------------------------------------------------------------
OIDC_ISSUER=$issuer OIDC_PORT=$op_port OIDC_HOST=127.0.0.1 \
  OIDC_CLIENT_ID=corkboard OIDC_CLIENT_SECRET=$client_secret \
  CORKBOARD_PUBLIC_URL=$app_url CORKBOARD_OIDC_PROVIDER_ID=e2e \
  node "$root/deploy/oidc/provider.mjs" >"$logs/oidc-provider.log" 2>&1 &
pids+=($!)
wait_for "OpenID Provider" "$issuer/.well-known/openid-configuration" "${pids[-1]}" 30

# ---- the server ------------------------------------------------------------------------------------
cat >"$logs/corkboard.toml" <<TOML
[[oidc.providers]]
id = "e2e"
display_name = "E2E SSO"
issuer = "$issuer"
client_id = "corkboard"
client_secret = "$client_secret"
scopes = ["openid", "email", "profile"]
create_users = true
trust_email = false
TOML

server_env=(
  CORKBOARD_CONFIG="$logs/corkboard.toml"
  CORKBOARD_LISTEN="127.0.0.1:$app_port"
  CORKBOARD_PUBLIC_URL="$app_url"
  CORKBOARD_DATABASE_URL="$db_url"
  CORKBOARD_REDIS_URL="$redis_url"
  CORKBOARD_REDIS_KEY_PREFIX="$redis_prefix"
  CORKBOARD_WORKERS=false
  CORKBOARD_LOG="info,sqlx=warn"
)
env "${server_env[@]}" "$bin" serve >"$logs/corkboard.log" 2>&1 &
pids+=($!)
wait_for "corkboard" "$app_url/health/ready" "${pids[-1]}" 60

# A password account, for the sign-in form's path.
export E2E_ADMIN_EMAIL=e2e-admin@corkboard.test E2E_ADMIN_NAME="E2E Admin" E2E_ADMIN_PASSWORD="e2e admin password $RANDOM"
printf '%s\n' "$E2E_ADMIN_PASSWORD" |
  env "${server_env[@]}" "$bin" admin create --email "$E2E_ADMIN_EMAIL" --name "$E2E_ADMIN_NAME" --password-stdin \
    >"$logs/admin-create.log" 2>&1 || die "could not create the administrator (see admin-create.log)"

# ---- the browser -----------------------------------------------------------------------------------
say "running tests/e2e/run.mjs in headless Chromium ($("$CHROMIUM_PATH" --version 2>/dev/null | head -n 1))"
E2E_BASE_URL=$app_url E2E_ISSUER=$issuer E2E_PROVIDER_NAME="E2E SSO" \
  node --test --test-reporter=spec "$e2e/run.mjs"
