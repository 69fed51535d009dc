"""qBittorrent's Web API v2 as the simulator answers it: login, add, list, files…"""

from __future__ import annotations

import json
import math
import secrets
import time
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qs, urlsplit

from plexkiosk.simulators.qbittorrent.torrents import (
    DEFAULT_MAGNET_SIZE,
    VERSION,
    WEBAPI_VERSION,
    SimTorrent,
    magnet_fields,
    parse_torrent,
    torrent_files,
    video_name,
)


class WebAPI:
    """The Web API v2 routes the app uses, answered from the simulator's torrents."""

    def handle(
        self, method: str, raw_path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, str, bytes, dict[str, str]]:
        """Answer one request: status, content type, body and extra headers."""
        parts = urlsplit(raw_path)
        endpoint = parts.path.removeprefix("/api/v2/")
        with self._lock:
            self.calls[endpoint] += 1
        if self.delay:
            time.sleep(self.delay)
        if self.down_mode == "503":
            return 503, "text/plain", b"Service Unavailable", {}
        params = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        files: list[bytes] = []
        content_type = headers.get("content-type", "")
        if content_type.startswith("multipart/form-data"):
            form, files = _multipart(content_type, body)
            params.update(form)
        elif body:
            params.update({k: v[-1] for k, v in parse_qs(body.decode(errors="replace")).items()})
        if endpoint == "auth/login":
            return self._login(params)
        if endpoint == "auth/logout":
            return _text("Ok.")
        if _session(headers.get("cookie", "")) not in self.sessions:
            return 403, "text/plain", b"Forbidden", {}
        route = _ROUTES.get(endpoint)
        if route is None:
            return 404, "text/plain", b"Not Found", {}
        with self._lock:
            return route(self, params, files)

    def _login(self, params: dict[str, str]) -> tuple[int, str, bytes, dict[str, str]]:
        if params.get("username") != self.username or params.get("password") != self.password:
            # qBittorrent 4.x answers bad credentials with 200 "Fails.".
            return _text("Fails.")
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self.sessions.add(sid)
        return 200, "text/plain", b"Ok.", {"Set-Cookie": f"SID={sid}; HttpOnly; path=/"}

    def _add(self, params: dict[str, str], files: list[bytes]) -> tuple[int, str, bytes, dict]:
        save_path = params.get("savepath") or self.default_save_path
        category = params.get("category", "")
        tags = [t.strip() for t in params.get("tags", "").split(",") if t.strip()]
        # qBittorrent reads booleans case-insensitively; 5.0 renamed `paused` to `stopped`.
        paused = "true" in (params.get("paused", "").lower(), params.get("stopped", "").lower())
        options = {"save_path": save_path, "category": category, "tags": tags, "paused": paused}
        stop_after_metadata = params.get("stopCondition") == "MetadataReceived" and not paused
        added = 0
        for data in files:
            try:
                info_hash, name, size, file = parse_torrent(data)
                listed = torrent_files(data)
            except Exception:  # noqa: S112 - unparsable files are skipped, as 4.x does
                continue
            self.add(info_hash=info_hash, name=name, size=size, file=file, files=listed, **options)
            added += 1
        for url in filter(None, (u.strip() for u in params.get("urls", "").splitlines())):
            try:
                info_hash, name, size = magnet_fields(url)
            except (ValueError, TypeError):
                continue
            known = self._metadata(info_hash)
            listed: list[tuple[str, int]] = []
            if known is not None:
                name, size, file, listed = known
            else:
                size, file = size or DEFAULT_MAGNET_SIZE, video_name(name)
            self.add(
                info_hash=info_hash,
                name=name,
                size=size,
                file=file,
                magnet=True,
                files=listed,
                stop_after_metadata=stop_after_metadata,
                **options,
            )
            added += 1
        if files and not added and not params.get("urls"):
            # 4.x answers 415 to a file it cannot parse.
            return 415, "text/plain", b"Torrent file is not valid.", {}
        return _text("Ok." if added else "Fails.")

    def _selected(self, params: dict[str, str]) -> list[SimTorrent]:
        """Return the torrents the `hashes` (and `category`, `tag`) parameters pick."""
        torrents = list(self.torrents.values())
        hashes = params.get("hashes")
        if hashes and hashes != "all":
            wanted = {h.lower() for h in hashes.split("|")}
            torrents = [t for t in torrents if t.hash in wanted]
        if "category" in params:
            torrents = [t for t in torrents if t.category == params["category"]]
        if "tag" in params:
            torrents = [t for t in torrents if params["tag"] in t.tags]
        return torrents

    def _list(self, params: dict[str, str], files: list[bytes]) -> tuple[int, str, bytes, dict]:
        now = time.monotonic()
        return _json([self._info(t, now) for t in self._selected(params)])

    def _delete(self, params: dict[str, str], files: list[bytes]) -> tuple[int, str, bytes, dict]:
        for torrent in self._selected({"hashes": params.get("hashes", "")}):
            self.torrents.pop(torrent.hash, None)
            if params.get("deleteFiles", "").lower() == "true":
                self._delete_files(torrent)
        return _text("")

    def _pause(self, params: dict[str, str], files: list[bytes], paused: bool = True) -> tuple:
        for torrent in self._selected({"hashes": params.get("hashes", "")}):
            torrent.paused = paused
        return _text("")

    def _resume(self, params: dict[str, str], files: list[bytes]) -> tuple:
        return self._pause(params, files, paused=False)

    def _categories(self, params: dict[str, str], files: list[bytes]) -> tuple:
        return _json({n: {"name": n, "savePath": p} for n, p in self.categories.items()})

    def _create_category(self, params: dict[str, str], files: list[bytes]) -> tuple:
        name = params.get("category", "")
        if not name or name.startswith("/") or "//" in name:
            return 400, "text/plain", b"Incorrect category name", {}
        if name in self.categories:
            return 409, "text/plain", b"Category with the given name already exists", {}
        self.categories[name] = params.get("savePath", "")
        return _text("")

    def _files(self, params: dict[str, str], files: list[bytes]) -> tuple:
        torrent = self.torrents.get(params.get("hash", "").lower())
        if torrent is None:
            return 404, "text/plain", b"Not Found", {}
        now = time.monotonic()
        self._advance(torrent, now)
        if now < torrent.metadata_at:
            return _json([])  # a magnet without its metadata lists no file
        if torrent.files:
            return _json(self._file_list(torrent))
        return _json(
            [
                {
                    "index": 0,
                    "name": torrent.file,
                    "size": torrent.size,
                    "progress": torrent.progress,
                    "priority": 1,
                    "is_seed": torrent.progress >= 1,
                    "piece_range": [0, max(0, math.ceil(torrent.size / (4 << 20)) - 1)],
                    "availability": 0 if torrent.fault == "stall" else 1,
                }
            ]
        )

    def _file_list(self, torrent: SimTorrent) -> list[dict[str, Any]]:
        """Return a multi-file torrent's files as `torrents/files` lists them."""
        return [
            {
                "index": index,
                "name": name,
                "size": size,
                "progress": torrent.progress if torrent.priorities[index] else 0,
                "priority": torrent.priorities[index],
                "is_seed": torrent.progress >= 1,
                "availability": 0 if torrent.fault == "stall" else 1,
            }
            for index, (name, size) in enumerate(torrent.files)
        ]

    def _file_priority(self, params: dict[str, str], files: list[bytes]) -> tuple:
        torrent = self.torrents.get(params.get("hash", "").lower())
        if torrent is None:
            return 404, "text/plain", b"Not Found", {}
        try:
            priority = int(params.get("priority", ""))
            ids = [int(i) for i in params.get("id", "").split("|")]
        except ValueError:
            return 400, "text/plain", b"Bad Request", {}
        if priority not in {0, 1, 6, 7}:
            return 400, "text/plain", b"Priority is not valid", {}
        count = len(torrent.files) or 1
        if time.monotonic() < torrent.metadata_at or any(not 0 <= i < count for i in ids):
            # 4.x answers 409 to ids it does not have, and while metadata is missing.
            return 409, "text/plain", b"File IDs are not valid", {}
        if torrent.files:
            for i in ids:
                torrent.priorities[i] = priority
            # qBittorrent's size and progress count the selected files only.
            chosen = zip(torrent.files, torrent.priorities, strict=True)
            torrent.size = sum(size for (_, size), priority in chosen if priority)
            torrent.downloaded = min(torrent.downloaded, torrent.size)
        return _text("")

    def _properties(self, params: dict[str, str], files: list[bytes]) -> tuple:
        torrent = self.torrents.get(params.get("hash", "").lower())
        if torrent is None:
            return 404, "text/plain", b"Not Found", {}
        info = self._info(torrent, time.monotonic())
        return _json(
            {
                "save_path": torrent.save_path,
                "creation_date": torrent.added_on,
                "piece_size": 4 << 20,
                "total_size": torrent.size,
                "total_downloaded": torrent.downloaded,
                "dl_speed": info["dlspeed"],
                "eta": info["eta"],
                "seeds": info["num_seeds"],
                "seeds_total": info["num_complete"],
                "share_ratio": torrent.ratio,
                "seeding_time": info["seeding_time"],
                "addition_date": torrent.added_on,
                "completion_date": info["completion_on"],
            }
        )

    def _maindata(self, params: dict[str, str], files: list[bytes]) -> tuple:
        # Always a full snapshot: a client tracking `rid` just replaces what it had.
        self._rid += 1
        now = time.monotonic()
        torrents = {}
        for torrent in self.torrents.values():
            info = self._info(torrent, now)
            torrents[info.pop("hash")] = info
        return _json(
            {
                "rid": self._rid,
                "full_update": True,
                "torrents": torrents,
                "categories": {n: {"name": n, "savePath": p} for n, p in self.categories.items()},
                "tags": sorted({tag for t in self.torrents.values() for tag in t.tags}),
                "server_state": {"connection_status": "connected", "dl_info_speed": 0},
            }
        )

    def _preferences(self, params: dict[str, str], files: list[bytes]) -> tuple:
        return _json(
            {
                "save_path": self.default_save_path,
                "web_ui_username": self.username,
                "max_ratio_enabled": False,
                "max_ratio": -1,
                "queueing_enabled": False,
                "dht": False,
            }
            | self.preferences
        )

    def _set_preferences(self, params: dict[str, str], files: list[bytes]) -> tuple:
        # qBittorrent takes a `json` form field and ignores keys it does not know.
        try:
            changes = json.loads(params.get("json", ""))
        except ValueError:
            return 400, "text/plain", b"Bad Request", {}
        if not isinstance(changes, dict):
            return 400, "text/plain", b"Bad Request", {}
        self.preferences.update(changes)
        return _text("")

    # --- the HTTP server ------------------------------------------------------------------


