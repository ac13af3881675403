#!/usr/bin/env bash
# The Izium case end to end on the embedded SQLite default: init, keys, import,
# two local witnesses (started and stopped here) that cosign the checkpoint, show,
# history, discrepancies, a proof verified offline against a witness policy, verify, the
# evidence path (an archived article, a redaction, a withheld document), and the ledger
# published to demo/site/, cloned back from the site alone and verified.
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
step tally cases define izium --name "Izium mass burial site" \
  --description "Bodies and graves found in the Pishchanske cemetery forest after the city's liberation, their exhumation, identification and reburial." \
  --place "Izium, Kharkiv region, Ukraine" --period 2022-09-16/2025-11-24 --key recorder

# Two witnesses on 127.0.0.1, each with its key and state under TALLY_HOME; stopped on
# exit, whatever happens, and removed from the ledger at the end.
pids=()
stop_witnesses() { if [ ${#pids[@]} -gt 0 ]; then kill "${pids[@]}" 2>/dev/null || true; wait "${pids[@]}" 2>/dev/null || true; fi; pids=(); }
trap stop_witnesses EXIT
log_vkey=$(tally --json witnesses list | python3 -c 'import json,sys; print(json.load(sys.stdin)["log_vkey"])')
# A removed witness's name is never configured again: a rerun, whose ledger removed the
# last run's witnesses, names its own anew (w1-2, ...).
started=()
start_witness() {
  local name dir listen url vkey
  name=$(tally --json witnesses list | python3 -c 'import json,sys
listed = json.load(sys.stdin); base = name = sys.argv[1]; n = 1
removed = {w["name"] for w in listed["removed"]}
while name in removed: n += 1; name = f"{base}-{n}"
print(name)' "$1")
  dir="$TALLY_HOME/witnesses/$name"
  started+=("$name")
  vkey=$(tally --json witness init --name "$name.witness.example" --dir "$dir" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["vkey"])')
  tally witness add-log tally.example/izium --vkey "$log_vkey" --dir "$dir" >/dev/null
  listen=$(tally --json witnesses list | python3 -c 'import json,sys; print(next((w["url"].split("//")[1] for w in json.load(sys.stdin)["witnesses"] if w["name"] == sys.argv[1]), "127.0.0.1:0"))' "$name")
  rm -f "$dir/url"
  tally witness serve --listen "$listen" --dir "$dir" >"$dir/url" 2>"$dir/serve.log" &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$dir/url" ] && break; sleep 0.1; done
  url=$(head -n 1 "$dir/url" 2>/dev/null || true)
  if [ -z "$url" ]; then echo "witness $name did not start: $(cat "$dir/serve.log")" >&2; exit 1; fi
  printf 'witness %s %s\n' "$name" "$vkey" >> demo/policy.txt
  if [ "$listen" = "127.0.0.1:0" ]; then step tally witnesses add "$name" --url "$url" --vkey "$vkey"; fi
}
rm -f demo/policy.txt
start_witness w1
start_witness w2
printf 'group both all %s %s\nquorum both\n' "${started[@]}" >> demo/policy.txt
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
  'import json,sys; print(next(s["public_key"] for s in json.load(sys.stdin)["signers"] if s["role"] == "operator"))')
step tally verify-proof demo/proof.json --checkpoint demo/checkpoint.txt --operator-key "$operator" \
  --policy demo/policy.txt
step tally verify --operator-key "$operator" --policy demo/policy.txt
# the ledger as a static site, then cloned back from the files alone and audited
rm -rf demo/site demo/replica.db demo/replica.db-wal demo/replica.db-shm demo/replica.db.staging* demo/replica.db.lock
step tally publish demo/site --base-url https://tally.example/izium/
step tally --db demo/replica.db clone demo/site --operator-key "$operator"
# the claims in the formats other tools read (docs/interop.md), next to the site; the
# QuickStatements map points every figure at the Wikidata sandbox item, not a real one
rm -rf demo/exports && mkdir -p demo/exports
# the Izium figures only: a rerun's ledger also holds the evidence example's
step tally export --format jsonld --figure izium/ -o demo/exports/izium.jsonld
step tally export --format datapackage --figure izium/ -o demo/exports/datapackage
step tally export --format prov-json --figure izium/ -o demo/exports/izium.prov.json
step tally export --format quickstatements --figure izium/ \
  --map examples/izium/wikidata-map.json -o demo/exports/izium.quickstatements.txt
step tally export --format vc --figure izium/ -o demo/exports/izium.credentials.json
step tally --db demo/replica.db verify --operator-key "$operator"
step tally --db demo/replica.db show izium/burial-site/bodies-exhumed
# the evidence path on the same ledger (an archived article, anchored quotes, a quote
# redacted and a document withheld by the operator's signed orders), published again and
# followed by the replica; the witnesses stay up for its checkpoint
bash examples/evidence/demo.sh
stop_witnesses
# stopped for good: removed, so later checkpoints and publishes do not ask them
for name in "${started[@]}"; do
  step tally witnesses remove "$name" --reason "the demo stopped this witness"
done
printf '\nThe ledger is in %s (keys in %s). Try:\n  export TALLY_HOME=%s TALLY_DB=%s\n  .venv/bin/tally show izium/burial-site/graves\nThe operator public key (--operator-key): %s\n' \
  "$TALLY_DB" "$TALLY_HOME" "$TALLY_HOME" "$TALLY_DB" "$operator"
