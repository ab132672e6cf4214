#!/usr/bin/env bash
# Installs MallGate as a systemd service on a Debian / Ubuntu / Raspberry Pi OS gateway.
#
#   scripts/install.sh [options]            install (or update) and start the service
#   scripts/install.sh --uninstall          stop and remove the program; keep config and data
#   scripts/install.sh --uninstall --purge  also remove /etc/mallgate and /var/lib/mallgate
#
# Options:
#   --binary PATH        install this mallgate binary instead of building one
#   --kind KIND          the gateway kind whose example configuration to install:
#                        raspberry-pi, x86-mini-pc or tzsp-only (firmware-configs/KIND/)
#   --config FILE        the agent's configuration instead (either is installed only if
#                        /etc/mallgate/mallgate.toml does not exist yet: a technician's edits
#                        are never overwritten)
#   --venue FILE         the venue layout (same rule, /etc/mallgate/venue.json)
#   --model FILE         a trained model (same rule, /var/lib/mallgate/model.mgm); without one,
#                        a model synthesized from the venue's layout is trained there, so the
#                        gateway localizes before the on-site calibration
#   --channel-control    the agent sets monitor mode / hops channels itself: grant CAP_NET_ADMIN
#   --allow-upstream H   allow the service to reach collector host H (resolved now) beyond the
#                        private ranges the unit allows; repeatable
#   --root DIR           install into DIR instead of / (for images and tests): no apt, no
#                        systemctl start, users created with systemd-sysusers --root
#   --no-start           install and enable, but do not start
#   --no-apt             do not install runtime packages
#
# Idempotent: running it twice leaves the same files with the same modes and contents.
set -euo pipefail

ROOT=/
BINARY=""
CONFIG=""
KIND=""
VENUE=""
MODEL=""
CHANNEL_CONTROL=0
UPSTREAM_HOSTS=()
START=1
APT=1
UNINSTALL=0
PURGE=0

die() { echo "install.sh: $*" >&2; exit 1; }
say() { echo "install.sh: $*" >&2; }

while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY=${2:?--binary needs a path}; shift 2 ;;
        --config) CONFIG=${2:?--config needs a file}; shift 2 ;;
        --kind) KIND=${2:?--kind needs raspberry-pi, x86-mini-pc or tzsp-only}; shift 2 ;;
        --venue) VENUE=${2:?--venue needs a file}; shift 2 ;;
        --model) MODEL=${2:?--model needs a file}; shift 2 ;;
        --channel-control) CHANNEL_CONTROL=1; shift ;;
        --allow-upstream) UPSTREAM_HOSTS+=("${2:?--allow-upstream needs a host}"); shift 2 ;;
        --root) ROOT=${2:?--root needs a directory}; shift 2 ;;
        --no-start) START=0; shift ;;
        --no-apt) APT=0; shift ;;
        --uninstall) UNINSTALL=1; shift ;;
        --purge) PURGE=1; shift ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) die "unknown option '$1' (see --help)" ;;
    esac
done

HERE=$(cd "$(dirname "$0")/.." && pwd)
[ "$ROOT" = / ] || { mkdir -p "$ROOT"; ROOT=$(cd "$ROOT" && pwd); }
R=${ROOT%/}
ONLINE=0
if [ "$ROOT" = / ] && [ -d /run/systemd/system ]; then ONLINE=1; fi
[ "$(id -u)" = 0 ] || [ "$ROOT" != / ] || die "run as root (sudo scripts/install.sh)"

UNIT_DIR=$R/usr/lib/systemd/system
DROPIN_DIR=$R/etc/systemd/system/mallgate.service.d
SYSUSERS=$R/usr/lib/sysusers.d/mallgate.conf

systemctl_() {
    if [ "$ONLINE" = 1 ]; then systemctl "$@"; else systemctl --root="$ROOT" "$@" 2>/dev/null || true; fi
}

