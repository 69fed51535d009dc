"""qBittorrent's "run external program on torrent finished", pointed at the app.

qBittorrent runs that line on its own machine whenever any torrent finishes. The app's
line is a `curl` that POSTs the torrent's info hash (`%I`) to `FINISHED_PATH` with the
hook token, and the app checks that one download at once (`monitor.check_download`)
instead of at the next monitor pass, which stays as the safety net. The line is set
through the Web API (`manage.py qbittorrent_hook --install`, or by the workers at
start-up with QBITTORRENT_SET_HOOK) or pasted into qBittorrent's options by the admin.
"""

from __future__ import annotations

import hmac
import logging
import re
from urllib.parse import urlsplit

from django.conf import settings
from django.http.request import split_domain_port, validate_host

from downloads.qbittorrent import QBittorrent

logger = logging.getLogger(__name__)

FINISHED_PATH = "/api/v1/downloads/finished/"
# `%I` is the v1 info hash: 40 hex digits ("-" for a torrent that has none, which the app
# never adds).
_INFO_HASH = re.compile(r"[0-9a-fA-F]{40}")


class HookConflict(Exception):
    """qBittorrent already runs another program when a torrent finishes."""

    def __init__(self, program: str) -> None:
        super().__init__(program)
        self.program = program


def token_matches(candidate: str) -> bool:
    """Say whether `candidate` is the hook token, in constant time."""
    return hmac.compare_digest(candidate.encode(), settings.QBITTORRENT_HOOK_TOKEN.encode())


def parse_info_hash(value: object) -> str | None:
    """Return the lower-case v1 info hash in `value`, or None when it is not one."""
    text = str(value or "").strip()
    return text.lower() if _INFO_HASH.fullmatch(text) else None


def program_line(*, app_url: str | None = None) -> str:
    """Return the line qBittorrent runs when a torrent finishes (it holds the token)."""
    url = (app_url or settings.APP_URL).rstrip("/") + FINISHED_PATH
    # qBittorrent splits the line itself (no shell) and honours double quotes; -f makes a
    # refusal an error in qBittorrent's log, -m 5 keeps a dead app from holding it.
    return (
        f'curl -fsS -m 5 -X POST -H "Authorization: Bearer {settings.QBITTORRENT_HOOK_TOKEN}" '
        f"-d hash=%I {url}"
    )


def host_allowed(*, app_url: str | None = None) -> bool:
    """Say whether ALLOWED_HOSTS lets the call through (else Django answers it 400)."""
    host = urlsplit(app_url or settings.APP_URL).netloc
    # Django's own rule (HttpRequest.get_host): with DEBUG and none set, local names pass.
    allowed = settings.ALLOWED_HOSTS or (
        [".localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
    )
    return validate_host(split_domain_port(host)[0], allowed)


def is_ours(program: str) -> bool:
    """Say whether a program line is one this app set (any token or address)."""
    return FINISHED_PATH in program and "%I" in program


def install(
    *, client: QBittorrent | None = None, app_url: str | None = None, force: bool = False
) -> str:
    """Make qBittorrent call the app when a torrent finishes; return the line it now runs.

    Raises HookConflict when qBittorrent already runs another program (not the app's own,
    older line) and `force` is not given: it may be the admin's, for everything else.
    """
    client = client or QBittorrent()
    enabled, current = client.autorun()
    line = program_line(app_url=app_url)
    if enabled and current.strip() and not is_ours(current) and not force:
        raise HookConflict(current)
    if (enabled, current) != (True, line):
        client.set_autorun(enabled=True, program=line)
        logger.info("qBittorrent now tells the app when a torrent finishes")
    return line


def remove(*, client: QBittorrent | None = None) -> bool:
    """Stop qBittorrent calling the app; False when its program was not the app's."""
    client = client or QBittorrent()
    _, current = client.autorun()
    if not is_ours(current):
        return False
    client.set_autorun(enabled=False, program="")
    logger.info("qBittorrent no longer tells the app when a torrent finishes")
    return True


def state(*, client: QBittorrent | None = None, app_url: str | None = None) -> tuple[str, str]:
    """Say what qBittorrent runs when a torrent finishes, and the program line itself.

    "installed" (this app's line as `program_line` makes it now), "outdated" (the app's,
    with another token or address), "other" (someone else's program) or "none".
    """
    enabled, current = (client or QBittorrent()).autorun()
    if not enabled or not current.strip():
        return "none", current
    if current == program_line(app_url=app_url):
        return "installed", current
    return ("outdated" if is_ours(current) else "other"), current
