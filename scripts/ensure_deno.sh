# Sourced by install.sh and scripts/test.sh: puts Deno 2.9.6 on PATH, installing it from
# the npm registry (the npm package carries the real binary) when it is not there.
# Sets DENO to the binary's path.
DENO_VERSION=2.9.6
deno_ok() { [ -x "$1" ] && "$1" --version 2>/dev/null | head -n 1 | grep -q "deno $DENO_VERSION"; }

# npm's configured registry is the one this machine reaches; Deno reads it from here.
if [ -z "${NPM_CONFIG_REGISTRY:-}" ] && command -v npm >/dev/null 2>&1; then
  NPM_CONFIG_REGISTRY=$(npm config get registry 2>/dev/null)
  export NPM_CONFIG_REGISTRY
fi

DENO=""
if command -v deno >/dev/null 2>&1 && deno_ok "$(command -v deno)"; then
  DENO=$(command -v deno)
else
  # Deno's own package.json must stay out of the project folder: with nodeModulesDir
  # "auto", deno would read it and try to resolve Deno's optional platform packages.
  DENO_HOME=${LLMSPELL_DENO_HOME:-${XDG_CACHE_HOME:-$HOME/.cache}/llmspell/deno-$DENO_VERSION}
  if ! deno_ok "$DENO_HOME/node_modules/.bin/deno"; then
    echo "installing Deno $DENO_VERSION from npm into $DENO_HOME" >&2
    mkdir -p "$DENO_HOME"
    (cd "$DENO_HOME" && npm install --no-audit --no-fund --loglevel=error "deno@$DENO_VERSION" >&2)
  fi
  DENO="$DENO_HOME/node_modules/.bin/deno"
  deno_ok "$DENO" || { echo "error: could not install Deno $DENO_VERSION" >&2; exit 1; }
  PATH="$(dirname "$DENO"):$PATH"
  export PATH
fi
export DENO