if [ "$UNINSTALL" = 1 ]; then
    if [ "$ONLINE" = 1 ]; then systemctl disable --now mallgate.service 2>/dev/null || true; else systemctl_ disable mallgate.service; fi
    rm -f "$R/usr/bin/mallgate" "$UNIT_DIR/mallgate.service" "$SYSUSERS" \
        "$DROPIN_DIR/channel-control.conf" "$DROPIN_DIR/upstream.conf"
    rmdir "$DROPIN_DIR" 2>/dev/null || true
    rm -rf "$R/usr/share/doc/mallgate"
    if [ "$PURGE" = 1 ]; then
        rm -rf "$R/etc/mallgate" "$R/var/lib/mallgate"
        say "removed MallGate, its configuration and its data"
    else
        say "removed MallGate; kept /etc/mallgate and /var/lib/mallgate (add --purge to delete them)"
    fi
    [ "$ONLINE" = 1 ] && systemctl daemon-reload
    exit 0
fi

# 1. Runtime packages: libpcap, SQLite, zlib; iw for channel control.
if [ "$APT" = 1 ] && [ "$ROOT" = / ]; then
    export DEBIAN_FRONTEND=noninteractive
    missing=()
    for p in libpcap0.8 libsqlite3-0 zlib1g iw; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    if [ ${#missing[@]} -gt 0 ]; then
        say "installing ${missing[*]}"
        apt-get update -qq && apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
fi

# 2. The binary: given, or built here as a release binary with the Swift runtime linked in,
# so the gateway needs no Swift toolchain.
if [ -z "$BINARY" ]; then
    command -v swift >/dev/null || die "no --binary given and no Swift toolchain to build one (scripts/build-release.sh builds it elsewhere)"
    say "building a release binary (swift build -c release --static-swift-stdlib)"
    (cd "$HERE" && swift build -c release --product mallgate --static-swift-stdlib >&2)
    BINARY=$HERE/.build/release/mallgate
fi
[ -x "$BINARY" ] || die "$BINARY: not an executable file"

# install(1) rewrites files even when unchanged; only copy what differs so a second run
# changes nothing (not even modification times).
put() { # mode source destination
    local mode=$1 src=$2 dst=$3
    mkdir -p "$(dirname "$dst")"
    if [ -f "$dst" ] && cmp -s "$src" "$dst"; then chmod "$mode" "$dst"; return; fi
    install -m "$mode" "$src" "$dst"
}
put_text() { # mode destination (content on stdin)
    local tmp
    tmp=$(mktemp)
    cat > "$tmp"
    put "$1" "$tmp" "$2"
    rm -f "$tmp"
}
put_once() { # mode source destination group: never overwrite a technician's edits
    [ -e "$3" ] && return 0
    put "$1" "$2" "$3"
}

put 0755 "$BINARY" "$R/usr/bin/mallgate"
put 0644 "$HERE/systemd/mallgate.service" "$UNIT_DIR/mallgate.service"
put 0644 "$HERE/systemd/sysusers.d/mallgate.conf" "$SYSUSERS"
put 0644 "$HERE/docs/deployment.md" "$R/usr/share/doc/mallgate/deployment.md"

# 3. The service user.
if [ "$ROOT" = / ]; then
    systemd-sysusers "$SYSUSERS" || die "systemd-sysusers could not create the mallgate user"
else
    mkdir -p "$R/etc"
    for f in passwd group; do [ -e "$R/etc/$f" ] || : > "$R/etc/$f"; done
    systemd-sysusers --root="$ROOT" "$SYSUSERS" || die "systemd-sysusers --root=$ROOT could not create the mallgate user"
fi

# 4. Site-specific drop-ins.
if [ "$CHANNEL_CONTROL" = 1 ]; then
    put 0644 "$HERE/systemd/mallgate.service.d/channel-control.conf" "$DROPIN_DIR/channel-control.conf"
fi
if [ ${#UPSTREAM_HOSTS[@]} -gt 0 ]; then
    addresses=()
    for h in "${UPSTREAM_HOSTS[@]}"; do
        resolved=$(getent ahosts "$h" | awk '{print $1}' | sort -u | tr '\n' ' ')
        [ -n "$resolved" ] || die "--allow-upstream $h: the name does not resolve here"
        addresses+=($resolved)
    done
    # DNS servers outside the private ranges must be reachable too.
    for ns in $(awk '/^nameserver/ {print $2}' /etc/resolv.conf 2>/dev/null); do addresses+=("$ns"); done
    printf '# Written by scripts/install.sh for %s; rerun it when the collector moves.\n[Service]\nIPAddressAllow=%s\n' \
        "${UPSTREAM_HOSTS[*]}" "$(printf '%s\n' "${addresses[@]}" | sort -u | tr '\n' ' ' | sed 's/ $//')" \
        | put_text 0644 "$DROPIN_DIR/upstream.conf"
fi

# 5. Configuration, venue, model: root-owned, readable by the service's group only.
mkdir -p "$R/etc/mallgate"
chmod 0750 "$R/etc/mallgate"
if [ -z "$CONFIG" ] && [ ! -e "$R/etc/mallgate/mallgate.toml" ]; then
    [ -n "$KIND" ] || die "say which gateway this is: --kind raspberry-pi, x86-mini-pc or tzsp-only (or --config FILE)"
    CONFIG=$HERE/firmware-configs/$KIND/mallgate.toml
fi
[ -n "$VENUE" ] || VENUE=$HERE/firmware-configs/venues/demo-mall.json
if [ -n "$CONFIG" ]; then
    [ -f "$CONFIG" ] || die "$CONFIG: no such configuration file"
    put_once 0640 "$CONFIG" "$R/etc/mallgate/mallgate.toml"
fi
put_once 0640 "$VENUE" "$R/etc/mallgate/venue.json"
# The web UI's access code (docs/web-ui.md): random, per gateway, written once; the UI itself
# stays off until [web] enabled = true. 20 characters from /dev/urandom, no ambiguous ones.
if [ ! -e "$R/etc/mallgate/web-access-code" ]; then
    code=$(LC_ALL=C tr -dc 'abcdefghjkmnpqrstuvwxyz23456789' < /dev/urandom | head -c 20 || true)
    [ ${#code} -eq 20 ] || die "could not read a random access code from /dev/urandom"
    (umask 077 && printf '%s\n' "$code" > "$R/etc/mallgate/web-access-code")
    chmod 0640 "$R/etc/mallgate/web-access-code"
    say "wrote the web UI access code to /etc/mallgate/web-access-code (read it with: sudo cat /etc/mallgate/web-access-code)"
fi
gid=$(awk -F: '$1 == "mallgate" {print $3}' "$R/etc/group" || true)
uid=$(awk -F: '$1 == "mallgate" {print $3}' "$R/etc/passwd" || true)
[ -n "$gid" ] && [ -n "$uid" ] || die "the mallgate user and group were not created"
chgrp -R "$gid" "$R/etc/mallgate"

# 5b. The model, in the state directory (the agent installs calibrated models there later).
STATE=$R/var/lib/mallgate
if [ ! -d "$STATE" ]; then mkdir -p "$STATE"; chmod 0700 "$STATE"; chown "$uid:$gid" "$STATE"; fi
if [ ! -e "$STATE/model.mgm" ]; then
    if [ -n "$MODEL" ]; then
        put 0640 "$MODEL" "$STATE/model.mgm"
    else
        say "training a layout-only model for $(basename "$VENUE") (calibrate on site later)"
        "$R/usr/bin/mallgate" train --venue "$R/etc/mallgate/venue.json" --from-layout --folds 0 --models mlp \
            --quiet --output "$STATE/model.mgm" >/dev/null || die "training the layout model failed"
        chmod 0640 "$STATE/model.mgm"
    fi
    chown "$uid:$gid" "$STATE/model.mgm"
fi

# 6. Enable and start.
if [ "$ONLINE" = 1 ]; then
    systemctl daemon-reload
    systemctl enable mallgate.service >/dev/null 2>&1
    if [ "$START" = 1 ]; then
        /usr/bin/mallgate config check /etc/mallgate/mallgate.toml || die "the configuration does not validate; fix /etc/mallgate/mallgate.toml and rerun"
        systemctl restart mallgate.service
        say "started; follow it with: journalctl -u mallgate -f   and: mallgate status"
    fi
else
    systemctl_ enable mallgate.service
    say "installed into $ROOT (not started: no running systemd there)"
fi
