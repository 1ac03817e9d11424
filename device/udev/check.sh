#!/usr/bin/env bash
# Checks the appliance's udev rules file: first the project's policy for it, then udev's own parser.
#
#   device/udev/check.sh [RULES_FILE]        (default: 71-mnvault.rules beside this script)
#
# Policy (always checked, needs only bash and awk):
#   - every rule line has a comment line directly above it, and rules are one line each;
#   - the only GROUP is mnvault-hw, the only MODE is 0660 (in particular no 0666), no OWNER;
#   - no rule runs programs (RUN, PROGRAM, IMPORT{program}) or adds the "uaccess" tag;
#   - every rule that grants access or links a node is narrowed by ENV{ID_SECURITY_TOKEN}=="1" or
#     by an ENV{MNVAULT_ROLE}== mark, and links only /dev/mnvault-* names;
#   - VIDs and PIDs are four lower-case hex digits (the vvvv/pppp placeholder is reported);
#   - the file name orders after 60-fido-id.rules and 70-uaccess.rules, before 73-seat-late.rules.
#
# Parser: `udevadm verify` where the installed udevadm has it (systemd 253 or newer; Debian 12 ships
# 252). Otherwise, as root, `udevadm test` on a virtual console device inside a private mount
# namespace, whose /etc/udev/rules.d holds only this file and whose /dev and /run are empty tmpfs,
# so nothing on the machine changes; udev reads every rules file there and names each line it
# cannot parse. That run matches no device of ours (there is no USB hardware to simulate), so it
# proves the syntax, not the matching. Set UDEVADM to use another udevadm binary.
#
# Exit status: 0 all checks that could run passed, 1 a check failed, 2 bad usage.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
rules=${1:-$here/71-mnvault.rules}
udevadm=${UDEVADM:-udevadm}
group=mnvault-hw
failed=0

if [[ ! -f $rules ]]; then
  echo "usage: $0 [RULES_FILE]  (no such file: $rules)" >&2
  exit 2
fi

fail() { echo "FAIL: $*"; failed=1; }
pass() { echo "ok:   $*"; }
note() { echo "note: $*"; }

# --- policy -------------------------------------------------------------------------------------

