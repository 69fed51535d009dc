#!/usr/bin/env bash
# Run a command with the right to mount file systems, which the full-disk tests need for
# their 2 MB tmpfs: as is for root; otherwise as the same user in a user and mount namespace
# of its own, holding only CAP_SYS_ADMIN there (so the mounts stay private to the run).
set -euo pipefail
if [ "$(id -u)" -eq 0 ]; then
    exec "$@"
fi
exec unshare --user --mount --map-current-user --keep-caps \
    setpriv --inh-caps=-all,+sys_admin --ambient-caps=-all,+sys_admin -- "$@"
