#!/usr/bin/env bash
# Installs JupyterLab's debugger client (npm @jupyterlab/debugger and @jupyterlab/services) into a
# cache keyed by version, once (~370 MB, under a minute), and bundles the parts that
# tests/jupyterlab/ drives (DebuggerSession, DebuggerConfig, the services' managers) with esbuild
# into one ES module that Deno imports: @jupyterlab/debugger's ES modules import each other without
# file extensions, which neither Deno nor Node resolves. Prints the bundle's path on stdout;
# progress goes to stderr. Nothing is fetched but from the npm registry.
set -euo pipefail
DEBUGGER_VERSION=4.6.4
SERVICES_VERSION=7.6.6
ESBUILD_VERSION=0.28.2
source "$(dirname "${BASH_SOURCE[0]}")/cache_install.sh"
DIR="$CACHE/jupyterlab-debugger-$DEBUGGER_VERSION"
BUNDLE="$DIR/jupyterlab_debugger.js"
if [ -f "$BUNDLE" ]; then
  echo "$BUNDLE"
  exit 0
fi
cache_begin jupyterlab
echo "installing @jupyterlab/debugger@$DEBUGGER_VERSION from npm into $DIR" >&2
echo '{"name": "jupyterlab-debugger-client", "private": true}' >"$WORK/package.json"
(cd "$WORK" && npm install --no-audit --no-fund --loglevel=error \
    "@jupyterlab/debugger@$DEBUGGER_VERSION" "@jupyterlab/services@$SERVICES_VERSION" \
    "esbuild@$ESBUILD_VERSION" >&2)
cat >"$WORK/entry.js" <<'ENTRY'
export { DebuggerSession } from "@jupyterlab/debugger/lib/session.js";
export { DebuggerConfig } from "@jupyterlab/debugger/lib/config.js";
export { ServerConnection, SessionManager, KernelManager } from "@jupyterlab/services";
ENTRY
# platform browser: the services' browser build, which takes the WebSocket it is given instead
# of requiring Node's `ws`.
"$WORK/node_modules/.bin/esbuild" "$WORK/entry.js" --bundle --format=esm --platform=browser \
  --log-level=warning --outfile="$WORK/jupyterlab_debugger.js" >&2
cache_commit "$DIR"
echo "$BUNDLE"
