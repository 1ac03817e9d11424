#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Installs (or updates) mynumber-vault on a Debian 12 machine, from a checkout of this repository.
#
#   sudo scripts/install.sh [--admin-user NAME] [--admin-name NAME]
#                           [--admin-password-file FILE] [--admin-pin-file FILE]
#                           [--networks "192.168.10.0/24,..."] [--port N]
#                           [--prebuilt] [--reuse-node-modules] [--root DIR] [--backup-dir DIR]
#
# What it lays down (owners and modes are checked by test/packaging/install.test.ts):
#   /opt/mnvault/                                  the built app, root:root, 0755 dirs / 0644 files
#   /etc/systemd/system/mnvault.service            the hardened unit (systemd/mnvault.service)
#   /etc/systemd/system/mnvault.service.d/10-networks.conf   IPAddressAllow= from MNVAULT_ALLOWED_NETWORKS
#   /etc/systemd/system/mnvault.service.d/20-backup.conf     ReadWritePaths=-DIR, with --backup-dir DIR
#   /usr/lib/sysusers.d/mnvault.conf               user mnvault, groups mnvault and mnvault-hw
#   /usr/lib/tmpfiles.d/mnvault.conf               /var/lib/mnvault 0700, /etc/mnvault 0750 root:mnvault
#   /etc/udev/rules.d/71-mnvault.rules             device access for mnvault-hw (device/udev/)
#   /usr/local/bin/mnvault                         the command line, run as the service (scripts/mnvault)
#   /etc/mnvault/mnvault.env                       site settings, 0640 root:mnvault (kept once written)
#   /etc/mnvault/db-key.cred                       the encrypted database key, 0600 root:root (never replaced)
#   /var/lib/mnvault/                              the vault, made by `mnvault init` as mnvault (never replaced)
#
# --networks and --port seed /etc/mnvault/mnvault.env on the first run; after that the file is the
# place to change them (then run install.sh again: it rewrites the network drop-in from it).
#
# Safe to run again: it updates the app and the unit, and leaves the vault, the credential, the
# settings file and a site-edited udev rules file as they are. A second run with nothing new changes
# nothing.
#
# --root DIR installs into DIR instead of / (for CI and for inspection): no packages, no systemctl or
# udevadm, and the host key of systemd-creds is DIR/var/lib/systemd/credential.secret. It still needs
# root: the files get their real owners, by the numeric ids that systemd-sysusers gives the users in
# DIR/etc/passwd and DIR/etc/group, and `mnvault init` runs as that uid as it would on the machine.
#
# The database key never lands on disk: see mnv_with_credential in scripts/lib/mnvault.sh.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(dirname "$here")
# shellcheck source=lib/mnvault.sh
. "$here/lib/mnvault.sh"

usage() { sed -n '3,9p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

root=/
admin_user=""
admin_name=""
password_file=""
pin_file=""
networks=${MNVAULT_ALLOWED_NETWORKS:-}
port=""
prebuilt=0
reuse_modules=0
backup_dir=""
while [ "$#" -gt 0 ]; do
  case $1 in
    --root) root=${2:?--root needs a folder}; shift 2 ;;
    --admin-user) admin_user=${2:?}; shift 2 ;;
    --admin-name) admin_name=${2:?}; shift 2 ;;
    --admin-password-file) password_file=${2:?}; shift 2 ;;
    --admin-pin-file) pin_file=${2:?}; shift 2 ;;
    --networks) networks=${2:?}; shift 2 ;;
    --port) port=${2:?}; shift 2 ;;
    --prebuilt) prebuilt=1; shift ;;
    --backup-dir) backup_dir=${2:?--backup-dir needs a folder}; shift 2 ;;
    --reuse-node-modules) reuse_modules=1; shift ;;
    -h | --help) usage ;;
    *) echo "install.sh: unknown option $1" >&2; usage ;;
  esac
done

