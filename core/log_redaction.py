"""A logging filter that masks secrets in every record before any handler writes it.

The app's own code never logs a secret, but libraries do at DEBUG: urllib3 logs request
URLs (`?apikey=...`, `?X-Plex-Token=...`) and tracebacks quote the URL a connection
failed on. This filter masks credential-looking query and form values and the configured
secret settings in the message, its arguments, the traceback and the stack.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from types import FrameType
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter, SafeExceptionReporterFilter

MASK = "***"
# `name=value` in URLs, form bodies and reprs, `name: value` in headers, `"name": "value"`
# in JSON (plex.tv's `authToken`, also escaped inside another JSON string) and
# `name="value"` in XML attributes (plex.tv's `authenticationToken`), and a Plex Home
# PIN (`/switch?pin=1234`); the value ends at &, space, quote or bracket.
_PAIRS = re.compile(
    r"(?P<key>(?:x-plex-token|(?:jackett_)?api_?key|access_token|token|password|passwd|pass"
    r"|(?<![a-z])pin)"
    r"(?:%3D|=\\?['\"]?|\\?['\"]?\s*:\s*\\?['\"]?))(?P<value>[^&\s'\"\\<>\])},;]+)",
    re.IGNORECASE,
)
# `scheme://user:password@host` in notification and proxy URLs.
_USERINFO = re.compile(r"(?P<key>[a-z][a-z0-9+.-]*://[^/\s:@]*:)(?P<value>[^@\s/]+)(?=@)", re.I)
_SECRET_SETTINGS = (
    "PLEX_TOKEN",
    "QBITTORRENT_PASSWORD",
    "TMDB_API_KEY",
    "SECRET_KEY",
    "EMAIL_HOST_PASSWORD",
    "PLEX_TOKEN_KEY",
    # In qBittorrent's "run on torrent finished" line, which libraries may log when set.
    "QBITTORRENT_HOOK_TOKEN",
)
# Shorter values would mask ordinary words ("x", "admin") all over the logs.
_MIN_SECRET_LENGTH = 6


def known_secrets() -> list[str]:
    """Return the configured secret values long enough to mask, longest first."""
    values: list[str] = []
    for name in _SECRET_SETTINGS:
        value = getattr(settings, name, "")
        if isinstance(value, str):
            values.append(value)
    notify = getattr(settings, "NOTIFY_URLS", [])
    values += _url_secrets(notify if isinstance(notify, list | tuple) else [str(notify)])
    return sorted({v for v in values if len(v) >= _MIN_SECRET_LENGTH}, key=len, reverse=True)


def _url_secrets(urls: Iterable[str]) -> list[str]:
    """Return the path, password and whole URL of each notification URL (all hold tokens)."""
    found: list[str] = []
    for url in urls:
        url = str(url)
        found.append(url)
        _, _, rest = url.partition("://")
        found += [part for part in re.split(r"[/:@?&=]", rest) if part]
    return found


def redact(text: str, secrets: Iterable[str] | None = None) -> str:
    """Mask credential query/form values and the known secret values in `text`."""
    for secret in known_secrets() if secrets is None else secrets:
        text = text.replace(secret, MASK)
    text = _PAIRS.sub(_mask, text)
    return _USERINFO.sub(_mask, text)


def _mask(match: re.Match[str]) -> str:
    """Replace a matched value by the mask, leaving one masked already (`****`) as it is."""
    if set(match["value"]) == {"*"}:
        return match[0]
    return match["key"] + MASK


class RedactSecrets(logging.Filter):
    """Mask secrets in a record's message, traceback and stack; never drop the record."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place with its secrets masked."""
        try:
            secrets = known_secrets()
            record.msg = redact(record.getMessage(), secrets)
            record.args = None
            if record.exc_info:
                # Formatters print exc_text when exc_info is gone (text and JSON alike).
                text = logging.Formatter().formatException(record.exc_info)
                record.exc_text = redact(text, secrets)
                record.exc_info = None
            elif record.exc_text:
                record.exc_text = redact(record.exc_text, secrets)
            if record.stack_info:
                record.stack_info = redact(record.stack_info, secrets)
        except Exception:  # a logging filter must never break logging
            record.msg, record.args = "(log message withheld: it could not be redacted)", None
        return True


class RedactingReporterFilter(SafeExceptionReporterFilter):
    """Django's report filter, also hiding every frame variable named like a secret.

    Django hides local variables only in functions marked @sensitive_variables, and only
    when DEBUG is off; a person's Plex token held in `token`, `owner_token` or a headers
    dict (`X-Plex-Token`), or a Home `pin`, would otherwise be in the DEBUG page and in
    the error mail's report. Names are matched as Django matches settings' names.
    """

    hidden_settings = re.compile(
        r"API|AUTH|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|(?:^|_)PIN(?:$|_)", re.I
    )

    def is_active(self, request: HttpRequest | None) -> bool:
        """Filter the DEBUG page too: a Plex token is a person's, not the developer's."""
        return True

    def get_traceback_frame_variables(
        self, request: HttpRequest | None, tb_frame: FrameType
    ) -> list[tuple[str, Any]]:
        """Return the frame's variables, those named like secrets (and dict keys) masked."""
        variables = super().get_traceback_frame_variables(request, tb_frame)
        return [(name, self.cleanse_setting(name, value)) for name, value in variables]


class RedactingExceptionReporter(ExceptionReporter):
    """Django's error report (DEBUG page, admin e-mails) with the secrets masked.

    Django hides settings named like KEY or TOKEN, but not a token inside NOTIFY_URLS, a
    password in a broker URL, an exception's message, or a frame's local variables.
    """

    def get_traceback_html(self) -> str:
        """Return the HTML report with secrets masked."""
        return redact(super().get_traceback_html())

    def get_traceback_text(self) -> str:
        """Return the plain-text report with secrets masked."""
        return redact(super().get_traceback_text())


class RedactingAdminEmailHandler(AdminEmailHandler):
    """Django's error mail to ADMINS with secrets masked in its subject, text and report.

    The subject and first lines quote the log message (a task's exception text may hold a
    URL with a token); the attached report is RedactingExceptionReporter's.
    """

    def send_mail(self, subject: str, message: str, *args: Any, **kwargs: Any) -> None:
        """Mail the admins the masked subject, message and HTML report."""
        secrets = known_secrets()
        if kwargs.get("html_message"):
            kwargs["html_message"] = redact(kwargs["html_message"], secrets)
        super().send_mail(redact(subject, secrets), redact(message, secrets), *args, **kwargs)
