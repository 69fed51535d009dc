"""`make test`'s first step: as root it installs the Debian programs the suite drives; anyone
else gets one line naming the command to run, and no test starts. Then anyone gets the Node
tools package-lock.json pins (axe-core) by `npm ci` when node_modules/ is not the lock's.

Each test runs a copy of the script in a repository of its own, so none touches the real
node_modules/."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "test_prerequisites.sh"
TOOLS = ("qbittorrent-nox", "mktorrent", "chromium", "npm")
LOCKED_AXE = json.loads((ROOT / "package-lock.json").read_text())["packages"][
    "node_modules/axe-core"
]["version"]
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


# Logs its calls; `ci` writes the axe-core that package-lock.json pins, unless told to fail.
FAKE_NPM = """#!/bin/sh
echo "$*" >> "{log}"
[ -z "$NPM_FAILS" ] || {{ echo "npm error network request failed" >&2; exit 1; }}
mkdir -p node_modules/axe-core
printf '{{"name": "axe-core", "version": "{version}"}}' > node_modules/axe-core/package.json
"""


def repository(tmp_path: Path, axe: str | None = LOCKED_AXE) -> Path:
    """Return a copy of the repository's parts the script reads, with axe-core `axe` in
    node_modules/ (none when None)."""
    repo = tmp_path / "repo"
    (repo / "scripts").mkdir(parents=True)
    for name in (
        "scripts/test_prerequisites.sh",
        "scripts/with_mount_rights.sh",
        "package.json",
        "package-lock.json",
    ):
        shutil.copy2(ROOT / name, repo / name)  # fmt: skip
    if axe is not None:
        (repo / "node_modules" / "axe-core").mkdir(parents=True)
        (repo / "node_modules" / "axe-core" / "package.json").write_text(
            json.dumps({"name": "axe-core", "version": axe})
        )
    return repo


def fake_npm(env: dict[str, str], tmp_path: Path) -> None:
    """Put a fake `npm` first on the PATH of `env`."""
    npm = Path(env["PATH"].split(":")[0]) / "npm"
    npm.write_text(FAKE_NPM.format(log=tmp_path / "npm.log", version=LOCKED_AXE))
    npm.chmod(0o755)


def npm_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "npm.log"
    return log.read_text().splitlines() if log.exists() else []


def installed_axe(repo: Path) -> str:
    return json.loads((repo / "node_modules/axe-core/package.json").read_text())["version"]


def run(env: dict[str, str], repo: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(repo / SCRIPT.relative_to(ROOT))],
        env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip


def apt_calls(tmp_path: Path) -> list[str]:
    log = tmp_path / "apt.log"
    return log.read_text().splitlines() if log.exists() else []


def test_a_user_without_the_tools_gets_one_line_naming_the_command_and_a_failure(
    tmp_path: Path,
) -> None:
    done = run(fresh_machine(tmp_path, uid=1000), repository(tmp_path))

    assert done.returncode == 1
    assert done.stdout == ""
    assert done.stderr.splitlines() == [
        "make test cannot run the whole suite: run: sudo apt-get update && sudo apt-get "
        "install -y qbittorrent-nox mktorrent chromium npm (or run make test as root, which "
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

    done = run(env, repository(tmp_path))

    assert done.returncode == 1
    [line] = done.stderr.splitlines()
    assert line.startswith("make test cannot run the whole suite: run: sudo apt-get update")
    assert line.endswith(
        "; the full-disk tests mount a tmpfs: run make test as root, or allow unprivileged "
        "user namespaces (on Debian: sudo sysctl -w kernel.unprivileged_userns_clone=1)"
    )


def test_root_without_the_tools_updates_apt_and_installs_them(tmp_path: Path) -> None:
    done = run(fresh_machine(tmp_path, uid=0), repository(tmp_path))

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "make test: installing the Debian packages the suite needs: "
        "qbittorrent-nox mktorrent chromium npm"
    ]
    assert apt_calls(tmp_path) == [
        "noninteractive update -qq",
        "noninteractive install -y -qq qbittorrent-nox mktorrent chromium npm",
    ]


def test_root_fails_loudly_when_the_install_leaves_a_tool_missing(tmp_path: Path) -> None:
    env = fresh_machine(tmp_path, uid=0)
    env["APT_INSTALLS_NOTHING"] = "1"

    done = run(env, repository(tmp_path))

    assert done.returncode == 1
    assert done.stderr.splitlines()[-1] == (
        "make test: still missing after apt-get install: qbittorrent-nox mktorrent chromium npm"
    )


@pytest.mark.parametrize("uid", [0, 1000])
def test_a_machine_with_everything_passes_silently_without_apt(tmp_path: Path, uid: int) -> None:
    env = fresh_machine(tmp_path, uid=uid, hide={"apt-get", "id", "npm"})
    fake_npm(env, tmp_path)

    done = run(env, repository(tmp_path))

    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    assert apt_calls(tmp_path) == []
    assert npm_calls(tmp_path) == []


@pytest.mark.parametrize("uid", [0, 1000])
@pytest.mark.parametrize("axe", [None, "4.10.0"], ids=["missing", "older"])
def test_node_modules_without_the_locked_axe_core_gets_npm_ci(
    tmp_path: Path, uid: int, axe: str | None
) -> None:
    env = fresh_machine(tmp_path, uid=uid, hide={"apt-get", "id", "npm"})
    fake_npm(env, tmp_path)
    repo = repository(tmp_path, axe=axe)

    done = run(env, repo)

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.splitlines() == [
        "make test: installing the Node tools the suite needs: npm ci (package-lock.json)"
    ]
    assert npm_calls(tmp_path) == ["ci --no-audit --no-fund"]
    assert installed_axe(repo) == LOCKED_AXE
    assert apt_calls(tmp_path) == []


def test_root_installs_npm_then_runs_npm_ci_on_a_clean_clone(tmp_path: Path) -> None:
    env = fresh_machine(tmp_path, uid=0, hide={"apt-get", "id", "npm"})
    # apt-get's "npm" is the fake that logs and writes node_modules/.
    env["FAKE_NPM"] = FAKE_NPM.format(log=tmp_path / "npm.log", version=LOCKED_AXE)
    repo = repository(tmp_path, axe=None)
    apt = tmp_path / "fakes" / "apt-get"
    apt.write_text(apt.read_text().replace("printf '#!/bin/sh\\n'", 'printf "%s" "$FAKE_NPM"'))

    done = run(env, repo)

    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        "make test: installing the Debian packages the suite needs: npm",
        "make test: installing the Node tools the suite needs: npm ci (package-lock.json)",
    ]
    assert apt_calls(tmp_path)[-1] == "noninteractive install -y -qq npm"
    assert npm_calls(tmp_path) == ["ci --no-audit --no-fund"]
    assert installed_axe(repo) == LOCKED_AXE


def test_a_failing_npm_ci_stops_make_test_with_npms_error(tmp_path: Path) -> None:
    env = fresh_machine(tmp_path, uid=0, hide={"apt-get", "id", "npm"})
    fake_npm(env, tmp_path)
    env["NPM_FAILS"] = "1"

    done = run(env, repository(tmp_path, axe=None))

    assert done.returncode != 0
    assert "npm error network request failed" in done.stderr


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
