#!/usr/bin/env bash
# Prepares a Debian 12 machine with Node 20 to build, run and test mynumber-vault.
# Safe to run again: installs only what is missing, reinstalls npm packages only
# when package-lock.json changed, then proves the native modules load.
set -euo pipefail
cd "$(dirname "$0")/.."

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
node_minor=$(node -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ] || { [ "$node_major" -eq 20 ] && [ "$node_minor" -lt 19 ]; }; then
  echo "setup: Node.js 20.19 or newer is required (found $(node --version 2>/dev/null || echo none))." >&2
  exit 1
fi

# socat: serial pty pairs for device tests; chromium + CJK fonts: browser tests and PDF reports; poppler-utils: the report tests read the PDFs (pdftotext, pdftoppm);
# libusb/libudev: node-hid's Linux binding loads them; python3, make, g++: node-gyp builds the SQLite cipher module;
# the linter for shell scripts (the tests run shellcheck on scripts/ and device/udev/);
# mmdebstrap and systemd-container (systemd-nspawn): test/appliance boots a Debian 12 machine with
# systemd and installs the appliance in it;
# libreoffice-calc-nogui: the CSV export is opened in a real spreadsheet to prove no cell is a formula;
# testssl.sh: scripts/check-tls.sh checks the offered protocols and ciphers;
# pcscd + libccid: the contactless card reader (マイナンバーカード); libpcsclite-dev: node-gyp builds the
# PC/SC binding (smartcard) against it; vsmartcard-vpcd: the virtual reader the card tests drive;
# iproute2 (ip): the virtual reader's private pcscd gets a loopback of its own that acknowledges at once.
# p7zip-full (7z): the filing tests open the AES-256 ZIP handover as a recipient would.
# e2fsprogs (mkfs.ext4): the storage fault tests make a small ext4 the kernel remounts read-only under the service;
# util-linux (setpriv): they run the CLI as another user, for whom a file can be unreadable (root reads anything).
# faketime + libfaketime: the system-clock fault test runs the CLI with its clock set back (LD_PRELOAD).
packages=(socat chromium fonts-noto-cjk libusb-1.0-0 libudev1 python3 make g++ ca-certificates shellcheck poppler-utils
  mmdebstrap systemd-container libreoffice-calc-nogui testssl.sh pcscd libccid libpcsclite-dev vsmartcard-vpcd
  iproute2 p7zip-full e2fsprogs util-linux faketime libfaketime)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

stamp=node_modules/.mnvault-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "setup: installing npm packages (the SQLite cipher module compiles from source; this takes a few minutes)"
  npm ci --no-audit --no-fund
  echo "$want" > "$stamp"
fi

node -e "
  const Database = require('better-sqlite3-multiple-ciphers');
  const v = new Database(':memory:').prepare('select sqlite3mc_version() v').get().v;
  require('node-hid');
  require('@serialport/bindings-cpp');
  require('smartcard');
  console.log('setup: native modules load (' + v + ')');
"
