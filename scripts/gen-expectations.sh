#!/usr/bin/env bash
# Regenerate the tshark reference expectations for the conformance test.
#
# Usage: scripts/gen-expectations.sh [CAPTURES_DIR]
#   CAPTURES_DIR defaults to ../shared/captures (relative to the package root,
#   the same path the Swift tests use). Writes one TSV per capture file that
#   tshark can read to Tests/MallGateConformanceTests/Expectations/, named
#   <folder path with / as __>__<file name>.tsv, and removes stale TSVs.
#   Columns and tshark settings: Tests/MallGateConformanceTests/Expectations/README.md.
#
# Needs: tshark (apt install tshark), awk, sha256sum. Deterministic: running it
# twice gives byte-identical files; a diff after a run means tshark or a capture changed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
captures=${1:-../shared/captures}
captures=${captures%/}
out=Tests/MallGateConformanceTests/Expectations

command -v tshark >/dev/null || { echo "gen-expectations: tshark not found; install it with 'apt-get install tshark'" >&2; exit 1; }
[ -d "$captures" ] || { echo "gen-expectations: captures folder '$captures' not found (expected next to the package root as ../shared/captures)" >&2; exit 1; }

# An empty personal config dir so user preferences/profiles cannot change the decode.
cfg=$(mktemp -d)
tmp=$(mktemp -d)
trap 'rm -rf "$cfg" "$tmp"' EXIT
export WIRESHARK_CONFIG_DIR=$cfg

tshark_version=$(tshark --version 2>/dev/null | head -n 1)

# Decode settings, spelled out even where they equal the defaults (see README).
opts=(-n
  -o 'radiotap.bit14_fcs_in_header:FALSE'
  -o 'radiotap.fcs_handling:Use the FCS bit'
  -o 'radiotap.interpret_high_rates_as_mcs:FALSE'
  -o 'wlan.check_fcs:FALSE'
  -o 'wlan.ignore_draft_ht:FALSE')
filter='wlan.fc.type_subtype == 4'
fields=(frame.number wlan.sa wlan.seq wlan.ssid frame.protocols
  radiotap.dbm_antsignal ppi.80211-common.dbm.antsignal wlan_radio.signal_dbm
  radiotap.channel.freq ppi.80211-common.chan.freq wlan_radio.frequency
  _ws.malformed _ws.expert.severity)
efields=()
for f in "${fields[@]}"; do efields+=(-e "$f"); done
fmt=(-T fields -E header=n -E separator=/t -E occurrence=a -E aggregator=, -E quote=n)

# Render an argument vector as a copy-pasteable shell command line.
shell_quote() {
  local s="" a
  for a in "$@"; do
    if [[ $a =~ ^[A-Za-z0-9_./:=,@+-]+$ ]]; then s+="$a "; else s+="'${a//\'/\'\\\'\'}' "; fi
  done
  printf '%s' "${s% }"
}

rm -f "$out"/*.tsv
mkdir -p "$out"
written=0 skipped=0
while IFS= read -r -d '' file; do
  rel=${file#"$captures"/}
  name="${rel//\//__}.tsv"
  main=(tshark "${opts[@]}" -o 'wlan.check_checksum:FALSE' -r "$file" -Y "$filter" "${fmt[@]}" "${efields[@]}")
  fcs=(tshark "${opts[@]}" -o 'wlan.check_checksum:TRUE' -r "$file" -Y "$filter" "${fmt[@]}" -e frame.number -e wlan.fcs.status)
  rc=0
  "${main[@]}" >"$tmp/main" 2>"$tmp/err" || rc=$?
  grep -v '^Running as user' "$tmp/err" >"$tmp/err2" || true
  # rc 2 with "cut short" = truncated last record: tshark still decoded every whole record.
  if [ "$rc" -ne 0 ] && ! grep -q 'cut short in the middle of a packet' "$tmp/err2"; then
    echo "skip (tshark cannot read it, rc=$rc): $rel: $(head -c 200 "$tmp/err2")" >&2
    skipped=$((skipped + 1))
    continue
  fi
  "${fcs[@]}" >"$tmp/fcs" 2>/dev/null || true
  {
    echo "# tshark: $tshark_version"
    echo "# capture: $file ($(stat -c %s "$file") bytes, sha256 $(sha256sum "$file" | cut -d' ' -f1))"
    echo "# command: WIRESHARK_CONFIG_DIR=<empty dir> $(shell_quote "${main[@]}")"
    echo "# fcs column: WIRESHARK_CONFIG_DIR=<empty dir> $(shell_quote "${fcs[@]}")"
    if [ -s "$tmp/err2" ]; then
      tr '\n' ' ' <"$tmp/err2" | sed 's/ *$//; s/^/# tshark stderr (exit '"$rc"'): /'; echo
    fi
    printf 'frame\tsa\tseq\tssid_hex\tdbm\tfreq_mhz\tmalformed\texpert\tfcs\n'
    awk -F'\t' -v OFS='\t' '
      function first(v) { sub(/,.*/, "", v); return v }
      NR == FNR { st = $2; fcs[$1] = (st == "0" ? "bad" : st == "1" ? "good" : st == "2" ? "unverified" : st == "3" ? "" : st); next }
      {
        proto = $5
        # wlan.ssid is FT_BYTES: tshark prints hex, and "<MISSING>" for a zero-length (wildcard) SSID.
        ssid = first($4); if (ssid == "<MISSING>") ssid = ""; else if ($4 == "") ssid = "-"
        if (proto ~ /(^|:)radiotap(:|$)/)      { dbm = $6; freq = first($9) }
        else if (proto ~ /(^|:)ppi(:|$)/)      { dbm = $7; freq = first($10) }
        else                                   { dbm = $8; freq = first($11) }
        if (freq == "") freq = first($11)
        sev = 0; n = split($13, s, ",")
        for (i = 1; i <= n; i++) if (s[i] + 0 > sev) sev = s[i] + 0
        ex = sev >= 8388608 ? "error" : sev >= 6291456 ? "warn" : sev >= 4194304 ? "note" : sev >= 2097152 ? "chat" : sev > 0 ? "comment" : ""
        print $1, $2, $3, ssid, dbm, freq, ($12 != "" ? 1 : 0), ex, fcs[$1]
      }' "$tmp/fcs" "$tmp/main"
  } >"$out/$name"
  written=$((written + 1))
done < <(find "$captures" -type f \( -name '*.pcap' -o -name '*.pcapng' -o -name '*.cap' \) -print0 | LC_ALL=C sort -z)

echo "gen-expectations: wrote $written files to $out ($skipped skipped), $(cat "$out"/*.tsv | grep -vc -e '^#' -e '^frame	') probe requests" >&2
