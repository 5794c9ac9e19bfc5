#!/usr/bin/env bash
# Installs llmspell: Deno (from npm, when absent), the dependencies, then either a compiled
# single executable (`deno compile`) or, when Deno's compile runtime cannot be downloaded,
# a launcher that runs the same program with the local Deno, offline.
#
#   bash install.sh                 # installs ./bin/llmspell
#   PREFIX=$HOME/.local bash install.sh
#   LOCAL_MODELS=1 bash install.sh  # also fetches node-llama-cpp (~700 MB) for local GGUF models
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PREFIX=${PREFIX:-$ROOT}
cd "$ROOT"
source "$ROOT/scripts/ensure_deno.sh"

echo "caching dependencies" >&2
"$DENO" install --quiet >&2
# Local GGUF models load node-llama-cpp at their first call. It is kept out of deno.json
# (docs/decisions/0025-local-gguf-models.md), so it is fetched here, into Deno's cache, only
# when asked for: the launcher runs offline and finds it there.
if [ "${LOCAL_MODELS:-}" = 1 ]; then
  echo "caching node-llama-cpp for local models (~700 MB)" >&2
  "$DENO" cache --quiet --no-config --no-lock "npm:node-llama-cpp@3.21.1" >&2
fi

mkdir -p "$PREFIX/bin"
TARGET="$PREFIX/bin/llmspell"
# The V8 flags of src/engine/host/v8_flags.ts: glue.wasm's compile hints, and no optimizing
# compile of Lua's VM during the engine's own start-up.
V8_FLAGS="--v8-flags=--experimental-wasm-compilation-hints,--wasm-tiering-budget=50000000"
# The same flags as `deno task compile`: the worker and glue.wasm are loaded at run time.
if "$DENO" compile -A "$V8_FLAGS" --include src/engine/worker/worker.ts \
  --include node_modules/wasmoon/dist/glue.wasm -o "$TARGET.tmp" main.ts \
  >/dev/null 2>"$ROOT/.compile.log"; then
  mv "$TARGET.tmp" "$TARGET"
  rm -f "$ROOT/.compile.log"
  echo "installed $TARGET (compiled single executable)" >&2
else
  rm -f "$TARGET.tmp" "$ROOT/.compile.log"
  # The launcher runs the JavaScript bundle (scripts/build.ts): it starts ~10 ms sooner than
  # the TypeScript sources.
  echo "building $ROOT/dist" >&2
  "$DENO" run -A --quiet --cached-only scripts/build.ts >&2
  cat > "$TARGET" <<LAUNCHER
#!/bin/sh
# llmspell launcher: runs $ROOT/dist/cli/main.js (bundled from main.ts) with Deno $DENO_VERSION, offline.
exec "$DENO" run -A --quiet --no-prompt --no-config --cached-only $V8_FLAGS "$ROOT/dist/cli/main.js" "\$@"
LAUNCHER
  chmod +x "$TARGET"
  echo "deno compile could not get its runtime (no network to Deno's download site):" >&2
  echo "installed $TARGET as a launcher that runs the same program with $DENO" >&2
fi

# Shell completions, generated from the command tree.
install -D -m 644 completions/llmspell.bash "$PREFIX/share/bash-completion/completions/llmspell"
install -D -m 644 completions/_llmspell "$PREFIX/share/zsh/site-functions/_llmspell"
install -D -m 644 completions/llmspell.fish "$PREFIX/share/fish/vendor_completions.d/llmspell.fish"
echo "installed completions under $PREFIX/share" >&2
echo "try: $TARGET run examples/hello.lua" >&2
