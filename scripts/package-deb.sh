#!/usr/bin/env bash
# Builds a Debian package of the MallGate agent with dpkg-deb, for gateways managed with apt.
#
#   scripts/package-deb.sh [--binary PATH] [--version V] [--arch A] [--out DIR]
#   (MALLGATE_DEB_FAST=1: gzip -1 instead of xz, for tests)
#
# Without --binary it builds a release binary with the Swift runtime linked in
# (--static-swift-stdlib), so the package depends only on libpcap, SQLite and zlib.
# The package installs the binary, the systemd unit, a sysusers.d entry, an example
# configuration (a conffile: upgrades keep a technician's edits) and the bundled venues.
# Maintainer scripts honour $DPKG_ROOT, so `dpkg --root DIR --force-script-chrootless`
# installs into a throw-away root (what the packaging test does).
set -euo pipefail
HERE=$(cd "$(dirname "$0")/.." && pwd)
BINARY=""
VERSION=""
ARCH=$(dpkg --print-architecture)
OUT=$HERE/dist
while [ $# -gt 0 ]; do
    case "$1" in
        --binary) BINARY=$2; shift 2 ;;
        --version) VERSION=$2; shift 2 ;;
        --arch) ARCH=$2; shift 2 ;;
        --out) OUT=$2; shift 2 ;;
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        *) echo "package-deb.sh: unknown option '$1'" >&2; exit 1 ;;
    esac
done
if [ -z "$VERSION" ]; then
    VERSION="0.1.0~git$(git -C "$HERE" log -1 --format=%cd.%h --date=format:%Y%m%d 2>/dev/null || echo 0)"
fi
if [ -z "$BINARY" ]; then
    (cd "$HERE" && swift build -c release --product mallgate --static-swift-stdlib >&2)
    BINARY=$HERE/.build/release/mallgate
fi
[ -x "$BINARY" ] || { echo "package-deb.sh: $BINARY is not an executable" >&2; exit 1; }

