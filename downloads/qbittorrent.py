"""The only module that talks to qBittorrent: add, list, remove and classify the app's torrents."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import qbittorrentapi
import requests
from django.conf import settings

from core.errors import ServiceError
from downloads.torrentfile import InvalidTorrent, info_hash_from_magnet, info_hash_from_torrent

logger = logging.getLogger(__name__)

DEFAULT_TIMEOUT = (5.0, 30.0)
# qBittorrent reports "no estimate" as 100 days.
_ETA_INFINITY = 8_640_000

Verdict = Literal["downloading", "completed", "stalled", "errored", "checking", "paused"]

# State names from qBittorrent's own source (the 5.0 wiki is stale). 5.0 renamed
# pausedUP/pausedDL to stoppedUP/stoppedDL; both spellings are listed so 4.x and 5.x work.
UPLOAD_STATES = frozenset(
    {"uploading", "stalledUP", "queuedUP", "forcedUP", "pausedUP", "stoppedUP"}
)
# A magnet still fetching its metadata: no file list yet.
METADATA_STATES = frozenset({"metaDL", "forcedMetaDL"})
DOWNLOAD_STATES = frozenset({"downloading", "forcedDL", "queuedDL"}) | METADATA_STATES
PAUSED_DOWNLOAD_STATES = frozenset({"pausedDL", "stoppedDL"})
ERROR_STATES = frozenset({"error", "missingFiles"})
# Files are being verified or relocated: content_path must not be touched yet.
BUSY_STATES = frozenset(
    {"checkingUP", "checkingDL", "checkingResumeData", "moving", "allocating", "unknown"}
)


class QBittorrentError(ServiceError):
    """qBittorrent refused or could not be reached; `temporary` says if retrying could help."""

    service = "qBittorrent"


class QBittorrentTemporaryError(QBittorrentError):
    """qBittorrent is unreachable, slow, failing (5xx) or keeps refusing a fresh session."""

    temporary = True


class QBittorrentPermanentError(QBittorrentError):
    """qBittorrent answered in a way retrying will not change."""


class AuthenticationError(QBittorrentPermanentError):
    """qBittorrent refused the configured username and password."""


class BadTorrentError(QBittorrentPermanentError):
    """The magnet or .torrent is invalid, or qBittorrent would not add it."""


@dataclass(frozen=True)
class TorrentSnapshot:
    """One torrent as qBittorrent reported it, detached from the client library."""

    hash: str
    name: str
    state: str
    progress: float
    dlspeed: int
    eta: int | None
    num_seeds: int
    num_complete: int
    amount_left: int
    size: int
    content_path: str
    save_path: str
    category: str
    tags: tuple[str, ...]
    ratio: float
    seeding_time: int
    added_on: datetime | None
    completion_on: datetime | None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> TorrentSnapshot:
        """Build a snapshot from one `torrents/info` entry."""
        eta = int(raw.get("eta", _ETA_INFINITY))
        return cls(
            hash=str(raw["hash"]).lower(),
            name=str(raw.get("name", "")),
            state=str(raw.get("state", "unknown")),
            progress=float(raw.get("progress", 0.0)),
            dlspeed=int(raw.get("dlspeed", 0)),
            eta=None if eta >= _ETA_INFINITY or eta < 0 else eta,
            num_seeds=int(raw.get("num_seeds", 0)),
            num_complete=int(raw.get("num_complete", 0)),
            amount_left=int(raw.get("amount_left", 0)),
            size=int(raw.get("size", 0)),
            content_path=str(raw.get("content_path", "")),
            save_path=str(raw.get("save_path", "")),
            category=str(raw.get("category", "")),
            tags=tuple(t.strip() for t in str(raw.get("tags", "")).split(",") if t.strip()),
            ratio=float(raw.get("ratio", 0.0)),
            seeding_time=int(raw.get("seeding_time", 0) or 0),
            added_on=_timestamp(raw.get("added_on")),
            completion_on=_timestamp(raw.get("completion_on")),
        )


@dataclass(frozen=True)
class TorrentFile:
    """One file of a torrent as `torrents/files` lists it: its index, path, size and priority."""

    index: int
    name: str
    size: int
    priority: int
    progress: float

    @classmethod
    def from_api(cls, position: int, raw: Mapping[str, Any]) -> TorrentFile:
        """Build a file from one `torrents/files` entry."""
        # `index` appeared in Web API 2.8.2; before it, a file's id was its position.
        return cls(
            index=int(raw.get("index", position)),
            name=str(raw.get("name", "")),
            size=int(raw.get("size", 0)),
            priority=int(raw.get("priority", 1)),
            progress=float(raw.get("progress", 0.0)),
        )


def _timestamp(value: Any) -> datetime | None:
    """Turn qBittorrent's epoch seconds into an aware datetime; it uses 0 or -1 for never."""
    if value is None or int(value) <= 0:
        return None
    return datetime.fromtimestamp(int(value), tz=UTC)


