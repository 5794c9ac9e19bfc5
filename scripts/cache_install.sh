# Sourced by scripts/ensure_code_server.sh and scripts/ensure_jupyterlab.sh: an install into
# llmspell's cache that is built in a temporary sibling and renamed into place at the end, so
# that an interrupted install never looks complete and two runs at once do not write into the
# same tree.
CACHE=${LLMSPELL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/llmspell}

# cache_begin NAME: sets WORK to a new temporary directory in the cache, removed on exit
# unless cache_commit has renamed it.
cache_begin() {
  mkdir -p "$CACHE"
  WORK=$(mktemp -d "$CACHE/.$1-install.XXXXXX")
  trap 'rm -rf "$WORK"' EXIT
}

# cache_commit DIR: renames WORK to DIR; when another run was first, its DIR stays (and WORK
# goes on exit).
cache_commit() {
  if mv -T "$WORK" "$1" 2>/dev/null; then
    trap - EXIT
  else
    echo "another run installed $1 first" >&2
  fi
}
