#!/usr/bin/env bash
# Manual end-to-end check of `advisor-desk-cli sync` against the sandbox with the real
# keychain (Secret Service). Needs secret-tool (libsecret-tools), sqlite3, curl, python3.
#   cargo build -p advisor-desk-cli
#   KEYRING_HERMETIC=1 scripts/with-keyring.sh crates/providers/scripts/cli-sync-e2e.sh
# Connections are inserted directly (the CLI has no "add connection" command); keys and
# tokens go to the keychain under the names the app uses.
set -euo pipefail
BIN=${BIN:-target/debug/advisor-desk-cli}
D=$(mktemp -d)
export ADVISOR_DESK_DATA_DIR=$D/data
export ADVISOR_DESK_KEYRING_SERVICE=advisor-desk-e2e-$$
PORT=18377
$BIN sandbox serve --port $PORT > $D/sandbox.log 2>&1 &
SPID=$!
trap 'kill $SPID 2>/dev/null || true' EXIT
sleep 2
$BIN clients add --name "E2E Client" > /dev/null
store() { printf '%s' "$2" | secret-tool store --label="$1" service "$ADVISOR_DESK_KEYRING_SERVICE" username "$1" target default application rust-keyring; }
store provider/flanks/client_id sbx-flanks-client-advisor-desk
store provider/flanks/client_secret sbx-secret-flanks-client-7f3c9e21d84b4a0f9c6e5b2a1d0c8f47
store provider/flinks/customer_id 43387ca6-0391-4c82-857d-70d95f087ecb
store provider/flinks/secret_key sbx-secret-flinks-auth-key-2c8e4f1a9b7d4e6c8a0f3b5d7e9c1a2b
store provider/flinks/api_key sbx-secret-flinks-api-key-5e1d9c7b3a2f4e8d9c6b0a1f2e3d4c5b
BOOK=$(curl -s http://127.0.0.1:$PORT/_sandbox/book)
i=0
for prov in flanks flinks; do
  TOKEN=$(printf '%s' "$BOOK" | python3 -c "import json,sys; print([x['token'] for x in json.load(sys.stdin) if x['provider']=='$prov'][0])")
  HASH=$(printf '%s' "$TOKEN" | sha256sum | cut -c1-64)
  REF="connection/${HASH:0:32}"
  store "$REF" "$TOKEN"
  FLOW=$([ $prov = flanks ] && echo flanks_link || echo flinks_connect)
  sqlite3 $ADVISOR_DESK_DATA_DIR/advisor-desk.sqlite3 "INSERT INTO connections (client_id, provider, flow, secret_ref, token_hash, created_at, updated_at) VALUES (1,'$prov','$FLOW','$REF','$HASH','2026-01-01T00:00:00.000Z','2026-01-01T00:00:00.000Z')"
done
export ADVISOR_DESK_FLANKS_BASE_URL=http://127.0.0.1:$PORT
export ADVISOR_DESK_FLINKS_BASE_URL=http://127.0.0.1:$PORT
echo "== sync --all --json"
$BIN sync --all --json | python3 -c "import json,sys; s=json.load(sys.stdin); print({k: s[k] for k in ('total','synced','failed','rows_written')}); [print(o['connection_id'], o['provider'], o['status'], o['result']) for o in s['outcomes']]"
echo "== sync --client 1 (text)"
$BIN sync --client 1
echo "exit=$?"
echo "== secrets in the database? (expect 0)"
TOK1=$(printf '%s' "$BOOK" | python3 -c "import json,sys; print(json.load(sys.stdin)[0]['token'])")
grep -c "$TOK1" $ADVISOR_DESK_DATA_DIR/advisor-desk.sqlite3* || true
echo "== provider calls logged"
sqlite3 $ADVISOR_DESK_DATA_DIR/advisor-desk.sqlite3 "SELECT provider, endpoint, status, outcome FROM provider_calls ORDER BY id LIMIT 12"