def classify(snapshot: TorrentSnapshot) -> Verdict:
    """Say what the monitor should make of a torrent's state, on qBittorrent 4.x and 5.x."""
    state = snapshot.state
    if state in ERROR_STATES:
        return "errored"
    if state in BUSY_STATES:
        return "checking"
    if state in UPLOAD_STATES:
        # An upload-side state alone is not enough: between a recheck and its end progress
        # can lag; completion needs every byte too. With files at priority 0, 4.5.2 counts
        # the selected ones only: progress 1, amount_left 0 and stalledUP once they are done
        # (`size` is then the selected bytes, `total_size` the whole torrent's).
        if snapshot.progress >= 1.0 and snapshot.amount_left == 0:
            return "completed"
        return "downloading"
    if state == "stalledDL":
        return "stalled"
    if state in PAUSED_DOWNLOAD_STATES:
        return "paused"
    if state in METADATA_STATES and snapshot.num_seeds == 0 and snapshot.dlspeed == 0:
        # A magnet nobody can give metadata for stays metaDL forever: qBittorrent never
        # turns it into stalledDL, so the monitor would otherwise wait on it for good.
        return "stalled"
    if state in DOWNLOAD_STATES:
        return "downloading"
    logger.warning("qBittorrent reported an unknown torrent state %r; waiting", state)
    return "checking"


def seeding_finished(
    snapshot: TorrentSnapshot,
    *,
    max_ratio: float = 2.0,
    max_seeding: timedelta = timedelta(days=14),
) -> bool:
    """Say whether a completed torrent has seeded enough to be removed from qBittorrent."""
    if classify(snapshot) != "completed":
        return False
    return snapshot.ratio >= max_ratio or snapshot.seeding_time >= max_seeding.total_seconds()


