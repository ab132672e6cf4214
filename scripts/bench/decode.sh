#!/usr/bin/env bash
# Decode benchmark: MallGate's full decode next to tcpdump, tshark and a minimal libpcap loop.
#
# Usage: scripts/bench/decode.sh            (from anywhere; works in the package root)
# Environment (all optional):
#   N=1000000        probe requests in the generated capture (bench-out/probes-$N.pcap, made once, reused)
#   RUNS=5           timed runs per contender (median reported); one untimed warm-up run before them
#   CPU=1            core every contender is pinned to (taskset -c)
#   TSHARK_RUNS=3    runs for tshark (slow: ~2 min per run on 1M frames; no warm-up run)
#   BUILD=auto       auto|yes|no: build MallGate in release (swift build -c release --product mallgate)
#   MALLGATE=path    use this binary instead of .build/release/mallgate (skips the build)
#
# Contenders (issue requirement): MallGate `mallgate parse FILE --format none` (radiotap + 802.11 + IEs +
# fingerprint, summary on stderr); (a) tcpdump BPF filter writing to /dev/null; (b) tcpdump -nn -e printing;
# (c) tshark extracting source MAC and dBm signal; (d) bench-out/pcap-floor, a C pcap_next_ex loop reading the
# radiotap length and source MAC (the practical limit). Targets: MallGate >= 50 % of (d) and >= 10x (b).
# frames/s = N / median wall time; CPU columns use user+sys time (less sensitive to a busy machine).
# Prints a markdown table on stdout; progress on stderr. Everything built or generated goes to bench-out/.
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
N=${N:-1000000}
RUNS=${RUNS:-5}
CPU=${CPU:-1}
TSHARK_RUNS=${TSHARK_RUNS:-3}
BUILD=${BUILD:-auto}
out=bench-out
mkdir -p "$out"
log() { echo "decode.sh: $*" >&2; }

need() { # need CMD APT-PACKAGE
  command -v "$1" >/dev/null && return 0
  log "installing $2 (for $1)"
  apt-get install -y -qq "$2" >/dev/null || { log "cannot install $2; install it and rerun"; exit 1; }
}
need tcpdump tcpdump
need tshark tshark
need taskset util-linux
need cc gcc
need python3 python3
[ -x /usr/bin/time ] || need /usr/bin/time time
[ -e /usr/include/pcap/pcap.h ] || need /usr/include/pcap/pcap.h libpcap-dev

# --- inputs -------------------------------------------------------------------------------------------------
file=$out/probes-$N.pcap
gen_note="reused existing $file"
if [ ! -s "$file" ]; then
  t0=$(date +%s%N)
  python3 scripts/bench/make-probe-pcap.py "$N" "$file.tmp" --seed 1 --check
  mv "$file.tmp" "$file"
  gen_note="generated in $(( ($(date +%s%N) - t0) / 1000000 )) ms (incl. --check)"
fi
size=$(stat -c %s "$file")
log "$file: $N frames, $size bytes; $gen_note"

cc -O2 -Wall -Wextra -o "$out/pcap-floor" scripts/bench/pcap-floor.c -lpcap

mallgate=${MALLGATE:-}
mallgate_note=""
if [ -z "$mallgate" ]; then
  mallgate=.build/release/mallgate
  if [ "$BUILD" != no ]; then
    log "building MallGate (swift build -c release --product mallgate)"
    swift build -c release --product mallgate >&2 || { [ "$BUILD" = yes ] && exit 1; mallgate_note="release build failed"; }
  fi
fi
if [ -z "$mallgate_note" ]; then
  if [ ! -x "$mallgate" ]; then
    mallgate_note="no binary at $mallgate"
  elif ! { "$mallgate" parse --help 2>&1 || true; } | grep -q -e '--format'; then
    # Argument parsers may print the root help (exit 0) for an unknown subcommand: look for parse's option.
    mallgate_note="$mallgate has no 'parse FILE --format none' subcommand yet"
  fi
fi
[ -n "$mallgate_note" ] && log "SKIPPING MallGate: $mallgate_note"

# --- timing -------------------------------------------------------------------------------------------------
median() { sort -g | awk '{v[NR] = $1} END {print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}'; }

# timed NAME RUNS STDOUT -- CMD...: warm-up once, then RUNS pinned runs; leaves medians in
# wall_$NAME / cpu_$NAME (seconds) and rss_$NAME (max KiB over runs).
timed() {
  local name=$1 runs=$2 stdout=$3 i t0 t1 walls="" cpus="" rss=0 u s m
  shift 4
  log "$name: $([ "$WARMUP" = 1 ] && echo "warm-up + ")$runs runs: $*"
  [ "$WARMUP" = 1 ] && taskset -c "$CPU" "$@" >"$stdout" 2>"$out/$name.stderr"
  for ((i = 1; i <= runs; i++)); do
    t0=$(date +%s%N)
    /usr/bin/time -f '%U %S %M' -o "$out/$name.time" taskset -c "$CPU" "$@" >"$stdout" 2>"$out/$name.stderr"
    t1=$(date +%s%N)
    read -r u s m <"$out/$name.time"
    walls+="$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.6f", (b - a) / 1e9}') "
    cpus+="$(awk -v u="$u" -v s="$s" 'BEGIN {printf "%.2f", u + s}') "
    if (( m > rss )); then rss=$m; fi
  done
  printf -v "wall_$name" '%s' "$(tr ' ' '\n' <<<"${walls% }" | median)"
  printf -v "cpu_$name" '%s' "$(tr ' ' '\n' <<<"${cpus% }" | median)"
  printf -v "rss_$name" '%s' "$rss"
  log "$name: wall ${walls}s, cpu ${cpus}s"
}

