#!/usr/bin/env bash
# The Izium case end to end on the embedded SQLite default: init, keys, import,
# checkpoint, show, history, discrepancies, a proof verified offline, verify, and the
# ledger published to demo/site/, cloned back from the site alone and verified.
# Leaves ./tally.db and the keys in TALLY_HOME (default ./.tally-home) to explore.
set -euo pipefail
cd "$(dirname "$0")/../.."
export TALLY_HOME="${TALLY_HOME:-$PWD/.tally-home}"
export TALLY_DB="${TALLY_DB:-$PWD/tally.db}"
mkdir -p demo
# the command in bold on a terminal, plain when the output goes to a file or a pipe
if [ -t 1 ]; then bold=$'\033[1m' plain=$'\033[0m'; else bold='' plain=''; fi
step() { printf '\n%s$ %s%s\n' "$bold" "$*" "$plain"; "$@"; }

step tally init --name tally.example/izium
tally keys list --json | grep -q '"name": "recorder"' || step tally keys new recorder
step tally signers add recorder --key recorder
step tally import examples/izium/izium.jsonl --key recorder
step tally checkpoint --output demo/checkpoint.txt
step tally show izium/burial-site/bodies-exhumed
step tally history izium/burial-site/people-unidentified
step tally history izium/burial-site/bodies-identified-reburied
step tally discrepancies
claim=$(tally --json history izium/burial-site/bodies-identified-reburied \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"][-1]["claim_id"])')
step tally provenance "$claim"
step tally proof "$claim" --output demo/proof.json
operator=$(tally --json signers list | python3 -c \
  'import json,sys; print(next(s["public_key"] for s in json.load(sys.stdin) if s["role"] == "operator"))')
step tally verify-proof demo/proof.json --checkpoint demo/checkpoint.txt --operator-key "$operator"
step tally verify --operator-key "$operator"
# the ledger as a static site, then cloned back from the files alone and audited
rm -rf demo/site demo/replica.db demo/replica.db-wal demo/replica.db-shm
step tally publish demo/site
step tally --db demo/replica.db clone demo/site --operator-key "$operator"
step tally --db demo/replica.db verify --operator-key "$operator"
step tally --db demo/replica.db show izium/burial-site/bodies-exhumed
printf '\nThe ledger is in %s (keys in %s). Try: .venv/bin/tally show izium/burial-site/graves\n' \
  "$TALLY_DB" "$TALLY_HOME"
