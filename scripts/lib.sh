# Shared steps of scripts/run and scripts/test: install what is missing, build the SPA.
# Nothing here downloads a prebuilt binary: tools come from crates.io, npm and Debian.

set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# Must equal the wasm-bindgen version in Cargo.lock (frontend/Cargo.toml pins it).
WASM_BINDGEN_VERSION="0.2.130"

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

ensure_rust() {
  command -v cargo >/dev/null || { echo "Rust is required: install rustup from your distribution or rustup.rs" >&2; exit 1; }
  # rust-toolchain.toml names the toolchain and the wasm32 target; rustup installs both on demand.
  rustup show active-toolchain >/dev/null
  rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown
}

ensure_wasm_bindgen() {
  if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
    say "Installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (built from crates.io, a few minutes once)"
    # Without --locked: its lockfile names a webpki-roots version the registry no longer serves.
    cargo install wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
  fi
}

ensure_node() {
  command -v npm >/dev/null || { say "Installing Node.js and npm (Debian)"; as_root apt-get update; as_root apt-get install -y nodejs npm; }
}

npm_install() { # dir
  if [ ! -d "$1/node_modules" ] || [ "$1/package-lock.json" -nt "$1/node_modules" ]; then
    (cd "$1" && npm ci --no-audit --no-fund)
    touch "$1/node_modules"
  fi
}

# schemathesis from PyPI in a project-local virtualenv (target/ is already ignored by git).
SCHEMATHESIS_VERSION="4.32.5"
SCHEMATHESIS="$ROOT/target/schemathesis/bin/schemathesis"
ensure_schemathesis() {
  if [ "$("$SCHEMATHESIS" --version 2>/dev/null | awk '{print $3}')" != "$SCHEMATHESIS_VERSION" ]; then
    say "Installing schemathesis $SCHEMATHESIS_VERSION (PyPI, virtualenv under target/)"
    python3 -m venv "$ROOT/target/schemathesis" || { as_root apt-get install -y python3-venv && python3 -m venv "$ROOT/target/schemathesis"; }
    "$ROOT/target/schemathesis/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
  fi
}

# zeep (PyPI), a WSDL-driven SOAP client, in the same virtualenv: it talks to the RENAPO
# simulator as third-party clients of RENAPO's service do.
ZEEP_VERSION="4.3.1"
ensure_zeep() {
  ensure_schemathesis
  if ! "$ROOT/target/schemathesis/bin/python" -c "import zeep, sys; sys.exit(zeep.__version__ != '$ZEEP_VERSION')" 2>/dev/null; then
    say "Installing zeep $ZEEP_VERSION (PyPI, same virtualenv)"
    "$ROOT/target/schemathesis/bin/pip" install --quiet "zeep==$ZEEP_VERSION"
  fi
}

# pdftotext reads generated PDFs back in the tests (an independent reader of our letters).
ensure_poppler() {
  if ! command -v pdftotext >/dev/null; then
    say "Installing poppler-utils (Debian) for the PDF tests"
    as_root apt-get update
    as_root apt-get install -y poppler-utils
  fi
}

# pg_dump and pg_restore, for `backup` and `restore` on PostgreSQL (their tests run when a
# PostgreSQL server is given).
ensure_pg_client() {
  if [ -n "${CONFRONTAS_TEST_PG_URL:-}" ] && ! command -v pg_dump >/dev/null; then
    say "Installing postgresql-client (Debian) for the PostgreSQL backup tests"
    as_root apt-get update
    as_root apt-get install -y postgresql-client
  fi
}

ensure_chromium() {
  if [ ! -x /usr/bin/chromium ]; then
    say "Installing Chromium (Debian) for the browser tests"
    as_root apt-get update
    as_root apt-get install -y chromium
  fi
}

# Builds the SPA into frontend/dist: wasm (size profile), wasm-bindgen, npm binaryen's wasm-opt
# (Debian's binaryen 108 silently breaks Leptos wasm, so it is never used).
build_web() {
  ensure_rust
  ensure_wasm_bindgen
  ensure_node
  npm_install frontend
  say "Building the web app (wasm)"
  cargo build -p confrontas-web --target wasm32-unknown-unknown --profile wasm-release
  local out="frontend/dist"
  rm -rf "$out" && mkdir -p "$out"
  wasm-bindgen --target web --no-typescript --out-dir "$out" --out-name confrontas-web \
    target/wasm32-unknown-unknown/wasm-release/confrontas-web.wasm
  frontend/node_modules/.bin/wasm-opt -Oz -o "$out/confrontas-web_bg.wasm" "$out/confrontas-web_bg.wasm"
  local version
  version="$(sha256sum "$out/confrontas-web_bg.wasm" "$out/confrontas-web.js" frontend/style.css | sha256sum | cut -c1-12)"
  for file in index.html boot.js; do sed "s/__VERSION__/$version/g" "frontend/$file" > "$out/$file"; done
  cp frontend/style.css frontend/favicon.svg "$out/"
  local wasm="$out/confrontas-web_bg.wasm"
  printf 'SPA bundle: wasm %s bytes (%s gzip), js %s bytes (%s gzip)\n' \
    "$(stat -c %s "$wasm")" "$(gzip -9c "$wasm" | wc -c)" \
    "$(stat -c %s "$out/confrontas-web.js")" "$(gzip -9c "$out/confrontas-web.js" | wc -c)"
}
