#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# Removes mynumber-vault from this machine, keeping the vault unless told otherwise.
#
#   sudo scripts/uninstall.sh [--purge [--yes]] [--root DIR]
#
# Always removed: the service (stopped and disabled), its unit and drop-ins, /opt/mnvault, the
# mnvault command in /usr/local/bin, the udev rules, the sysusers.d and tmpfiles.d snippets.
# Kept unless --purge: /var/lib/mnvault (the vault, its TLS keys), /etc/mnvault (the settings and
# db-key.cred, without which the vault cannot be opened) and the user and groups that own them, so
# that running install.sh again brings the same vault back.
# --purge also deletes those, after a typed confirmation unless --yes is given. It does not touch
# backups elsewhere, nor systemd's host key (/var/lib/systemd/credential.secret, shared with others).
# --root DIR works on DIR instead of / (no systemctl or udevadm), as install.sh --root does.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib/mnvault.sh
. "$here/lib/mnvault.sh"

usage() { sed -n '5,5p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

root=/
purge=0
yes=0
while [ "$#" -gt 0 ]; do
  case $1 in
    --root) root=${2:?--root needs a folder}; shift 2 ;;
    --purge) purge=1; shift ;;
    --yes) yes=1; shift ;;
    -h | --help) usage ;;
    *) echo "uninstall.sh: unknown option $1" >&2; usage ;;
  esac
done

[ "$(id -u)" -eq 0 ] || mnv_die "run uninstall.sh as root (sudo scripts/uninstall.sh)"
root=$(cd "$root" && pwd)
R=${root%/}
live=0
[ -n "$R" ] || live=1

if [ "$purge" = 1 ] && [ "$yes" = 0 ]; then
  [ -t 0 ] || mnv_die "--purge deletes the vault and its key for good: confirm on a terminal, or add --yes"
  echo "--purge は金庫（/var/lib/mnvault）とデータベース鍵（/etc/mnvault/db-key.cred）を完全に削除します。"
  echo "バックアップと回復コードがあっても、鍵がなければ金庫は開けません。"
  read -r -p "続けるには purge と入力してください: " answer
  [ "$answer" = "purge" ] || mnv_die "not confirmed: nothing was removed"
fi

if [ "$live" = 1 ] && [ -d /run/systemd/system ]; then
  systemctl disable --now mnvault.service 2>/dev/null || true
fi

removed() { mnv_say "removed ${1#"$R"}"; }
remove() {
  local p
  for p in "$@"; do
    if [ -e "$p" ] || [ -L "$p" ]; then rm -rf -- "$p"; removed "$p"; fi
  done
}

remove "$R/etc/systemd/system/mnvault.service" "$R/etc/systemd/system/mnvault.service.d" \
  "$R/opt/mnvault" "$R/opt/mnvault.old" "$R/usr/local/bin/mnvault" \
  "$R/etc/udev/rules.d/71-mnvault.rules" "$R/etc/udev/rules.d/71-mnvault.rules.new" \
  "$R/usr/lib/sysusers.d/mnvault.conf" "$R/usr/lib/tmpfiles.d/mnvault.conf"

if [ "$live" = 1 ]; then
  [ ! -d /run/systemd/system ] || systemctl daemon-reload
  udevadm control --reload 2>/dev/null || true
fi

if [ "$purge" = 1 ]; then
  remove "$R/var/lib/mnvault" "$R/etc/mnvault"
  rootopt=()
  [ "$live" = 1 ] || rootopt=(--root "$R")
  if grep -q '^mnvault:' "$R/etc/passwd" 2>/dev/null; then userdel "${rootopt[@]}" mnvault && mnv_say "removed the user mnvault"; fi
  for g in mnvault mnvault-hw; do
    if grep -q "^$g:" "$R/etc/group" 2>/dev/null; then groupdel "${rootopt[@]}" "$g" && mnv_say "removed the group $g"; fi
  done
else
  mnv_say "kept /var/lib/mnvault, /etc/mnvault (with db-key.cred) and the user mnvault: scripts/install.sh brings the same vault back; --purge deletes them"
fi