[ "$(id -u)" -eq 0 ] || mnv_die "run install.sh as root (sudo scripts/install.sh)"
root=$(cd "$root" && pwd)
R=${root%/}
live=0
[ -n "$R" ] || live=1
NODE=/usr/bin/node

# --- packages and Node ----------------------------------------------------------------------------
# The list and what each is for: MNV_INSTALL_PACKAGES in scripts/lib/mnvault.sh.
if [ "$live" = 1 ]; then
  mnv_ensure_packages "${MNV_INSTALL_PACKAGES[@]}"
fi
if ! mnv_node_ok "$NODE"; then
  mnv_die "Node.js 20.19 or newer is needed at $NODE (found $("$NODE" --version 2>/dev/null || echo none)); install it, e.g. from NodeSource's Debian packages"
fi
for tool in systemd-creds systemd-sysusers systemd-tmpfiles unshare setpriv; do
  command -v "$tool" >/dev/null || mnv_die "$tool is missing (part of systemd / util-linux)"
done

changed=0
note_change() { changed=1; mnv_say "$*"; }

# install_file SRC DEST MODE: copies when the content or mode differs; root:root.
install_file() {
  local src=$1 dest=$2 mode=$3
  if [ -f "$dest" ] && cmp -s "$src" "$dest" && [ "$(stat -c %a "$dest")" = "${mode#0}" ]; then return 0; fi
  install -D -o 0 -g 0 -m "$mode" "$src" "$dest"
  note_change "installed ${dest#"$R"}"
}

# --- user, groups and folders ----------------------------------------------------------------------
[ "$R" = "" ] || chmod 0755 "$root"
install -d -o 0 -g 0 -m 0755 "$R/etc" "$R/usr/lib" "$R/var/lib"
install_file "$repo/systemd/sysusers.d/mnvault.conf" "$R/usr/lib/sysusers.d/mnvault.conf" 0644
install_file "$repo/systemd/tmpfiles.d/mnvault.conf" "$R/usr/lib/tmpfiles.d/mnvault.conf" 0644
if [ "$live" = 1 ]; then
  systemd-sysusers mnvault.conf
  systemd-tmpfiles --create mnvault.conf
else
  systemd-sysusers --root="$R" mnvault.conf
  systemd-tmpfiles --root="$R" --create mnvault.conf
fi
uid=$(awk -F: '$1 == "mnvault" { print $3 }' "$R/etc/passwd")
gid=$(awk -F: '$1 == "mnvault" { print $3 }' "$R/etc/group")
if [ -z "$uid" ] || [ -z "$gid" ]; then mnv_die "systemd-sysusers did not create the user mnvault"; fi

# --- the app under /opt/mnvault ----------------------------------------------------------------------
# Built in a staging folder (the checkout is left as it is), pruned to the runtime dependencies, and
# swapped in only when it differs from what is installed.
stage=$(mktemp -d "${TMPDIR:-/tmp}/mnvault-stage.XXXXXXXX")
trap 'rm -rf "$stage"' EXIT
app="$stage/app"
mkdir -p "$app"
cp -a "$repo/package.json" "$repo/package-lock.json" "$repo/tsconfig.json" "$repo/README.md" "$repo/views" "$repo/public" "$app/"
mkdir -p "$app/src/storage"
cp -a "$repo/src/storage/migrations" "$app/src/storage/"
lock_sum=$(sha256sum "$repo/package-lock.json" | cut -d' ' -f1)
if [ "$reuse_modules" = 1 ] || { [ -f "$repo/node_modules/.mnvault-lock.sha256" ] && [ "$(cat "$repo/node_modules/.mnvault-lock.sha256")" = "$lock_sum" ]; }; then
  cp -a "$repo/node_modules" "$app/"
else
  mnv_say "installing npm packages (the SQLite cipher module compiles from source; this takes a few minutes)"
  (cd "$app" && npm ci --no-audit --no-fund >/dev/null)
