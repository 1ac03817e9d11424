#!/usr/bin/env bash
# Checks what a running mynumber-vault offers on TLS, with testssl.sh (protocols and
# the cipher suites per protocol only, to stay fast). Fails (exit 1) unless only
# TLS 1.2 and TLS 1.3 are offered and every TLS 1.2 suite is ECDHE with AES-GCM or
# ChaCha20-Poly1305 and every TLS 1.3 suite is AES-GCM or ChaCha20-Poly1305.
# Usage: scripts/check-tls.sh HOST:PORT
set -euo pipefail
target=${1:?usage: scripts/check-tls.sh HOST:PORT}
bin=$(command -v testssl || command -v testssl.sh || true)
if [ -z "$bin" ]; then
  echo "check-tls: testssl.sh is not installed (scripts/setup.sh installs it)" >&2
  exit 2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$bin" --quiet --color 0 --warnings off --protocols --cipher-per-proto --jsonfile "$work/result.json" "$target" >"$work/out.txt" 2>&1 || true
if [ ! -s "$work/result.json" ]; then
  cat "$work/out.txt" >&2
  echo "check-tls: testssl.sh produced no result for $target" >&2
  exit 2
fi
node - "$work/result.json" <<'JS'
const findings = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'));
const by = new Map(findings.map((f) => [f.id, f.finding]));
const problems = [];
for (const p of ['SSLv2', 'SSLv3', 'TLS1', 'TLS1_1']) {
  if (!/^not offered/.test(by.get(p) ?? '')) problems.push(`${p}: ${by.get(p) ?? 'no result'} (must not be offered)`);
}
for (const p of ['TLS1_2', 'TLS1_3']) {
  if (!/^offered/.test(by.get(p) ?? '')) problems.push(`${p}: ${by.get(p) ?? 'no result'} (must be offered)`);
}
const tls12 = /\sECDHE-(ECDSA|RSA)-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)\s/;
const tls13 = /\sTLS_(AES_(128|256)_GCM_SHA(256|384)|CHACHA20_POLY1305_SHA256)\s/;
let suites = 0;
for (const f of findings) {
  if (f.id.startsWith('cipher-tls1_2_')) { suites++; if (!tls12.test(` ${f.finding} `)) problems.push(`TLS 1.2 suite not allowed: ${f.finding.replace(/\s+/g, ' ')}`); }
  else if (f.id.startsWith('cipher-tls1_3_')) { suites++; if (!tls13.test(` ${f.finding} `)) problems.push(`TLS 1.3 suite not allowed: ${f.finding.replace(/\s+/g, ' ')}`); }
  else if (/^cipher-(ssl|tls1_)/.test(f.id) && !/^cipher-tls1_[23]_/.test(f.id)) problems.push(`suite on an old protocol: ${f.finding.replace(/\s+/g, ' ')}`);
}
if (suites === 0) problems.push('no cipher suites were found (the scan did not reach the server?)');
if (problems.length > 0) {
  for (const p of problems) console.error(`check-tls: ${p}`);
  process.exit(1);
}
console.log(`check-tls: OK (${suites} suites, TLS 1.2 and 1.3 only, ECDHE with AEAD on TLS 1.2)`);
JS