class QBittorrent:
    """A small client for the app's own torrents in qBittorrent, by category."""

    def __init__(
        self,
        *,
        url: str | None = None,
        username: str | None = None,
        password: str | None = None,
        category: str | None = None,
        timeout: tuple[float, float] = DEFAULT_TIMEOUT,
        confirm_timeout: float = 5.0,
    ) -> None:
        """Configure from arguments, falling back to the QBITTORRENT_* settings."""
        self.confirm_timeout = confirm_timeout
        self.url = (url if url is not None else settings.QBITTORRENT_URL).rstrip("/")
        self.username = username if username is not None else settings.QBITTORRENT_USERNAME
        self.category = category if category is not None else settings.QBITTORRENT_CATEGORY
        if not self.url:
            raise QBittorrentPermanentError("QBITTORRENT_URL is not set")
        if not self.category:
            raise QBittorrentPermanentError("QBITTORRENT_CATEGORY must not be empty")
        self._category_ready = False
        self._logged_in = False
        self._api = qbittorrentapi.Client(
            host=self.url,
            username=self.username,
            password=password if password is not None else settings.QBITTORRENT_PASSWORD,
            # Without this, a URL without a scheme makes the library probe HTTPS first.
            FORCE_SCHEME_FROM_HOST=True,
            REQUESTS_ARGS={"timeout": timeout},
            # No urllib3 retries on top of qbittorrent-api's own second attempt: retrying is
            # the Celery task's job, and a dead server must fail in two timeouts, not four.
            HTTPADAPTER_ARGS={"max_retries": 0},
        )

    def __repr__(self) -> str:
        """Show where and as whom, never the password."""
        return f"<QBittorrent {self.url} user={self.username!r} category={self.category!r}>"

    @contextmanager
    def _errors(self, action: str) -> Iterator[None]:
        """Translate qbittorrent-api and requests failures into temporary or permanent ones."""
        try:
            if not self._logged_in:
                # Left to itself, qbittorrent-api sends the first call without a session,
                # gets 403, logs in and sends it again: a monitor pass (a new client each
                # time) would read the torrent list twice. Later 403s (a restart, an
                # expired session) it still handles alone, with one new login.
                self._api.auth_log_in()
                self._logged_in = True
            yield
        except qbittorrentapi.LoginFailed as exc:
            # 4.x answers 200 "Fails." for bad credentials, 5.2 answers 401.
            raise AuthenticationError(
                f"qBittorrent at {self.url} refused user {self.username!r}: check the password"
            ) from exc
        except qbittorrentapi.Forbidden403Error as exc:
            # qbittorrent-api has already logged in again once; a 403 now means the
            # session keeps expiring (a restart) or this IP is banned after failed logins.
            raise QBittorrentTemporaryError(
                f"qBittorrent refused to {action} (403) after a new login"
            ) from exc
        except qbittorrentapi.HTTP5XXError as exc:
            raise QBittorrentTemporaryError(
                f"qBittorrent failed to {action}: HTTP {_status(exc)}"
            ) from exc
        except qbittorrentapi.HTTP4XXError as exc:
            raise QBittorrentPermanentError(
                f"qBittorrent refused to {action}: HTTP {_status(exc)}"
            ) from exc
        except (qbittorrentapi.APIConnectionError, requests.RequestException) as exc:
            raise QBittorrentTemporaryError(
                f"qBittorrent at {self.url} unreachable to {action}: {type(exc).__name__}"
            ) from exc

    def login(self) -> str:
        """Log in and return qBittorrent's version (e.g. `v4.5.2`)."""
        with self._errors("log in"):  # which logs in first
            return str(self._api.app_version())

    def version(self) -> str:
        """Return qBittorrent's version string."""
        with self._errors("read its version"):
            return str(self._api.app_version())

    def ensure_category(self) -> None:
        """Create the app's category once; an existing one is fine."""
        if self._category_ready:
            return
        # createCategory answers 409 when the name exists, which is all we wanted.
        with self._errors("create the category"), suppress(qbittorrentapi.Conflict409Error):
            self._api.torrents_create_category(name=self.category)
        self._category_ready = True

    def add_torrent(
        self,
        *,
        magnet: str | None = None,
        torrent_bytes: bytes | None = None,
        save_path: str,
        tag: str,
        stopped: bool = False,
    ) -> str:
        """Add a magnet or .torrent in the app's category and return its info hash.

        `stopped`: nothing is downloaded until `start`, so file priorities can be set first.
        A magnet then still fetches its metadata (the file list) and stops right after it.
        """
        if (magnet is None) == (torrent_bytes is None):
            raise ValueError("give exactly one of magnet or torrent_bytes")
        try:
            # qBittorrent up to 5.1 answers only "Ok.", so the hash must be known beforehand.
            info_hash = (
                info_hash_from_magnet(magnet)
                if magnet is not None
                else info_hash_from_torrent(torrent_bytes or b"")
            )
        except InvalidTorrent as exc:
            raise BadTorrentError(str(exc)) from exc
        if self._find(info_hash, "check for the torrent") is not None:
            logger.info("torrent %s already in qBittorrent; not adding it again", info_hash)
            return info_hash
        self.ensure_category()
        try:
            with self._errors("add a torrent"):
                answer = self._api.torrents_add(
                    urls=magnet,
                    torrent_files=torrent_bytes,
                    save_path=save_path,
                    category=self.category,
                    tags=tag,
                    # An explicit save path only holds with automatic management off.
                    use_auto_torrent_management=False,
                    **_stopped_options(stopped, magnet=magnet is not None),
                )
        except QBittorrentPermanentError as exc:
            # 4.x answers 415 for a file it cannot parse; 5.x may answer 409 to a duplicate.
            answer = f"Fails. ({exc})"
        if _add_failed(answer) and self._find(info_hash, "check the added torrent") is None:
            raise BadTorrentError(f"qBittorrent would not add torrent {info_hash}: {answer}")
        self._wait_until_listed(info_hash)
        logger.info("added torrent %s to qBittorrent (tag %s)", info_hash, tag)
        return info_hash

    def _wait_until_listed(self, info_hash: str) -> None:
        """Wait until qBittorrent lists a torrent it said "Ok." to."""
        # 4.x adds asynchronously: a magnet answered "Ok." can be missing from
        # torrents/info for a moment, or for good when libtorrent refused it.
        deadline = time.monotonic() + self.confirm_timeout
        while self._find(info_hash, "check the added torrent") is None:
            if time.monotonic() > deadline:
                raise QBittorrentTemporaryError(
                    f"qBittorrent answered Ok. but does not list torrent {info_hash}"
                )
            time.sleep(0.05)

    def _find(self, info_hash: str, action: str) -> TorrentSnapshot | None:
        """Return the torrent with this hash in any category, refusing another category's."""
        with self._errors(action):
            found = self._api.torrents_info(torrent_hashes=info_hash)
        if not found:
            return None
        snapshot = TorrentSnapshot.from_api(found[0])
        if snapshot.category != self.category:
            # Someone added it by hand under another category: it is not ours to touch.
            raise QBittorrentPermanentError(
                f"torrent {info_hash} is already in qBittorrent under category "
                f"{snapshot.category!r}, outside {self.category!r}"
            )
        return snapshot

    def get(self, info_hash: str) -> TorrentSnapshot | None:
        """Return the app's torrent with this hash, or None when qBittorrent does not have it."""
        return self._find(info_hash.lower(), "read a torrent")

    def list_torrents(self) -> list[TorrentSnapshot]:
        """Return every torrent in the app's category, in one call."""
        with self._errors("list torrents"):
            raw = self._api.torrents_info(category=self.category)
        # The category filter is exact, but a torrent moved to "plexkiosk/sub" or renamed
        # between calls must still never reach the monitor.
        return [
            snapshot
            for snapshot in map(TorrentSnapshot.from_api, raw)
            if snapshot.category == self.category
        ]

    def files(self, info_hash: str) -> list[TorrentFile]:
        """Return the torrent's files; empty while a magnet waits for its metadata."""
        with self._errors("list a torrent's files"):
            raw = self._api.torrents_files(torrent_hash=info_hash.lower())
        return [TorrentFile.from_api(position, entry) for position, entry in enumerate(raw)]

    def set_file_priority(self, info_hash: str, file_ids: Iterable[int], priority: int) -> None:
        """Set the priority (0: do not download, 1: normal) of some files of the torrent."""
        ids = sorted(set(file_ids))
        if not ids:
            return
        with self._errors("set file priorities"):
            self._api.torrents_file_priority(
                torrent_hash=info_hash.lower(), file_ids=ids, priority=priority
            )

    def start(self, info_hash: str) -> None:
        """Start (resume) the torrent; one that is already running is left as it is."""
        # qbittorrent-api calls torrents/resume before Web API 2.11 (qBittorrent 5.0), start after.
        with self._errors("start a torrent"):
            self._api.torrents_start(torrent_hashes=info_hash.lower())

    def autorun(self) -> tuple[bool, str]:
        """Return qBittorrent's "run external program on torrent finished" switch and line."""
        with self._errors("read its preferences"):
            preferences = self._api.app_preferences()
        return bool(preferences.get("autorun_enabled")), str(preferences.get("autorun_program", ""))

    def set_autorun(self, *, enabled: bool, program: str) -> None:
        """Set the program qBittorrent runs when any torrent finishes (all categories)."""
        # Web API 2.8 (4.5.2) and 2.11 (5.x) name both the same; `%I` is the v1 info hash.
        with self._errors("set its preferences"):
            self._api.app_set_preferences(
                prefs={"autorun_enabled": enabled, "autorun_program": program}
            )

    def remove(self, info_hash: str, *, delete_files: bool = True, listed: bool = False) -> bool:
        """Remove the app's torrent (and its data by default); False when it was not there.

        `listed`: the caller has just read it in the app's category (a monitor pass), so
        it is the app's and there: no second `torrents/info` call to make sure.
        """
        if not listed and self.get(info_hash) is None:
            return False
        with self._errors("remove a torrent"):
            self._api.torrents_delete(delete_files=delete_files, torrent_hashes=info_hash.lower())
        logger.info("removed torrent %s (delete_files=%s)", info_hash, delete_files)
        return True


