#!/bin/sh
# clusterrebootd first-boot installer: get the binary for this machine, check its SHA-256,
# let it install itself (`clusterrebootd install`), put the node's config in place, validate
# it and enable the chosen mode. Safe to run again (every step is idempotent).
#
# Use it from cloud-init (runcmd), an image's first-boot service, or by hand:
#   CRD_BASE_URL=https://downloads.example.org/clusterrebootd/v0.1.0 \
#   CRD_CONFIG=/boot/firmware/clusterrebootd.yaml sh first-boot.sh
#
# Settings (environment):
#   CRD_BASE_URL  directory URL holding clusterrebootd-linux-<arch> and SHA256SUMS
#                 (the dist/ output of scripts/build); needed unless CRD_BINARY is set
#   CRD_BINARY    a binary already on the machine (baked into the image) instead of a download
#   CRD_SHA256    its expected SHA-256; without it a downloaded binary is checked against
#                 SHA256SUMS and a local CRD_BINARY is trusted as is
#   CRD_CONFIG    file to install as /etc/clusterrebootd/config.yaml; an existing config is
#                 never replaced. A line `node_name: "@HOSTNAME@"` becomes this machine's short
#                 hostname, so one image or one config can serve the whole fleet.
#   CRD_MODE      service (daemon, default) or timer
#   CRD_ENABLE    1 (default): enable and start the unit once the config validates; 0: don't
#   CRD_ROOT      install below this directory instead of / (image builds, tests): nothing is
#                 validated or enabled there
set -eu

mode=${CRD_MODE:-service}
enable=${CRD_ENABLE:-1}
root=${CRD_ROOT:-}

die() {
	echo "first-boot: $*" >&2
	exit 1
}

case "$mode" in service | timer) ;; *) die "CRD_MODE must be service or timer, got '$mode'" ;; esac
case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) die "unsupported machine $(uname -m): binaries exist for x86_64 and aarch64" ;;
esac

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fetch() { # URL FILE
	if command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 5 --retry-delay 3 -o "$2" "$1"
	elif command -v wget >/dev/null 2>&1; then
		wget -q -O "$2" "$1"
	else
		die "neither curl nor wget is installed"
	fi
}

name=clusterrebootd-linux-$arch
if [ -n "${CRD_BINARY:-}" ]; then
	[ -f "$CRD_BINARY" ] || die "CRD_BINARY=$CRD_BINARY does not exist"
	cp "$CRD_BINARY" "$work/$name"
else
	[ -n "${CRD_BASE_URL:-}" ] || die "set CRD_BASE_URL (or CRD_BINARY)"
	fetch "${CRD_BASE_URL%/}/$name" "$work/$name"
	if [ -z "${CRD_SHA256:-}" ]; then
		fetch "${CRD_BASE_URL%/}/SHA256SUMS" "$work/SHA256SUMS"
		CRD_SHA256=$(awk -v f="$name" '$2 == f || $2 == "*" f { print $1 }' "$work/SHA256SUMS")
		[ -n "$CRD_SHA256" ] || die "SHA256SUMS has no entry for $name"
	fi
fi
if [ -n "${CRD_SHA256:-}" ]; then
	echo "$CRD_SHA256  $work/$name" | sha256sum -c - >/dev/null || die "checksum mismatch for $name: refusing to install it"
fi
chmod 0755 "$work/$name"

config="$root/etc/clusterrebootd/config.yaml"
had_config=0
[ -e "$config" ] && had_config=1

"$work/$name" install "--$mode" ${root:+--root "$root"}

if [ -n "${CRD_CONFIG:-}" ]; then
	if [ "$had_config" = 1 ]; then
		echo "first-boot: keeping the existing $config (CRD_CONFIG not installed)"
	else
		install -m 0640 "$CRD_CONFIG" "$config"
		if grep -q '^node_name: "@HOSTNAME@"$' "$config"; then
			host=$(hostname -s)
			sed -i "s/^node_name: \"@HOSTNAME@\"\$/node_name: $host/" "$config"
			echo "first-boot: node_name set to this machine's hostname: $host"
		fi
		echo "first-boot: installed $CRD_CONFIG as $config"
	fi
fi

if [ -n "$root" ]; then
	echo "first-boot: installed below $root; validate and enable on the booted system"
	exit 0
fi
/usr/local/bin/clusterrebootd validate-config --config "$config" ||
	die "$config is not valid yet (see above); edit it, then: systemctl enable --now clusterrebootd.$mode"
if [ "$enable" = 1 ]; then
	unit=clusterrebootd.service
	[ "$mode" = timer ] && unit=clusterrebootd.timer
	systemctl enable --now "$unit"
	echo "first-boot: $unit enabled and started"
fi
