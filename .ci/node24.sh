# Source this file (`. .ci/node24.sh`) to put Node.js 24 LTS first on PATH; .ci/run and the
# README's commands do. These machines still ship Node 20 (end-of-life since April 2026).
# Node 24 comes from the npm registry's `node` package, pinned:
#   npm install --no-save --no-package-lock --prefix ~/.cache/rdp-fix-node node@24.21.0
# (the one registry the machines reach; nothing is downloaded from anywhere else). A shell
# that already runs a Node 24 is left alone. Safe under `set -euo pipefail`.
RDPFIX_NODE_VERSION=24.21.0
RDPFIX_NODE_PREFIX="${RDPFIX_NODE_PREFIX:-${HOME:-/root}/.cache/rdp-fix-node}"
if ! node -e 'process.exit(process.versions.node.startsWith("24.") ? 0 : 1)' 2>/dev/null; then
  rdpfix_node_bin="$RDPFIX_NODE_PREFIX/node_modules/node/bin"
  if [ "$("$rdpfix_node_bin/node" --version 2>/dev/null || true)" != "v$RDPFIX_NODE_VERSION" ]; then
    npm install --no-save --no-package-lock --prefix "$RDPFIX_NODE_PREFIX" "node@$RDPFIX_NODE_VERSION" >&2
  fi
  export PATH="$rdpfix_node_bin:$PATH"
  # Native addons must build against Node 24's headers, which the node-<platform>-<arch>
  # package ships; the machine's npm config points node-gyp at Node 20's (/usr).
  rdpfix_node_dist="$RDPFIX_NODE_PREFIX/node_modules/node/node_modules/node-$(node -p 'process.platform + "-" + process.arch')"
  if [ -d "$rdpfix_node_dist/include/node" ]; then
    export npm_config_nodedir="$rdpfix_node_dist"
  fi
  unset rdpfix_node_bin rdpfix_node_dist
fi
