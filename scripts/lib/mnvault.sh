# shellcheck shell=bash
# Functions shared by scripts/setup.sh, scripts/install.sh and the tests. Source it; it sets no
# shell options of its own and runs nothing when sourced.

# The appliance's credential for the database key, as the unit loads it
# (LoadCredentialEncrypted=db-key:/etc/mnvault/db-key.cred).
MNV_CREDENTIAL_NAME=db-key

# The Debian packages install.sh makes sure of: chromium + CJK fonts for PDF reports; libusb/libudev
# for node-hid; python3, make, g++ for node-gyp (the SQLite cipher module); openssl for the
# fingerprint install.sh prints; pcscd + libccid for the contactless card reader (マイナンバーカード:
# pcscd owns the reader, the service talks to it over /run/pcscd/pcscd.comm) and libpcsclite-dev for
# node-gyp (the PC/SC binding links libpcsclite). systemd-creds and systemd-sysusers come with systemd
# itself. (test/appliance builds its Debian root with these.)
# shellcheck disable=SC2034 # used by the scripts that source this file
MNV_INSTALL_PACKAGES=(chromium fonts-noto-cjk libusb-1.0-0 libudev1 python3 make g++ ca-certificates openssl
  pcscd libccid libpcsclite-dev)

mnv_die() { echo "mnvault: $*" >&2; exit 1; }
mnv_say() { echo "mnvault: $*"; }

# Installs the Debian packages of the list that are missing (apt-get, as root or through sudo).
mnv_ensure_packages() {
  local missing=() p sudo=""
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ "${#missing[@]}" -gt 0 ] || return 0
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  echo "setup: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# True when NODE (default: node on PATH) is Node.js 20.19 or newer.
mnv_node_ok() {
  local node=${1:-node} major minor
  major=$("$node" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
  minor=$("$node" -p 'process.versions.node.split(".")[1]' 2>/dev/null || echo 0)
  [ "$major" -gt 20 ] || { [ "$major" -eq 20 ] && [ "$minor" -ge 19 ]; }
}

# mnv_make_credential CRED_FILE
# Makes the encrypted database credential: 32 random bytes, encrypted by systemd-creds under the
# name db-key with --with-key=auto (the TPM2 where there is one, and the host key in
# /var/lib/systemd/credential.secret, or $SYSTEMD_CREDENTIAL_SECRET when set). The plaintext only
# passes through a pipe. Refuses to replace an existing file; the result is 0600 root-only.
mnv_make_credential() {
  local cred=$1 tmp
  [ ! -e "$cred" ] || mnv_die "$cred already exists: a credential is never replaced (it would lock the vault)"
  tmp="$cred.new.$$"
  (
    umask 077
    head -c32 /dev/urandom | systemd-creds encrypt --name="$MNV_CREDENTIAL_NAME" --with-key=auto - "$tmp"
  ) || { rm -f "$tmp"; mnv_die "systemd-creds could not encrypt the database credential"; }
  chmod 0600 "$tmp"
  mv -n "$tmp" "$cred"
  [ ! -e "$tmp" ] || { rm -f "$tmp"; mnv_die "$cred appeared meanwhile: left as it is"; }
}

# mnv_with_credential CRED_FILE UID GID [NAME=SOURCE]... -- COMMAND [ARG]...
# Runs COMMAND as UID:GID with CREDENTIALS_DIRECTORY set, the way systemd would run the service:
# in a private mount namespace, a ramfs (never swapped, gone with the namespace) is mounted on an
# empty folder; systemd-creds decrypts CRED_FILE into it as db-key, and each NAME=SOURCE copies the
# file SOURCE (which may be a pipe such as <(...)) in as NAME. Those files are 0400, owned by UID.
# An argument spelled %d is replaced by the folder. The command runs with umask 077, as the unit's
# UMask=0077 would have it. Its exit status is returned.
# Needs root (mount namespace, ramfs, setpriv).
mnv_with_credential() {
  local cred=$1 uid=$2 gid=$3 rc=0 mnt
  shift 3
  local extra=()
  while [ "$#" -gt 0 ] && [ "$1" != "--" ]; do extra+=("$1"); shift; done
  [ "$#" -gt 1 ] || mnv_die "mnv_with_credential: no command after --"
  shift
  mnt=$(mktemp -d "${TMPDIR:-/tmp}/mnvault-cred.XXXXXXXX")
  # The inner script runs as root in the new namespace; what it mounts nobody outside can see.
  # shellcheck disable=SC2016 # expanded by the inner shell
  unshare --mount --propagation private -- bash -c '
    set -euo pipefail
    umask 077
    mnt=$1 cred=$2 name=$3 uid=$4 gid=$5 n=$6
    shift 6
    mount -t ramfs -o mode=0700 mnvault-credentials "$mnt"
    systemd-creds decrypt --name="$name" "$cred" "$mnt/$name"
    for ((i = 0; i < n; i++)); do
      pair=$1; shift
      cat -- "${pair#*=}" >"$mnt/${pair%%=*}"
    done
    chown -R "$uid:$gid" "$mnt"
    chmod 0400 "$mnt"/*
    chmod 0500 "$mnt"
    args=()
    for a in "$@"; do args+=("${a//%d/$mnt}"); done
    CREDENTIALS_DIRECTORY=$mnt setpriv --reuid="$uid" --regid="$gid" --clear-groups --inh-caps=-all -- "${args[@]}"
  ' mnvault-credentials "$mnt" "$cred" "$MNV_CREDENTIAL_NAME" "$uid" "$gid" "${#extra[@]}" "${extra[@]}" "$@" || rc=$?
  rmdir "$mnt"
  return "$rc"
}
