#!/usr/bin/env bash
# Hookline quickstart: the commands of README.md's "Quickstart", in order, with checks between them.
# A fresh registry + editor worker (./hookline up, which builds the platform and the tiny-world
# model on first use), four role tokens, two batches of the demo facts, review, release to prod, a
# serving node answering with an edited fact, and a rollback that brings the old answer back.
#   scripts/quickstart.sh
# Environment (defaults in brackets): HOOKLINE_DATA [a new directory under /tmp], QUICKSTART_PORT
# [8080] (registry; the worker's metrics use the next port), QUICKSTART_SERVE_PORT [8090],
# QUICKSTART_TIMEOUT [1800] seconds for the whole run. Exits 0 only when every step worked; stops
# everything it started (registry, worker, serving node) on exit. Logs: $HOOKLINE_DATA/*.log.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
PORT="${QUICKSTART_PORT:-8080}"
SERVE_PORT="${QUICKSTART_SERVE_PORT:-8090}"
TIMEOUT="${QUICKSTART_TIMEOUT:-1800}"
START=$SECONDS
step() { printf '[%4ds] %s\n' "$((SECONDS - START))" "$*" >&2; }
fail() { step "FAILED: $*"; exit 1; }

PIDS=()
cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
}
trap cleanup EXIT
trap 'fail "interrupted"' INT TERM
( trap 'kill "$s" 2>/dev/null; exit 0' TERM; sleep "$TIMEOUT" & s=$!; wait "$s" || exit 0
  echo "quickstart: over ${TIMEOUT}s, stopping" >&2; kill -TERM $$ ) 2>/dev/null &
WATCHDOG=$!
PIDS+=("$WATCHDOG")

# 1. Where the platform keeps its data, and where the CLI finds the registry.
export HOOKLINE_DATA="${HOOKLINE_DATA:-$(mktemp -d /tmp/hookline-quickstart.XXXXXX)}" HOOKLINE_REGISTRY="http://localhost:$PORT"
step "data in $HOOKLINE_DATA, registry $HOOKLINE_REGISTRY"

# 2. Registry + editor worker; a new data directory gets the tiny-world model built and registered.
mkdir -p "$HOOKLINE_DATA"; ./hookline up --port "$PORT" > "$HOOKLINE_DATA/up.log" 2>&1 &
PIDS+=("$!")

# 3. Wait for the model (the first run builds the platform first).
./hookline model wait tiny-world --token-file "$HOOKLINE_DATA/admin-token" --timeout "$TIMEOUT" > /dev/null || { tail -n 30 "$HOOKLINE_DATA/up.log" >&2; fail "no model"; }
step "model tiny-world registered"

# 4. The admin token, then one token per role.
export HOOKLINE_TOKEN=$(cat "$HOOKLINE_DATA/admin-token")
ALICE=$(./hookline token create alice --role SUBMITTER) BOB=$(./hookline token create bob --role REVIEWER) CAROL=$(./hookline token create carol --role RELEASER) NODE=$(./hookline token create node-1 --role SERVING)
step "tokens for alice (SUBMITTER), bob (REVIEWER), carol (RELEASER), node-1 (SERVING)"

# 5. Two batches of the demo facts (CounterFact layout, written beside the model), the recommended method.
FACTS="$HOOKLINE_DATA/models/tiny-world/world/counterfact.json"
B1=$(./hookline batch submit --token "$ALICE" --model tiny-world --file "$FACTS" --count 10)
B2=$(./hookline batch submit --token "$ALICE" --model tiny-world --file "$FACTS" --skip 10 --count 10)
step "batches $B1 and $B2 submitted"

# 6. Follow the second batch (a branch is computed in order) to its version: metrics and facts.
./hookline batch watch "$B2" --token "$ALICE"
step "batch $B2 computed"

# 7. Review (four eyes: bob, not the submitter alice).
./hookline version validate "b$B1" -m "facts checked" --token "$BOB" && ./hookline version validate "b$B2" -m "facts checked" --token "$BOB"

# 8. Release: prod -> batch 1's version, then batch 2's.
./hookline channel pin prod "b$B1" --token "$CAROL" && ./hookline channel pin prod "b$B2" --token "$CAROL"
step "prod released"

# 9. A serving node on prod; wait until it has loaded the version.
./hookline serve --registry "$HOOKLINE_REGISTRY" --token "$NODE" --model tiny-world --channel prod --port "$SERVE_PORT" > "$HOOKLINE_DATA/serve.log" 2>&1 &
PIDS+=("$!")
curl -sf --retry 120 --retry-connrefused --retry-delay 1 "localhost:$SERVE_PORT/q/health/ready" > /dev/null || { tail -n 30 "$HOOKLINE_DATA/serve.log" >&2; fail "serving node not ready"; }
step "serving node ready"

# 10. An edited answer (case 10 of the facts: Troukir Pivaimos plays the oboe -> banjo).
ask() { curl -s "localhost:$SERVE_PORT/v1/completions" -H 'Content-Type: application/json' -d '{"prompt": "Troukir Pivaimos plays the", "max_tokens": 2}'; }
answer=$(ask); echo "$answer"
[[ "$answer" == *banjo* ]] || fail "prod does not answer the edited fact (banjo): $answer"
step "prod answers the edited fact"

# 11. Roll prod back to batch 1's version: the old answer returns.
./hookline channel rollback prod --token "$CAROL"
for _ in $(seq 1 60); do answer=$(ask); [[ "$answer" == *banjo* ]] || break; sleep 1; done
echo "$answer"
[[ "$answer" == *oboe* ]] || fail "after the rollback prod does not answer the old fact (oboe): $answer"
./hookline channel history prod --token "$CAROL"
./hookline audit verify --token "$CAROL"
step "quickstart done in $((SECONDS - START)) s"
