#!/usr/bin/env bash
# Installs what the tests need (Deno from npm; Debian packages when run as root) and runs
# the whole suite. The last line is "N passed, N failed".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source "$ROOT/scripts/ensure_deno.sh"

# chromium and libkrb5-dev: the real VS Code test (tests/vscode/code_server_test.ts) shows
# code-server in Chromium, and code-server's native modules build against Kerberos.
PACKAGES=(lua5.4 tzdata tmux zsh fish python3-zmq jupyter-client jupyter-console python3-jupyter-kernel-test
  chromium libkrb5-dev)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "installing Debian packages: ${missing[*]}" >&2
    apt-get update -qq >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  else
    echo "error: missing Debian packages: ${missing[*]} (run as root, or apt-get install them)" >&2
    exit 1
  fi
fi

"$DENO" install --quiet

# code-server (npm, with the Node 24 it needs) for the real VS Code test: installed into
# ~/.cache/llmspell/ the first time (~6 minutes, ~600 MB), found there at once later.
echo "code-server: $(bash "$ROOT/scripts/ensure_code_server.sh")" >&2

# Static checks first: formatting, lint and types are part of the standard.
echo "static checks: deno fmt --check, deno lint, deno check" >&2
"$DENO" fmt --check >&2
"$DENO" lint >&2
"$DENO" check main.ts src/ tests/ bench/ scripts/ >&2

# Fill Deno's transpile cache for the program once, so that the first kernels the tests start
# (several at once, on a fresh clone) do not all compile the same modules under load.
"$DENO" run -A main.ts exec 'print("warm")' >/dev/null

LOG=$(mktemp)
set +e
NO_COLOR=1 "$DENO" test -A --parallel tests/ 2>&1 | tee "$LOG"
status=${PIPESTATUS[0]}
set -e
summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$LOG" | tail -n 1)
rm -f "$LOG"
passed=$(echo "$summary" | sed -E 's/.*\| ([0-9]+) passed.*/\1/')
failed=$(echo "$summary" | sed -E 's/.*\| ([0-9]+) failed.*/\1/')
echo "${passed:-0} passed, ${failed:-0} failed"
exit "$status"