def _status(exc: qbittorrentapi.HTTPError) -> str:
    """Return the HTTP status of a failed call, with qBittorrent's short reason if any."""
    response = getattr(exc, "response", None)
    code = getattr(response, "status_code", "error")
    reason = str(exc).strip()[:200]
    return f"{code} {reason}".strip()


def _stopped_options(stopped: bool, *, magnet: bool) -> dict[str, Any]:
    """Return the `torrents/add` options that keep a new torrent from downloading any file."""
    if not stopped:
        return {}
    if magnet:
        # A stopped magnet never asks peers for its metadata, so its files would stay unknown
        # for good; "stop once the metadata arrives" (Web API 2.8.15, qBittorrent 4.5) does.
        return {"stop_condition": "MetadataReceived"}
    # qbittorrent-api sends both `paused` (4.x) and `stopped` (5.0 renamed it).
    return {"is_stopped": True}


def _add_failed(answer: Any) -> bool:
    """Say whether `torrents/add` reported a failure: "Fails." to 5.1, JSON counts from 5.2."""
    if isinstance(answer, str):
        return answer.strip() != "Ok."
    failures = getattr(answer, "failure_count", None)
    if failures is None and isinstance(answer, Mapping):
        failures = answer.get("failure_count")
    return bool(failures)
