#!/usr/bin/env bash
# The demo: SOP 6.1 (resource monitoring and maintenance) from request to
# report, on the lab's real hosts.  A petugas asks, the penanggung jawab signs
# (6.1 names no Pimpinan, critical services or not), the run records the
# load of srv1, frees its disk, and the reports come out in both languages.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: needs root (the lab uses network namespaces)" >&2; exit 2; }

DEMO=${SOP_DEMO_DIR:-/var/lib/sop-pusatdata-demo}
rm -rf "$DEMO"
mkdir -p "$DEMO"
export SOP_DATA_DIR="$DEMO/data" SOP_KEY_DIR="$DEMO/keys" SOP_TRUST_FILE="$DEMO/trust.yml"
SOP=.venv/bin/sop
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

say "Lab up (gw, srv1, srv2, backup, rtr1, ext)"
.venv/bin/python -m sop_runner.lab up >/dev/null
trap '[ -n "${SOP_DEMO_KEEP_LAB:-}" ] || .venv/bin/python -m sop_runner.lab down >/dev/null' EXIT

say "Each operator makes a key; it stays in its owner's key dir (0600)"
for who in budi:petugas sari:penanggung_jawab ahmad:pimpinan; do
  $SOP keys init --as "${who%%:*}" --roles "${who##*:}" >/dev/null
done
pub() { .venv/bin/python -c "import sys; from sop_runner import keys; print(keys.public_key_b64(keys.load_key(__import__('pathlib').Path(sys.argv[1]), sys.argv[2])))" "$SOP_KEY_DIR" "$1"; }

say "Root makes the trust root: the Pimpinan's root key, the store, the inventory, the registry, the issuer"
witness() { .venv/bin/python -c "import json,sys; print(json.load(open('/var/lib/sop-lab/state.json'))['witness'][sys.argv[1]])" "$1"; }
.venv/bin/python -m sop_runner.trust.init --trust-file "$SOP_TRUST_FILE" --root-key "ahmad=$(pub ahmad)" \
  --store "sqlite:///$DEMO/data/sop.db" --inventory "$PWD/inventory/lab" --registry "$DEMO/registry" \
  --witness-ssh "$(witness user)@$(witness address):$(witness port)" \
  --witness-key "$(witness identity_file)" --witness-known-hosts "$(witness known_hosts)" \
  --issuer-socket /run/sop-pusatdata-demo/issuer.sock --ca-key /var/lib/sop-lab/ca/user_ca \
  --controller-address 10.77.1.1

say "The issuer (root) holds the lab's CA key; only it signs the certificates the hosts accept"
.venv/bin/python -m sop_runner.issuer serve --trust-file "$SOP_TRUST_FILE" >"$DEMO/issuer.out" 2>&1 &
ISSUER=$!
trap 'kill $ISSUER 2>/dev/null; [ -n "${SOP_DEMO_KEEP_LAB:-}" ] || .venv/bin/python -m sop_runner.lab down >/dev/null' EXIT
for _ in $(seq 100); do [ -S /run/sop-pusatdata-demo/issuer.sock ] && break; sleep 0.05; done

say "The Pimpinan signs the operators registry (version 1)"
{
  echo "operators:"
  for who in budi:petugas:"Budi Santoso":"Petugas Pusat Data" \
             sari:penanggung_jawab:"Sari Wulandari":"Penanggung Jawab Pusat Data" \
             ahmad:pimpinan:"Ahmad Fauzi":"Kepala Dinas Komunikasi dan Informatika"; do
    IFS=: read -r name role full jabatan <<<"$who"
    printf '  - {name: %s, unix_user: %s, roles: [%s], public_key: %s, full_name: "%s", jabatan: "%s"}\n' \
      "$name" "$name" "$role" "$(pub "$name")" "$full" "$jabatan"
  done
} > "$DEMO/operators.yml"
$SOP operators propose "$DEMO/operators.yml" --out "$DEMO/operators-v1.draft.json"
$SOP operators sign --as ahmad "$DEMO/operators-v1.draft.json"
$SOP operators show

ssh -F /var/lib/sop-lab/ssh/config srv1 \
  'mkdir -p /var/tmp/sop-demo && touch -d "45 days ago" /var/tmp/sop-demo/cache-lama.tmp && touch /var/tmp/sop-demo/cache-baru.tmp'

say "sop show 6.1"
$SOP show 6.1

say "Petugas budi makes the request (the work order)"
$SOP request 6.1 --target srv1 --param cleanup_path=/var/tmp/sop-demo --param max_age_days=30 \
  --reason "Pemantauan berkala dan pembersihan disk srv1" --as budi
$SOP impact 1
$SOP status 1

say "Without approvals the gated repair does not run"
$SOP run 1 --as budi --confirm 2="beban CPU/RAM normal" --confirm 3="resume dikirim" \
  --confirm 4="disk perlu dibersihkan" || echo "(stopped at the gate, as it must)"

say "Plain ansible-playbook is gated the same way"
.venv/bin/ansible-playbook -i inventory/lab/hosts.yml playbooks/resource_repair.yml -l srv1 \
  -e '{"sop_request": 1, "sop_params": {"cleanup_path": "/var/tmp/sop-demo", "max_age_days": 30}}' 2>&1 | grep -E "sop_gate|fatal" | head -n 2 || true

say "Penanggung jawab sari signs; the run resumes"
$SOP approve 1 --as sari --reason "setuju, di luar jam layanan"
$SOP status 1
$SOP run 1 --as budi --confirm 6="laporan diserahkan ke penanggung jawab"

say "Reports (Indonesian and English)"
$SOP report 1
$SOP report 1 --lang en
sed -n '1,60p' "$SOP_DATA_DIR/reports/request-1/laporan-6.1-1-id.md"

say "The PDF is the document the records produced (sop verify; one edited byte is refused)"
$SOP verify "$SOP_DATA_DIR/reports/request-1/laporan-6.1-1-id.pdf"

say "Audit trail"
$SOP audit show --last 40
$SOP audit verify
echo
echo "demo: records in $DEMO (SOP_DATA_DIR=$SOP_DATA_DIR); lab is taken down now (SOP_DEMO_KEEP_LAB=1 keeps it)"
