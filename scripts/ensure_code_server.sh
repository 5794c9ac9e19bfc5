#!/usr/bin/env bash
# Installs code-server (npm) with the Node 24 it needs (npm `node`) into a cache keyed by version,
# once: ~600 MB and ~6 minutes the first time, nothing later. Prints the cache directory on
# stdout (bin/code-server inside it runs code-server); progress goes to stderr.
# Needs Debian's libkrb5-dev to build code-server's native modules (scripts/test.sh installs it).
set -euo pipefail
CODE_SERVER_VERSION=4.139.1
NODE_MAJOR=24
source "$(dirname "${BASH_SOURCE[0]}")/cache_install.sh"
DIR="$CACHE/code-server-$CODE_SERVER_VERSION-node$NODE_MAJOR"
if [ -x "$DIR/bin/code-server" ]; then
  echo "$DIR"
  exit 0
fi
cache_begin code-server
echo "installing node@$NODE_MAJOR from npm into $DIR" >&2
(cd "$WORK" && mkdir node && cd node && npm init -y >/dev/null &&
  npm install --no-audit --no-fund --loglevel=error "node@$NODE_MAJOR" >&2)
NODE_BIN="$WORK/node/node_modules/.bin"
"$NODE_BIN/node" --version >&2
echo "installing code-server@$CODE_SERVER_VERSION from npm with that Node (several minutes)" >&2
(cd "$WORK" && mkdir cs && cd cs && npm init -y >/dev/null &&
  PATH="$NODE_BIN:$PATH" npm install --no-audit --no-fund --loglevel=error --unsafe-perm \
    "code-server@$CODE_SERVER_VERSION" >&2)
mkdir -p "$WORK/bin"
# The launcher runs code-server's own entry point with the cached Node, whatever node is on PATH.
# Paths are relative to the launcher so that the directory can be renamed into place.
cat >"$WORK/bin/code-server" <<'LAUNCHER'
#!/usr/bin/env bash
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$HERE/node/node_modules/.bin:$PATH"
exec "$HERE/node/node_modules/.bin/node" "$HERE/cs/node_modules/code-server/out/node/entry.js" "$@"
LAUNCHER
chmod +x "$WORK/bin/code-server"
# (Its own config dir: code-server writes a default config.yaml on first start.)
XDG_CONFIG_HOME="$WORK/.config" "$WORK/bin/code-server" --version >&2
rm -rf "$WORK/.config"
cache_commit "$DIR"
echo "$DIR"
