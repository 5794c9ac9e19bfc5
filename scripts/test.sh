#!/usr/bin/env bash
# Installs what the tests need (Deno from npm; Debian packages when run as root) and runs
# the whole suite. The last line is "N passed, N failed".
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source "$ROOT/scripts/ensure_deno.sh"
# Deno's caches (npm packages, among them node-llama-cpp's ~700 MB of prebuilt binaries, and
# compiled modules) with the other big installs, so that a warm run downloads nothing.
export DENO_DIR=${DENO_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/llmspell/deno-dir}

# chromium and libkrb5-dev: the real VS Code test (tests/vscode/code_server_test.ts) shows
# code-server in Chromium, and code-server's native modules build against Kerberos; the
# speedscope test opens a profile in Chromium too. python3-jupyter-server: JupyterLab's
# debugger client test (tests/jupyterlab/) talks to a real Jupyter server.
# libdevel-nytprof-perl ships flamegraph.pl, the reference the flame graph writer is checked
# against (tests/profile/flamegraph_test.ts).
PACKAGES=(lua5.4 tzdata tmux zsh fish python3-zmq jupyter-client jupyter-console python3-jupyter-kernel-test
  chromium libkrb5-dev python3-jupyter-server libdevel-nytprof-perl)
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
# node-llama-cpp, which the local-model tests load, as `LOCAL_MODELS=1 bash install.sh` fetches
# it (it is not in deno.json: docs/decisions/0025-local-gguf-models.md).
"$DENO" cache --quiet --no-config --no-lock "npm:node-llama-cpp@3.21.1"

# code-server (npm, with the Node 24 it needs) for the real VS Code test: installed into
# ~/.cache/llmspell/ the first time (~6 minutes, ~600 MB), found there at once later.
echo "code-server: $(bash "$ROOT/scripts/ensure_code_server.sh")" >&2
# JupyterLab's debugger client (npm @jupyterlab/debugger and services, bundled for Deno) for
# tests/jupyterlab/: cached the same way (~370 MB, a minute or two the first time).
echo "jupyterlab debugger client: $(bash "$ROOT/scripts/ensure_jupyterlab.sh")" >&2

# Static checks first: formatting, lint and types are part of the standard.
echo "static checks: deno fmt --check, deno lint, deno check" >&2
"$DENO" fmt --check >&2
"$DENO" lint >&2
"$DENO" check main.ts src/ tests/ bench/ scripts/ >&2

# Fill Deno's transpile cache for the program once, so that the first kernels the tests start
# (several at once, on a fresh clone) do not all compile the same modules under load.
"$DENO" run -A main.ts exec 'print("warm")' >/dev/null

# The heaviest tests (a real VS Code in Chromium; the kernel's connection storm) run on their
# own after the parallel suite, so that they do not starve its timing-sensitive kernel tests
# of the machine's two cores. They are part of the run all the same.
HEAVY=(tests/vscode/code_server_test.ts tests/kernel/peer_limits_test.ts)
ignore=$(IFS=,; echo "${HEAVY[*]}")

passed=0
failed=0
status=0
# Runs deno test with the given arguments and adds its closing counts to the totals.
run_tests() {
  local log
  log=$(mktemp)
  set +e
  NO_COLOR=1 "$DENO" test -A "$@" 2>&1 | tee "$log"
  local code=${PIPESTATUS[0]}
  set -e
  local summary p f
  summary=$(grep -E '^(ok|FAILED) \| [0-9]+ passed' "$log" | tail -n 1)
  rm -f "$log"
  p=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) passed.*/\1/p')
  f=$(echo "$summary" | sed -nE 's/.*\| ([0-9]+) failed.*/\1/p')
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
  if [ "$code" -ne 0 ]; then status=$code; fi
}

run_tests --parallel --ignore="$ignore" tests/
run_tests "${HEAVY[@]}"
echo "$passed passed, $failed failed"
exit "$status"