names=()
declare -A label cmdline
add() { names+=("$1"); label[$1]=$2; cmdline[$1]=$3; }

WARMUP=1
timed floor "$RUNS" "$out/floor.stdout" -- "$out/pcap-floor" "$file"
grep -q "^frames=$N " "$out/floor.stdout" || { log "pcap-floor read $(cat "$out/floor.stdout"), expected $N frames"; exit 1; }
add floor "(d) C pcap_next_ex loop" "\`bench-out/pcap-floor FILE\`"

timed tcpdump_filter "$RUNS" /dev/null -- tcpdump -r "$file" 'type mgt subtype probe-req' -w /dev/null
add tcpdump_filter "(a) tcpdump BPF filter" "\`tcpdump -r FILE 'type mgt subtype probe-req' -w /dev/null\`"

timed tcpdump_print "$RUNS" /dev/null -- tcpdump -nn -e -r "$file"
add tcpdump_print "(b) tcpdump printing" "\`tcpdump -nn -e -r FILE > /dev/null\`"

WARMUP=0   # tshark is ~100x slower than the others; the page cache is warm by now
timed tshark "$TSHARK_RUNS" "$out/tshark.stdout" -- tshark -n -r "$file" -T fields -e wlan.sa -e radiotap.dbm_antsignal
lines=$(wc -l <"$out/tshark.stdout")
[ "$lines" -eq "$N" ] || { log "tshark printed $lines lines, expected $N"; exit 1; }
add tshark "(c) tshark fields" "\`tshark -n -r FILE -T fields -e wlan.sa -e radiotap.dbm_antsignal > FILE.out\`"

if [ -z "$mallgate_note" ]; then
  WARMUP=1
  timed mallgate "$RUNS" /dev/null -- "$mallgate" parse "$file" --format none
  add mallgate "MallGate full decode" "\`mallgate parse FILE --format none\`"
fi

# --- report -------------------------------------------------------------------------------------------------
# CPU times come in 10 ms steps: "-" where a run was too short to measure.
fps() { awk -v n="$N" -v t="$1" 'BEGIN {if (t > 0) printf "%.0f", n / t; else printf "-"}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {if (a != "-" && b != "-" && b > 0) printf "%.2f", a / b; else printf "-"}'; }
fps_floor=$(fps "$wall_floor") fps_print=$(fps "$wall_tcpdump_print")
cfps_floor=$(fps "$cpu_floor") cfps_print=$(fps "$cpu_tcpdump_print")

echo "### Decode benchmark"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) cores; pinned to CPU $CPU."
echo "File: \`$file\`: $N radiotap probe requests, $size bytes ($gen_note). Median of $RUNS runs after one warm-up (tshark: $TSHARK_RUNS runs, no warm-up)."
echo "$(tcpdump --version 2>&1 | head -n 1), $(tcpdump --version 2>&1 | sed -n 2p), $(tshark --version 2>/dev/null | head -n 1 | sed 's/ (Git.*//')."
echo
echo "| contender | command | wall s | frames/s | vs (d) | vs (b) | CPU s | frames/s (CPU) | CPU vs (d) | CPU vs (b) |"
echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"
for n in "${names[@]}"; do
  w=wall_$n c=cpu_$n
  f=$(fps "${!w}") cf=$(fps "${!c}")
  echo "| ${label[$n]} | ${cmdline[$n]} | ${!w} | $f | $(ratio "$f" "$fps_floor") | $(ratio "$f" "$fps_print") | ${!c} | $cf | $(ratio "$cf" "$cfps_floor") | $(ratio "$cf" "$cfps_print") |"
done
echo
if [ -n "$mallgate_note" ]; then
  echo "MallGate: skipped ($mallgate_note)."
else
  f=$(fps "$wall_mallgate")
  r_floor=$(ratio "$f" "$fps_floor") r_print=$(ratio "$f" "$fps_print")
  verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r >= t) ? "met" : "NOT met"}'; }
  echo "Targets: MallGate / (d) = $r_floor (target >= 0.5: $(verdict "$r_floor" 0.5)); MallGate / (b) = $r_print (target >= 10: $(verdict "$r_print" 10))."
  stripped=$out/mallgate.stripped
  stripped_size=$(strip -o "$stripped" "$mallgate" 2>/dev/null && stat -c %s "$stripped" || echo "n/a")
  echo "MallGate peak RSS (max over runs, /usr/bin/time %M): $rss_mallgate KiB. Binary: $(stat -c %s "$mallgate") bytes, stripped $stripped_size bytes (\`$mallgate\`)."
  echo "MallGate summary (stderr of the last run): \`$(tr '\n' ' ' <"$out/mallgate.stderr" | sed 's/ *$//' | cut -c1-400)\`"
fi
