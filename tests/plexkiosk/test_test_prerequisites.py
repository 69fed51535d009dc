"""`make test`'s first step: as root it installs the Debian programs the suite drives; anyone
else gets one line naming the command to run, and no test starts."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test_prerequisites.sh"
TOOLS = ("qbittorrent-nox", "mktorrent", "chromium")
# The programs a fresh Debian 12 lacks, plus the two this file replaces with fakes.
HIDDEN = {*TOOLS, "apt-get", "id"}

FAKE_APT_GET = """#!/bin/sh
echo "$DEBIAN_FRONTEND $*" >> "{log}"
if [ "$1" = install ] && [ -z "$APT_INSTALLS_NOTHING" ]; then
    for package in "$@"; do
        case "$package" in -*|install) ;; *) printf '#!/bin/sh\\n' > "{bin}/$package";
            chmod +x "{bin}/$package";; esac
    done
fi
"""


def fresh_machine(tmp_path: Path, *, uid: int, hide: set[str] = HIDDEN) -> dict[str, str]:
    """Return an environment whose PATH has every system program but `hide`, with fakes of
    `id` (answering `uid`) and of `apt-get` (which logs its calls and "installs" stubs)."""
    fakes, system = tmp_path / "fakes", tmp_path / "system"
    fakes.mkdir()
    system.mkdir()
    for folder in ("/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"):
        for program in Path(folder).iterdir():
            link = system / program.name
            if program.name not in hide and not os.path.lexists(link):
                link.symlink_to(program)
    (fakes / "id").write_text(f"#!/bin/sh\necho {uid}\n")
    (fakes / "apt-get").write_text(FAKE_APT_GET.format(log=tmp_path / "apt.log", bin=fakes))
    for fake in fakes.iterdir():
        fake.chmod(0o755)
    return {"PATH": f"{fakes}:{system}", "HOME": str(tmp_path), "LANG": "C.UTF-8"}


def run(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(SCRIPT)], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def apt_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_a_user_without_the_tools_gets_one_line_naming_the_command_and_a_failure(
    tmp_path: Path,
) -> None:
    done = run(fresh_machine(tmp_path, uid=1000))

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "make test cannot run the whole suite: run: sudo apt-get update && sudo apt-get "
        "install -y qbittorrent-nox mktorrent chromium (or run make test as root, which "
        "installs them)"
    ]
    assert apt_calls(tmp_path) == []


def test_a_user_whose_kernel_refuses_user_namespaces_is_told_so_in_the_same_line(
    tmp_path: Path,
) -> None:
    env = fresh_machine(tmp_path, uid=1000, hide={*HIDDEN, "unshare"})
    refusing = tmp_path / "fakes" / "unshare"
    refusing.write_text("#!/bin/sh\necho 'unshare: Operation not permitted' >&2\nexit 1\n")
    refusing.chmod(0o755)

    done = run(env)

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("make test cannot run the whole suite: run: sudo apt-get update")
    assert line.endswith(
        "; the full-disk tests mount a tmpfs: run make test as root, or allow unprivileged "
        "user namespaces (on Debian: sudo sysctl -w kernel.unprivileged_userns_clone=1)"
    )


def test_root_without_the_tools_updates_apt_and_installs_them(tmp_path: Path) -> None:
    done = run(fresh_machine(tmp_path, uid=0))

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "make test: installing the Debian packages the suite needs: "
        "qbittorrent-nox mktorrent chromium"
    ]
    assert apt_calls(tmp_path) == [
        "noninteractive update -qq",
        "noninteractive install -y -qq qbittorrent-nox mktorrent chromium",
    ]


def test_root_fails_loudly_when_the_install_leaves_a_tool_missing(tmp_path: Path) -> None:
    env = fresh_machine(tmp_path, uid=0)
    env["APT_INSTALLS_NOTHING"] = "1"

    done = run(env)

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "make test: still missing after apt-get install: qbittorrent-nox mktorrent chromium"
    )


@pytest.mark.parametrize("uid", [0, 1000])
def test_a_machine_with_everything_passes_silently_without_apt(tmp_path: Path, uid: int) -> None:
    done = run(fresh_machine(tmp_path, uid=uid, hide={"apt-get", "id"}))

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert apt_calls(tmp_path) == []


def test_make_test_checks_the_prerequisites_before_pytest_runs() -> None:
    planned = subprocess.run(
        ["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert "scripts/test_prerequisites.sh" in planned
    pytest_line = next(line for line in planned.splitlines() if "bin/pytest" in line)
    assert planned.index("scripts/test_prerequisites.sh") < planned.index(pytest_line)
    assert "scripts/with_mount_rights.sh .venv/bin/pytest" in pytest_line


def test_a_non_root_run_may_mount_the_full_disk_tests_tmpfs_as_itself() -> None:
    # Root proves it for a real unprivileged user (nobody); anyone else for themselves.
    as_user = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    probe = (
        'd=$(mktemp -d) && mount -t tmpfs -o size=2097152 tmpfs "$d" && '
        'id -u && stat -f -c "%b %S" "$d" && umount "$d" && rmdir "$d"'
    )
    done = subprocess.run(
        [*(as_user if os.geteuid() == 0 else []), str(ROOT / "scripts/with_mount_rights.sh"),
         "sh", "-c", probe],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip

    assert done.returncode == 0, done.stderr
    uid, blocks = done.stdout.splitlines()
    assert int(uid) == (65534 if os.geteuid() == 0 else os.geteuid())  # not root in there
    count, size = map(int, blocks.split())
    assert count * size == 2 * 1024 * 1024