STAGE=$(mktemp -d)
trap 'rm -rf "$STAGE"' EXIT
P=$STAGE/mallgate
install -D -m 0755 "$BINARY" "$P/usr/bin/mallgate"
install -D -m 0644 "$HERE/systemd/mallgate.service" "$P/usr/lib/systemd/system/mallgate.service"
install -D -m 0644 "$HERE/systemd/mallgate.service.d/channel-control.conf" "$P/usr/share/mallgate/systemd/channel-control.conf"
install -D -m 0644 "$HERE/systemd/sysusers.d/mallgate.conf" "$P/usr/lib/sysusers.d/mallgate.conf"
# The conffile starts as the x86 mini-PC example; the other kinds' examples sit beside it.
install -D -m 0640 "$HERE/firmware-configs/x86-mini-pc/mallgate.toml" "$P/etc/mallgate/mallgate.toml"
for kind in raspberry-pi x86-mini-pc tzsp-only; do
    for f in "$HERE/firmware-configs/$kind"/*; do
        install -D -m 0644 "$f" "$P/usr/share/mallgate/firmware-configs/$kind/$(basename "$f")"
    done
done
for f in "$HERE"/firmware-configs/common/*; do
    install -D -m 0644 "$f" "$P/usr/share/mallgate/firmware-configs/common/$(basename "$f")"
done
for v in "$HERE"/firmware-configs/venues/*.json; do
    install -D -m 0644 "$v" "$P/usr/share/mallgate/venues/$(basename "$v")"
done
install -D -m 0644 "$HERE/docs/deployment.md" "$P/usr/share/doc/mallgate/deployment.md"
printf 'MallGate\nCopyright: the MallGate authors\n' | install -D -m 0644 /dev/stdin "$P/usr/share/doc/mallgate/copyright"
strip --strip-unneeded "$P/usr/bin/mallgate" 2>/dev/null || true

mkdir -p "$P/DEBIAN"
SIZE=$(du -sk "$P" | cut -f1)
cat > "$P/DEBIAN/control" <<EOF
Package: mallgate
Version: $VERSION
Architecture: $ARCH
Maintainer: MallGate <ops@mallgate.invalid>
Installed-Size: $SIZE
Depends: libpcap0.8, libsqlite3-0, zlib1g, systemd
Recommends: iw
Section: net
Priority: optional
Homepage: https://mallgate.invalid
Description: edge agent turning Wi-Fi probe requests into anonymous store visits
 MallGate captures 802.11 probe requests from monitor-mode radios and remote
 sensors, hashes device identities at the edge, localizes phones to stores,
 buffers results in SQLite and syncs them to a central collector.
EOF
echo /etc/mallgate/mallgate.toml > "$P/DEBIAN/conffiles"

cat > "$P/DEBIAN/postinst" <<'EOF'
#!/bin/sh
set -e
if [ "$1" = configure ]; then
    if [ -n "$DPKG_ROOT" ]; then
        systemd-sysusers --root="$DPKG_ROOT" "$DPKG_ROOT/usr/lib/sysusers.d/mallgate.conf"
    else
        systemd-sysusers /usr/lib/sysusers.d/mallgate.conf
    fi
    # The group's number from the target root's own /etc/group: in a throw-away root the
    # host may give the same number to another group.
    gid=$(awk -F: '$1 == "mallgate" {print $3}' "$DPKG_ROOT/etc/group")
    chgrp -R "$gid" "$DPKG_ROOT/etc/mallgate"
    chmod 0750 "$DPKG_ROOT/etc/mallgate"
    if [ ! -e "$DPKG_ROOT/etc/mallgate/venue.json" ]; then
        cp "$DPKG_ROOT/usr/share/mallgate/venues/demo-mall.json" "$DPKG_ROOT/etc/mallgate/venue.json"
        chmod 0640 "$DPKG_ROOT/etc/mallgate/venue.json"
        chgrp "$gid" "$DPKG_ROOT/etc/mallgate/venue.json"
    fi
    # A model synthesized from the venue's layout, so the agent localizes before calibration.
    state="$DPKG_ROOT/var/lib/mallgate"
    uid=$(awk -F: '$1 == "mallgate" {print $3}' "$DPKG_ROOT/etc/passwd")
    if [ ! -d "$state" ]; then mkdir -p "$state"; chmod 0700 "$state"; chown "$uid:$gid" "$state"; fi
    if [ ! -e "$state/model.mgm" ]; then
        "$DPKG_ROOT/usr/bin/mallgate" train --venue "$DPKG_ROOT/etc/mallgate/venue.json" --from-layout \
            --folds 0 --models mlp --quiet --output "$state/model.mgm" >/dev/null 2>&1 \
            && chown "$uid:$gid" "$state/model.mgm" && chmod 0640 "$state/model.mgm" \
            || echo "mallgate: could not train a layout model; run mallgate train --from-layout" >&2
    fi
    if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
        systemctl daemon-reload
        systemctl enable mallgate.service >/dev/null 2>&1 || true
        # Start only once the technician has replaced the example's sources and venue.
        if /usr/bin/mallgate config check /etc/mallgate/mallgate.toml >/dev/null 2>&1; then
            systemctl restart mallgate.service || true
        fi
    else
        systemctl --root="${DPKG_ROOT:-/}" enable mallgate.service >/dev/null 2>&1 || true
    fi
fi
exit 0
EOF
cat > "$P/DEBIAN/prerm" <<'EOF'
#!/bin/sh
set -e
if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then
    systemctl stop mallgate.service >/dev/null 2>&1 || true
fi
if [ "$1" = remove ]; then
    systemctl --root="${DPKG_ROOT:-/}" disable mallgate.service >/dev/null 2>&1 || true
fi
exit 0
EOF
cat > "$P/DEBIAN/postrm" <<'EOF'
#!/bin/sh
set -e
# Collected data stays on remove; only purge deletes it.
if [ "$1" = purge ]; then
    rm -rf "$DPKG_ROOT/var/lib/mallgate" "$DPKG_ROOT/etc/mallgate/venue.json"
    rmdir "$DPKG_ROOT/etc/mallgate" 2>/dev/null || true
fi
if [ -z "$DPKG_ROOT" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload || true; fi
exit 0
EOF
chmod 0755 "$P/DEBIAN/postinst" "$P/DEBIAN/prerm" "$P/DEBIAN/postrm"

mkdir -p "$OUT"
DEB=$OUT/mallgate_${VERSION}_${ARCH}.deb
dpkg-deb --root-owner-group ${MALLGATE_DEB_FAST:+-Zgzip -z1} --build "$P" "$DEB" >&2
echo "$DEB"