policy=$(awk -v group="$group" '
  function problem(msg) { printf "%s:%d %s\n", FILENAME, FNR, msg; bad = 1 }
  /^[ \t]*$/ { prev = ""; next }
  /^[ \t]*#/ { prev = "comment"; if ($0 ~ /0666/) problem("mentions mode 0666"); next }
  {
    line = $0
    if (prev != "comment") problem("rule without a comment line directly above it")
    prev = "rule"
    if (line ~ /\\$/) problem("line continuation: keep each rule on one line")
    if (line ~ /0666/) problem("mode 0666")
    if (line ~ /(^|[ ,])OWNER[+:]?=/) problem("sets OWNER")
    if (line ~ /(^|[ ,])(RUN|PROGRAM)(\{[^}]*\})?[+:]?=/ || line ~ /IMPORT\{program\}/) problem("runs a program")
    if (line ~ /TAG\+?=+"uaccess"/ && line !~ /TAG-="uaccess"/) problem("adds the uaccess tag")
    s = line
    while (match(s, /MODE[:]?="[^"]*"/)) {
      v = substr(s, RSTART, RLENGTH); sub(/^MODE[:]?="/, "", v); sub(/"$/, "", v)
      if (v != "0660") problem("MODE \"" v "\" (only 0660 is allowed)")
      s = substr(s, RSTART + RLENGTH)
    }
    s = line
    while (match(s, /GROUP[:]?="[^"]*"/)) {
      v = substr(s, RSTART, RLENGTH); sub(/^GROUP[:]?="/, "", v); sub(/"$/, "", v)
      if (v != group) problem("GROUP \"" v "\" (only " group " is allowed)")
      s = substr(s, RSTART + RLENGTH)
    }
    if (line ~ /(GROUP|MODE|SYMLINK)[+:]?=/ && line !~ /ENV\{ID_SECURITY_TOKEN\}=="1"/ && line !~ /ENV\{MNVAULT_ROLE\}=="[a-z]+"/)
      problem("grants access or links a node without an ENV{ID_SECURITY_TOKEN} or ENV{MNVAULT_ROLE} condition")
    s = line
    while (match(s, /SYMLINK\+?="[^"]*"/)) {
      v = substr(s, RSTART, RLENGTH); sub(/^SYMLINK\+?="/, "", v); sub(/"$/, "", v)
      if (v !~ /^mnvault-[a-z]+$/) problem("links \"" v "\" (only mnvault-* names)")
      s = substr(s, RSTART + RLENGTH)
    }
    s = line
    while (match(s, /ATTRS\{id(Vendor|Product)\}=="[^"]*"/)) {
      v = substr(s, RSTART, RLENGTH); sub(/^[^"]*"/, "", v); sub(/"$/, "", v)
      if (v == "vvvv" || v == "pppp") placeholder = 1
      else if (v !~ /^[0-9a-f][0-9a-f][0-9a-f][0-9a-f]$/) problem("VID/PID \"" v "\" is not four lower-case hex digits")
      s = substr(s, RSTART + RLENGTH)
    }
  }
  END { if (placeholder) print "PLACEHOLDER"; exit bad }
' "$rules")  && policy_rc=0 || policy_rc=$?

if grep -q '^PLACEHOLDER$' <<<"$policy"; then
  note "the PIN pad line still holds the vvvv:pppp placeholder: no PIN pad is granted until the pad's VID:PID is filled in"
fi
if [[ $policy_rc -eq 0 ]]; then
  pass "policy (comments, group, mode, narrowing, names, hex)"
else
  grep -v '^PLACEHOLDER$' <<<"$policy" || true
  fail "policy"
fi

name=$(basename "$rules")
order=$(printf '%s\n' 60-fido-id.rules 70-uaccess.rules 73-seat-late.rules "$name" | LC_ALL=C sort | tr '\n' ' ')
if [[ $order == "60-fido-id.rules 70-uaccess.rules $name 73-seat-late.rules " ]]; then
  pass "file name $name orders after 70-uaccess.rules and before 73-seat-late.rules"
else
  fail "file name $name must order after 60-fido-id.rules and 70-uaccess.rules and before 73-seat-late.rules"
fi

# --- udev's parser ------------------------------------------------------------------------------

if ! command -v "$udevadm" >/dev/null 2>&1; then
  note "udevadm not found: udev's parser was not run"
elif "$udevadm" verify --help >/dev/null 2>&1; then
  if getent group "$group" >/dev/null; then resolve=early; else resolve=never; note "group $group does not exist here: names not resolved"; fi
  if "$udevadm" verify --resolve-names="$resolve" "$rules"; then
    pass "udevadm verify"
  else
    fail "udevadm verify"
  fi
elif [[ $(id -u) -ne 0 ]] || ! command -v unshare >/dev/null 2>&1; then
  note "$("$udevadm" --version 2>/dev/null | head -n1 || echo '?'): no 'udevadm verify' (systemd 253+), and the fallback needs root and unshare: udev's parser was not run"
else
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  cp "$rules" "$work/$name"
  cp /etc/group "$work/group"
  if ! getent group "$group" >/dev/null; then
    note "group $group does not exist here: added for this check only, inside the namespace"
    echo "$group:x:64999:" >>"$work/group"
  fi
  device=
  for d in /sys/class/tty/tty0 /sys/class/mem/null; do [[ -e $d ]] && { device=$d; break; }; done
  # shellcheck disable=SC2016 # the inner script expands its own variables
  inner='
    set -e
    mount -t tmpfs mnvault-check /etc/udev/rules.d
    cp "$WORK/$NAME" /etc/udev/rules.d/
    mount --bind "$WORK/group" /etc/group
    mount -t tmpfs mnvault-check /run
    mount -t tmpfs mnvault-check /dev
    "$UDEVADM" test --action=add "$DEVICE" 2>&1
  '
  if [[ -z $device ]]; then
    note "no virtual device to run 'udevadm test' on: udev's parser was not run"
  elif ! out=$(unshare --mount --propagation private env WORK="$work" NAME="$name" UDEVADM="$udevadm" DEVICE="$device" sh -c "$inner"); then
    note "could not run 'udevadm test' in a private mount namespace: udev's parser was not run"
    [[ -n ${out:-} ]] && tail -n 5 <<<"$out"
  elif ! grep -qF "Reading rules file: /etc/udev/rules.d/$name" <<<"$out"; then
    fail "udevadm test did not read $name"
  elif complaints=$(grep "^/etc/udev/rules.d/$name:" <<<"$out"); then
    echo "${complaints//\/etc\/udev\/rules.d\/$name/$rules}"
    fail "udevadm test (systemd $("$udevadm" --version)) complained about $name"
  else
    pass "udevadm test (systemd $("$udevadm" --version), no 'verify'): $name parses without a complaint"
  fi
fi

exit "$failed"
