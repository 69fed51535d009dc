#!/usr/bin/env bash
# What `make test` needs besides the virtualenv, checked before any test runs: the Debian
# programs the suite drives for real, the Node tools of package-lock.json (axe-core, which
# the accessibility tests inject into pages) and, when not root, the right to mount the
# full-disk tests' small tmpfs (scripts/with_mount_rights.sh). As root, install what is
# missing (apt-get update, then apt-get install); otherwise print one line naming the command
# to run and exit 1. Then, for anyone, `npm ci` when node_modules/ is not the lock's.
# `make test` runs it, and so does CI (.ci/run) on a clean clone.
set -euo pipefail
cd "$(dirname "$0")/.."

have() { command -v "$1" >/dev/null 2>&1 || [ -x "$1" ]; }
have_initdb() { compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || have initdb; }

# The Debian packages of whatever is missing, in the order the suite meets them.
missing_packages() {
    local packages=()
    python3 -c "import ensurepip" 2>/dev/null || packages+=(python3-venv)  # make setup's venv
    have qbittorrent-nox || packages+=(qbittorrent-nox)  # a real seeder and client
    have mktorrent || packages+=(mktorrent)  # the torrents they share
    have chromium || packages+=(chromium)  # the browser tests (Playwright drives it)
    have npm || packages+=(npm)  # installs axe-core for the accessibility tests
    # tests/reliability/ restarts private servers at these paths.
    have /usr/bin/redis-server || packages+=(redis-server)
    have_initdb || packages+=(postgresql)
    have pgrep || packages+=(procps)  # the demo test looks for processes left behind
    have unshare && have setpriv || packages+=(util-linux)
    echo "${packages[*]}"
}

can_mount_tmpfs() {
    scripts/with_mount_rights.sh sh -c \
        'd=$(mktemp -d) && mount -t tmpfs -o size=1m tmpfs "$d" && umount "$d"; r=$?; rmdir "$d"; exit $r' \
        >/dev/null 2>&1
}

# Whether node_modules/ lacks axe-core or holds another version than package-lock.json pins.
node_tools_stale() {
    node -e '
        const fs = require("fs");
        const pinned = require("./package-lock.json").packages["node_modules/axe-core"].version;
        const file = "node_modules/axe-core/package.json";
        const installed = fs.existsSync(file) && JSON.parse(fs.readFileSync(file)).version;
        process.exit(installed === pinned ? 1 : 0);
    '
}

install_node_tools() {
    if node_tools_stale; then
        echo "make test: installing the Node tools the suite needs: npm ci (package-lock.json)"
        npm ci --no-audit --no-fund >/dev/null
    fi
}

packages=$(missing_packages)
if [ "$(id -u)" -eq 0 ]; then
    if [ -n "$packages" ]; then
        echo "make test: installing the Debian packages the suite needs: $packages"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq
        # shellcheck disable=SC2086  # one word per package
        apt-get install -y -qq $packages >/dev/null
        still=$(missing_packages)
        if [ -n "$still" ]; then
            echo "make test: still missing after apt-get install: $still" >&2
            exit 1
        fi
    fi
    install_node_tools
    exit 0
fi

message=""
if [ -n "$packages" ]; then
    message="run: sudo apt-get update && sudo apt-get install -y $packages (or run make test as root, which installs them)"
fi
if ! can_mount_tmpfs; then
    message="${message:+$message; }the full-disk tests mount a tmpfs: run make test as root, or allow unprivileged user namespaces (on Debian: sudo sysctl -w kernel.unprivileged_userns_clone=1)"
fi
if [ -n "$message" ]; then
    echo "make test cannot run the whole suite: $message" >&2
    exit 1
fi
install_node_tools
