"""Notifications through Apprise (https://github.com/caronc/apprise/wiki): send, validate.

Apprise speaks to e-mail, Telegram, Discord, ntfy and a hundred other services from one URL
each; nothing here talks to a service directly. A failed notification is logged and
reported as False, never raised: it must not fail the request it is about. Notification URLs
hold secrets (bot tokens, passwords, webhook keys), so no log line shows them.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from urllib.parse import unquote

import apprise
from apprise.manager_plugins import NotificationManager
from django.conf import settings

log = logging.getLogger(__name__)

MAX_URL_LENGTH = 2000
# Apprise plugins that notify the desktop or logs of the machine running the app: on a
# server nobody sees them, so a member's profile may not use them.
LOCAL_SCHEMES = frozenset(
    {"dbus", "kde", "qt", "glib", "gnome", "macosx", "windows", "syslog", "rsyslog"}
)
_SCHEME = re.compile(r"^\s*([a-z][a-z0-9+.-]*)://", re.IGNORECASE)


def admin_urls() -> list[str]:
    """Return the administrators' Apprise URLs (NOTIFY_URLS)."""
    return [url.strip() for url in getattr(settings, "NOTIFY_URLS", []) if url and url.strip()]


def send(urls: Sequence[str], *, title: str, body: str) -> bool:
    """Send one notification to every URL; return True when all of them took it."""
    if isinstance(urls, str):
        urls = [urls]  # one URL passed bare would otherwise be sent to letter by letter
    delivered = True
    for number, url in enumerate(urls, start=1):
        try:
            ok, where = _send_one(url, title=title, body=body)
        except Exception:
            # Apprise catches its plugins' errors; this is the belt to those braces.
            ok, where = False, f"URL #{number}"
            log.warning("Notification to %s raised inside Apprise", where)
        if not ok:
            log.warning("Notification %r not delivered to %s", str(title)[:80], where)
        delivered = delivered and ok
    return delivered


def validate_url(url: str) -> str | None:
    """Return why Apprise cannot use this notification URL, or None when it can."""
    url = (url or "").strip()
    if not url:
        return "Enter a notification URL."
    if len(url) > MAX_URL_LENGTH:
        return f"A notification URL may not be longer than {MAX_URL_LENGTH} characters."
    match = _SCHEME.match(url)
    if match is None:
        return (
            "A notification URL starts with its service, for example ntfy://ntfy.sh/topic, "
            "tgram://bottoken/chatid, discord://webhook_id/webhook_token or "
            "mailto://user:password@example.com."
        )
    scheme = match.group(1).lower()
    if scheme in LOCAL_SCHEMES:
        return f"{scheme}:// notifies the server's own desktop or logs; nobody would see it."
    with _secrets_hidden(url):
        server = apprise.Apprise.instantiate(url)
    if server is None:
        if scheme in ("http", "https"):
            return "Apprise does not recognise this web address as a notification service."
        if not _known_scheme(scheme):
            return f"Apprise does not know the service {scheme}://."
        return f"This {scheme}:// URL is incomplete or invalid; check it against Apprise's wiki."
    return None


# --- Internals ----------------------------------------------------------------------


def _send_one(url: str, *, title: str, body: str) -> tuple[bool, str]:
    """Deliver to one URL; return whether it worked and a loggable name for the URL."""
    with _secrets_hidden(url):
        notifier = apprise.Apprise(asset=_asset())
        if not notifier.add(url):
            scheme = _SCHEME.match(url or "")
            return False, f"an unusable URL ({scheme.group(1) if scheme else 'no'}:// scheme)"
        where = _loggable(notifier[0])
        return bool(notifier.notify(title=title, body=body)), where


def _asset() -> apprise.AppriseAsset:
    # Named after the app so services that show a sender show "Plex Kiosk".
    return apprise.AppriseAsset(app_id="Plex Kiosk", app_desc="Plex Kiosk", secure_logging=True)


def _loggable(server: object) -> str:
    """Describe a server by Apprise's privacy-masked URL, without its path or options."""
    try:
        masked = server.url(privacy=True)  # type: ignore[attr-defined]
    except Exception:
        masked = ""
    service = getattr(server, "service_name", "notification service")
    match = re.match(r"([^:/?#]+://[^/?#]*)(/[^?#]*[^/?#])?", masked)
    if match is None:
        return str(service)
    # Apprise leaves some paths readable (an ntfy topic, a chat id) that are secret enough.
    return f"{service} ({match.group(1)}{'/…' if match.group(2) else ''})"


def _known_scheme(scheme: str) -> bool:
    # Apprise's plugin registry is a singleton; this only looks the scheme up in it.
    return scheme in NotificationManager()


# --- Keeping secrets out of Apprise's own log lines -----------------------------------
#
# Apprise masks URLs in the lines it writes about them, but some plugins log the service's
# endpoint at DEBUG with the secret inside (Discord's webhook token, Telegram's bot token),
# and socket errors quote such URLs too. While a URL is in use its secret parts are
# registered here and scrubbed from every record of the "apprise" logger. Registration is
# process-wide, not per thread, because Apprise may notify from its own thread pool.

_active: dict[str, int] = {}
_active_lock = threading.Lock()


def _secret_parts(url: str) -> set[str]:
    """Return the parts of a URL that Apprise itself would mask (tokens, passwords)."""
    text = url.strip()
    match = _SCHEME.match(text)
    rest = text[match.end() :] if match else text
    pieces = {p for p in re.split(r"[/:@?&=#,]+", rest) if len(p) >= 4}
    server = apprise.Apprise.instantiate(text) if match else None
    if server is not None:
        try:
            visible = set(re.split(r"[/:@?&=#,]+", server.url(privacy=True)))
        except Exception:
            visible = set()
        pieces -= visible
    # What the plugin sends may be the decoded or encoded form; hide both.
    return pieces | {unquote(p) for p in pieces} | ({rest} if len(rest) >= 4 else set())


class _ScrubSecrets(logging.Filter):
    """Replace the registered secrets in apprise's log records with ***."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Scrub the record in place; never drop it."""
        if not _active:
            return True
        with _active_lock:
            secrets = sorted(_active, key=len, reverse=True)
        message = record.getMessage()
        scrubbed = message
        for secret in secrets:
            scrubbed = scrubbed.replace(secret, "***")
        if scrubbed != message:
            record.msg, record.args = scrubbed, None
        if record.exc_info and not record.exc_text:
            # A traceback would quote the URL again; keep only the error's type.
            record.exc_text = f"{record.exc_info[0].__name__} (details hidden)"
        return True


_filter = _ScrubSecrets()
logging.getLogger("apprise").addFilter(_filter)


@contextmanager
def _secrets_hidden(url: str) -> Iterator[None]:
    """Scrub this URL's secrets from apprise's log records while the block runs."""
    # Parsing the URL logs nothing secret (Apprise masks it), so it happens outside.
    parts = _secret_parts(url) if url else set()
    with _active_lock:
        for part in parts:
            _active[part] = _active.get(part, 0) + 1
    try:
        yield
    finally:
        with _active_lock:
            for part in parts:
                _active[part] -= 1
                if not _active[part]:
                    del _active[part]