fi
if [ "$prebuilt" = 1 ]; then
  [ -f "$repo/dist/src/cli/main.js" ] || mnv_die "--prebuilt: no dist/ in $repo (npm run build first)"
  cp -a "$repo/dist" "$app/"
else
  cp -a "$repo/src" "$repo/bench" "$app/"
  (cd "$app" && ./node_modules/.bin/tsc -p tsconfig.json) || mnv_die "the build (tsc) failed"
  (cd "$repo" && "$NODE" scripts/build-info.mjs "$app/dist") || mnv_die "could not record the build (scripts/build-info.mjs)"
  rm -rf "$app/src" "$app/bench"
  mkdir -p "$app/src/storage"
  cp -a "$repo/src/storage/migrations" "$app/src/storage/"
fi
(cd "$app" && npm prune --omit=dev --no-audit --no-fund --offline >/dev/null)
rm -f "$app/tsconfig.json" "$app/node_modules/.mnvault-lock.sha256"
# Caches that tools write into the checkout's node_modules (vitest's results) are not part of the app,
# and would make a second install see a change that is none.
rm -rf "$app/node_modules/.vite" "$app/node_modules/.vite-temp" "$app/node_modules/.cache"
chown -R 0:0 "$app"
chmod -R u+rwX,go+rX,go-w "$app"
tree_sum() { (cd "$1" && find . \( -type f -o -type l \) -printf '%p %m\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | sha256sum | cut -d' ' -f1; }
if [ ! -d "$R/opt/mnvault" ] || [ "$(tree_sum "$app")" != "$(tree_sum "$R/opt/mnvault")" ]; then
  install -d -o 0 -g 0 -m 0755 "$R/opt"
  rm -rf "$R/opt/mnvault.old"
  [ ! -d "$R/opt/mnvault" ] || mv "$R/opt/mnvault" "$R/opt/mnvault.old"
  mv "$app" "$R/opt/mnvault"
  chmod 0755 "$R/opt/mnvault"
  rm -rf "$R/opt/mnvault.old"
  note_change "installed the app in /opt/mnvault"
fi

# --- settings, unit, networks, udev ------------------------------------------------------------------
env_file="$R/etc/mnvault/mnvault.env"
if [ ! -f "$env_file" ]; then
  cat >"$stage/mnvault.env" <<EOT
# Settings of the mynumber-vault service (read by systemd: EnvironmentFile= in mnvault.service).
# After a change: sudo scripts/install.sh (it rewrites the network drop-in), then
# sudo systemctl restart mnvault. The variables are described in the README.
MNVAULT_PORT=${port:-8443}
MNVAULT_ALLOWED_NETWORKS=${networks:-10.0.0.0/8,172.16.0.0/12,192.168.0.0/16,fc00::/7,fe80::/10}
# MNVAULT_PUBLIC_URL=https://vault.example.local:8443/
# MNVAULT_PINPAD=vvvv:pppp
# MNVAULT_DOOR_RELAY=/dev/mnvault-relay
# MNVAULT_DOOR_SENSOR=/dev/mnvault-door
EOT
  install -o 0 -g "$gid" -m 0640 "$stage/mnvault.env" "$env_file"
  note_change "wrote /etc/mnvault/mnvault.env"
fi
# The kernel's allow-list follows the settings file, so the two never disagree.
allowed=$(sed -n 's/^MNVAULT_ALLOWED_NETWORKS=//p' "$env_file" | tail -n1 | tr ',' ' ' | xargs)
[ -n "$allowed" ] || mnv_die "MNVAULT_ALLOWED_NETWORKS is empty in /etc/mnvault/mnvault.env"
printf '# Written by scripts/install.sh from MNVAULT_ALLOWED_NETWORKS in /etc/mnvault/mnvault.env.\n[Service]\nIPAddressAllow=%s\n' "$allowed" >"$stage/10-networks.conf"
install_file "$repo/systemd/mnvault.service" "$R/etc/systemd/system/mnvault.service" 0644
install_file "$repo/scripts/mnvault" "$R/usr/local/bin/mnvault" 0755
install_file "$stage/10-networks.conf" "$R/etc/systemd/system/mnvault.service.d/10-networks.conf" 0644
# The backup folder (a mounted USB drive or NAS) is the one place outside its own the service may write.
if [ -n "$backup_dir" ]; then
  case $backup_dir in
    /*/..|/*/../*|*/./*) mnv_die "--backup-dir: give the folder plainly, without . or .." ;;
  esac
  printf '%s' "$backup_dir" | grep -Eq '^/[A-Za-z0-9._/-]+$' || mnv_die "--backup-dir: an absolute path of letters, digits, . _ - and / only"
  [ "$backup_dir" != / ] || mnv_die "--backup-dir: not the root folder"
  printf '# Written by scripts/install.sh --backup-dir. The leading - lets the service start while the drive is unplugged.\n[Service]\nReadWritePaths=-%s\n' "$backup_dir" >"$stage/20-backup.conf"
  install_file "$stage/20-backup.conf" "$R/etc/systemd/system/mnvault.service.d/20-backup.conf" 0644
fi

rules="$R/etc/udev/rules.d/71-mnvault.rules"
if [ ! -f "$rules" ]; then
  install_file "$repo/device/udev/71-mnvault.rules" "$rules" 0644
  udev_changed=1
elif ! cmp -s "$repo/device/udev/71-mnvault.rules" "$rules"; then
  # Part 1 of the file is edited per site (the PIN pad's VID:PID): keep it, offer the new one beside.
  install_file "$repo/device/udev/71-mnvault.rules" "$rules.new" 0644
  mnv_say "kept the site's /etc/udev/rules.d/71-mnvault.rules; this version's rules are in 71-mnvault.rules.new (udev ignores that name)"
  udev_changed=0
else
  udev_changed=0
fi
if [ "$live" = 1 ] && [ "$udev_changed" = 1 ]; then
  if ! { udevadm control --reload && udevadm trigger --action=change --subsystem-match=hidraw --subsystem-match=tty --subsystem-match=input; }; then
    mnv_say "udev did not reload (no udevd here?); unplug and plug the devices, or reboot"
  fi
fi

# --- the credential and the vault ----------------------------------------------------------------------
if [ "$live" = 0 ]; then
  install -d -o 0 -g 0 -m 0755 "$R/var/lib/systemd"
  export SYSTEMD_CREDENTIAL_SECRET="$R/var/lib/systemd/credential.secret"
fi
cred="$R/etc/mnvault/db-key.cred"
if [ ! -f "$cred" ]; then
  if [ -e "$R/var/lib/mnvault/vault.db" ]; then
    mnv_die "a vault exists in /var/lib/mnvault but /etc/mnvault/db-key.cred is missing: restore the credential from its backup; a new one would not open the vault"
  fi
  mnv_make_credential "$cred"
  note_change "made the encrypted database credential /etc/mnvault/db-key.cred"
fi

if [ -e "$R/var/lib/mnvault/vault.db" ]; then
  mnv_say "/var/lib/mnvault already holds a vault: left as it is"
else
  if [ -z "$admin_user" ]; then
    [ -t 0 ] || mnv_die "--admin-user is needed (no terminal to ask on)"
    read -r -p "最初の管理者のユーザー名: " admin_user
  fi
  ask_secret() { # PROMPT: reads twice without echo, prints the value
    local a b
    read -r -s -p "$1: " a </dev/tty; echo >/dev/tty
    read -r -s -p "$1（確認）: " b </dev/tty; echo >/dev/tty
    [ "$a" = "$b" ] || { echo "mnvault: the two entries differ" >&2; return 1; }
    printf '%s\n' "$a"
  }
  pw_value="" pin_value=""
  if [ -n "$password_file" ]; then
    [ -r "$password_file" ] || mnv_die "cannot read $password_file"
    pw_src=$password_file
  else
    [ -t 0 ] || mnv_die "--admin-password-file is needed (no terminal to ask on)"
    pw_value=$(ask_secret "管理者パスワード") || exit 1
    pw_src=/dev/fd/3
  fi
  if [ -n "$pin_file" ]; then
    [ -r "$pin_file" ] || mnv_die "cannot read $pin_file"
    pin_src=$pin_file
  else
    [ -t 0 ] || mnv_die "--admin-pin-file is needed (no terminal to ask on)"
    pin_value=$(ask_secret "管理者PIN（数字）") || exit 1
    pin_src=/dev/fd/4
  fi
  name_args=()
  [ -z "$admin_name" ] || name_args=(--admin-name "$admin_name")
  mnv_say "creating the vault in /var/lib/mnvault (as the user mnvault)"
  # The admin's secrets reach the ramfs through pipes; the database key is decrypted straight into it.
  mnv_with_credential "$cred" "$uid" "$gid" \
    admin-password="$pw_src" admin-pin="$pin_src" -- \
    env -i PATH=/usr/bin:/bin LANG=C.UTF-8 MNVAULT_MODE=production HOME=/nonexistent CREDENTIALS_DIRECTORY=%d \
    "$NODE" "$R/opt/mnvault/dist/src/cli/main.js" init --data "$R/var/lib/mnvault" \
    --admin-user "$admin_user" "${name_args[@]}" \
    --admin-password-file %d/admin-password --admin-pin-file %d/admin-pin \
    3< <(printf '%s\n' "$pw_value") 4< <(printf '%s\n' "$pin_value")
  unset pw_value pin_value
  changed=1
fi

# --- start ------------------------------------------------------------------------------------------
if [ "$live" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  # pcscd starts on the first connection to its socket (the card reader); the package enables it,
  # this makes sure of it on a machine where it was disabled.
  systemctl enable --now pcscd.socket >/dev/null 2>&1 || mnv_say "pcscd.socket could not be enabled: the card reader (カードで取得) will not work until it is"
  systemctl enable mnvault.service >/dev/null 2>&1
  if [ "$changed" = 1 ] || ! systemctl is-active --quiet mnvault.service; then
    systemctl restart mnvault.service
  fi
elif [ "$live" = 1 ]; then
  mnv_say "systemd is not running here: start the service after booting with systemctl start mnvault"
fi

# --- what the operator needs next ----------------------------------------------------------------------
port_now=$(sed -n 's/^MNVAULT_PORT=//p' "$env_file" | tail -n1)
host=$(hostname)
fingerprint=""
if [ -f "$R/var/lib/mnvault/tls/server.pem" ]; then
  fingerprint=$(openssl x509 -in "$R/var/lib/mnvault/tls/server.pem" -noout -fingerprint -sha256 | sed 's/^[^=]*=//')
fi
[ "$changed" = 1 ] || mnv_say "nothing to change: the installation is up to date"
cat <<EOT

マイナンバー金庫のインストールが完了しました。
  URL:                 https://$host:${port_now:-8443}/  (https://$host.local:${port_now:-8443}/)
  サーバー証明書の指紋: ${fingerprint:-（サービスの初回起動時に作成されます）}
  ローカルCAの証明書:  /var/lib/mnvault/tls/ca.pem（各PCに信頼させてください）
  設定:                /etc/mnvault/mnvault.env

回復コードは初回作成時に一度だけ上に表示されます。印刷するか書き写し、金庫（耐火金庫など）に
保管してください。このPCの中や、PCと同じ場所には置かないでください。
/etc/mnvault/db-key.cred（暗号化されたデータベース鍵）とバックアップは、回復コードと別の場所に
保管してください。TPMやこのPCのホスト鍵がないと復号できないため、PCの交換時は手順書に従ってください。
EOT
