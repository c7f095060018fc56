#!/usr/bin/env bash
# Makes sure the system packages the build needs are present: OpenBLAS (found through
# pkg-config as `openblas`) and pkg-config itself. Run before `swift build`, `swift run` or
# `swift test` on a fresh Debian/Ubuntu machine (the Makefile and .ci/run do).
#
# As root, missing packages are installed with apt-get. Otherwise one line names the command to
# run, and the script exits with status 1.
#
# Environment (for testing this script): IRPO_DEPS_PKG_CONFIG names the pkg-config program
# (default `pkg-config`); IRPO_DEPS_EUID overrides the effective user id.
set -euo pipefail

pkg_config="${IRPO_DEPS_PKG_CONFIG:-pkg-config}"
euid="${IRPO_DEPS_EUID:-$(id -u)}"
packages=(libopenblas-dev pkg-config)

have_deps() {
    command -v "$pkg_config" >/dev/null 2>&1 && "$pkg_config" --exists openblas 2>/dev/null
}

if have_deps; then
    exit 0
fi

if [ "$euid" != 0 ]; then
    echo "irpo needs OpenBLAS and pkg-config; install them with: sudo apt-get install -y ${packages[*]}" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "irpo needs OpenBLAS and pkg-config, and apt-get was not found; install OpenBLAS (with its pkg-config file) and pkg-config with your package manager" >&2
    exit 1
fi

echo "installing ${packages[*]} with apt-get" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq "${packages[@]}"

if ! have_deps; then
    echo "OpenBLAS is still not visible to pkg-config after installing ${packages[*]}; check 'pkg-config --exists openblas'" >&2
    exit 1
fi
