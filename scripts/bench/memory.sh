#!/usr/bin/env bash
# Memory of the daemon's pipeline: peak RSS while tracking DEVICES devices at once, and idle RSS of `mallgate run`.
#
# Usage: scripts/bench/memory.sh
# Environment (all optional):
#   DEVICES=100000   distinct phones, all present at once (scripts/bench/make-crowd-pcaps.py; made once, reused)
#   CPU=0            core to pin to
#   MALLGATE=path    binary (default .build/release/mallgate)
#   ROUNDS=3         replays; every round's peak is listed: it depends on when the daemon's tick falls
#                    (it was 45-105 MB higher in one run in three before session 8, +11 MB now)
# Prints the replay's summary line, GNU time's maximum resident set of each round with the sampled
# peaks of its anonymous and file-backed parts, and the idle VmRSS (RssAnon, RssFile) of `mallgate run`
# reading an idle FIFO source after 10 s.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
. scripts/bench/lib.sh
venue=firmware-configs/venues/demo-mall.json
devices=${DEVICES:-100000}
cpu=${CPU:-0}
bin=${MALLGATE:-.build/release/mallgate}
out=bench-out/memory
crowd=bench-out/crowd-$devices
mkdir -p "$out"
[ -s "$crowd/L0-s01-ap.pcap" ] || python3 scripts/bench/make-crowd-pcaps.py "$venue" "$crowd" --devices "$devices"
layout_model "$out"
replay_config "$out" "$crowd"
echo "# $(date -u +%FT%TZ) $(uptime | sed 's/.*load/load/')"
for round in $(seq "${ROUNDS:-3}"); do
    rm -rf "$out/state"
    /usr/bin/time -v -o "$out/time-v.txt" taskset -c "$cpu" "$bin" replay --config "$out/gateway.toml" "$crowd" --quiet > "$out/replay.txt" & tpid=$!
    # The resident set in two parts, sampled every 20 ms: anonymous memory (the heap: what the
    # code holds) and mapped files (the binary and libraries' pages, clean and shared; their
    # count moves by a few MB between builds with the code's layout).
    sleep 0.1
    pid=$(pgrep -f -- "replay --config $out/gateway.toml" | tail -1 || true)
    anon=0; file=0
    while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
        read -r a f < <(awk '/RssAnon/ {a=$2} /RssFile/ {f=$2} END {print a+0, f+0}' "/proc/$pid/status" 2>/dev/null || echo "0 0")
        [ "${a:-0}" -gt "$anon" ] && anon=$a
        [ "${f:-0}" -gt "$file" ] && file=$f
        sleep 0.02
    done
    wait "$tpid"
    [ "$round" = 1 ] && head -1 "$out/replay.txt"
    echo "round $round: $(grep -E "Maximum resident|User time|System time|Elapsed" "$out/time-v.txt" | tr -s ' \t' ' ' | tr '\n' ';') sampled peak RssAnon $anon kB, RssFile $file kB"
done

# Idle daemon: one FIFO source (a sensor that is silent), metrics on, 10 s after start.
rm -rf "$out/idle-state" "$out/idle.fifo"; mkfifo "$out/idle.fifo"
cat > "$out/idle.toml" <<TOML
venue = "$root/$venue"
model = "$root/$out/model.mgm"
state_directory = "$root/$out/idle-state"
[[sources]]
kind = "stream"
path = "$root/$out/idle.fifo"
sensor = "L0-s01-ap"
[metrics]
enabled = true
listen = "127.0.0.1:19391"
TOML
"$bin" run --config "$out/idle.toml" 2>"$out/idle.err" & pid=$!
# Hold the FIFO open with a pcap header only: a sensor connected but quiet.
python3 -c "import struct,time,sys; f=open(sys.argv[1],'wb',buffering=0); f.write(struct.pack('<IHHiIII',0xA1B2C3D4,2,4,0,0,65535,127)); time.sleep(15)" "$out/idle.fifo" & writer=$!
sleep 10
echo "idle mallgate run: $(grep -E 'VmRSS|VmHWM|RssAnon|RssFile' /proc/$pid/status | tr -s ' \t' ' ' | tr '\n' ' ')"
kill -TERM "$pid"; wait "$pid" || true; wait "$writer" || true