_ROUTES = {
    "app/version": lambda sim, p, f: _text(VERSION),
    "app/webapiVersion": lambda sim, p, f: _text(WEBAPI_VERSION),
    "app/buildInfo": lambda sim, p, f: _json(
        {
            "qt": "6.4.2",
            "libtorrent": "2.0.10.0",
            "boost": "1.83.0",
            "openssl": "3.0.13",
            "zlib": "1.3",
            "bitness": 64,
        }
    ),
    "app/preferences": WebAPI._preferences,
    "app/setPreferences": WebAPI._set_preferences,
    "torrents/add": WebAPI._add,
    "torrents/info": WebAPI._list,
    "torrents/delete": WebAPI._delete,
    "torrents/pause": WebAPI._pause,
    "torrents/stop": WebAPI._pause,
    "torrents/resume": WebAPI._resume,
    "torrents/start": WebAPI._resume,
    "torrents/categories": WebAPI._categories,
    "torrents/createCategory": WebAPI._create_category,
    "torrents/files": WebAPI._files,
    "torrents/filePrio": WebAPI._file_priority,
    "torrents/properties": WebAPI._properties,
    "sync/maindata": WebAPI._maindata,
}


def _text(text: str) -> tuple[int, str, bytes, dict[str, str]]:
    return 200, "text/plain; charset=UTF-8", text.encode(), {}


def _json(value: Any) -> tuple[int, str, bytes, dict[str, str]]:
    return 200, "application/json", json.dumps(value).encode(), {}


def _session(cookie_header: str) -> str:
    """Return the SID cookie's value from a Cookie header."""
    for part in cookie_header.split(";"):
        name, _, value = part.strip().partition("=")
        if name == "SID":
            return value
    return ""


def _multipart(content_type: str, body: bytes) -> tuple[dict[str, str], list[bytes]]:
    """Split a multipart form into its text fields and the files named `torrents`."""
    message = BytesParser(policy=HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body
    )
    form: dict[str, str] = {}
    files: list[bytes] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        payload = part.get_payload(decode=True) or b""
        if part.get_filename() is not None:
            files.append(payload)
        elif name:
            form[name] = payload.decode(errors="replace")
    return form, files
