"""Download progress of a request, as the kiosk's progress bar shows it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from downloads.models import Download
from requests_app.models import EpisodeState, MediaRequest, RequestEpisode, Status


@dataclass(frozen=True)
class Progress:
    percent: float
    speed_bytes: int
    eta_seconds: int | None
    state: str

    @property
    def eta_text(self) -> str:
        if self.eta_seconds is None:
            return ""
        minutes, seconds = divmod(self.eta_seconds, 60)
        hours, minutes = divmod(minutes, 60)
        if hours:
            return f"{hours} h {minutes:02d} min"
        if minutes:
            return f"{minutes} min {seconds:02d} s"
        return f"{seconds} s"


# Statuses whose card changes within seconds; pending, not-found and following ones, rarely.
MOVING_STATUSES = (Status.APPROVED, Status.SEARCHING, Status.DOWNLOADING, Status.PROCESSING)


def poll_seconds(statuses: Iterable[str]) -> int:
    """Say how often a page re-reads its live cards: every 3 s while one moves, else a minute."""
    return 3 if any(status in MOVING_STATUSES for status in statuses) else 60


# qBittorrent's "infinite" ETA (8640000 s = 100 days) means "unknown".
UNKNOWN_ETA = 8_640_000


def progress_of(request: MediaRequest) -> Progress | None:
    """The progress of the request's downloads (a season's, together), or None when none run."""
    if request.status not in (Status.DOWNLOADING, Status.PROCESSING):
        return None
    hashes = [request.download_hash] if request.download_hash else _episode_hashes(request)
    return _combined(list(_downloads(hashes)))


def progress_of_many(requests: Iterable[MediaRequest]) -> dict[int, Progress]:
    """Return the progress of each of these requests that has one, by id, in two queries."""
    running = [r for r in requests if r.status in (Status.DOWNLOADING, Status.PROCESSING)]
    hashes: dict[int, set[str]] = {r.pk: {r.download_hash} for r in running if r.download_hash}
    seasons = [r.pk for r in running if not r.download_hash]
    if seasons:
        rows = RequestEpisode.objects.filter(
            request_id__in=seasons, state=EpisodeState.DOWNLOADING
        ).exclude(download_hash="")
        for request_id, info_hash in rows.values_list("request_id", "download_hash"):
            hashes.setdefault(request_id, set()).add(info_hash)
    found = {d.info_hash: d for d in _downloads(set().union(*hashes.values()))} if hashes else {}
    progress = {}
    for request_id, wanted in hashes.items():
        shown = _combined([found[h] for h in sorted(wanted) if h in found])
        if shown is not None:
            progress[request_id] = shown
    return progress


def _downloads(hashes: Iterable[str]) -> Iterable[Download]:
    return Download.objects.filter(info_hash__in=list(hashes)).only(
        "info_hash", "size", "progress", "dlspeed", "eta", "state"
    )


def _combined(downloads: list[Download]) -> Progress | None:
    """One bar over these downloads (a season's episodes: over the bytes of all of them)."""
    if not downloads:
        return None
    if len(downloads) == 1:
        return _progress(downloads[0])
    size = sum(max(d.size, 1) for d in downloads)
    done = sum(max(d.size, 1) * float(d.progress) for d in downloads)
    etas = [p.eta_seconds for p in map(_progress, downloads)]
    running = [d.state for d in downloads if d.state not in IDLE_STATES]
    return Progress(
        percent=round(done / size * 100, 1),
        speed_bytes=sum(int(d.dlspeed or 0) for d in downloads),
        eta_seconds=None if None in etas else max(etas),
        state=running[0] if running else downloads[0].state,
    )


def progress_by_download(hashes: Iterable[str]) -> dict[str, Progress]:
    """Return each of these downloads' progress, by info hash (for a season's episodes)."""
    rows = Download.objects.filter(info_hash__in=set(hashes) - {""}).only(
        "info_hash", "progress", "dlspeed", "eta", "state"
    )
    return {d.info_hash: _progress(d) for d in rows}


# A download past these has nothing left to fetch: it does not name the bar's state.
IDLE_STATES = (Download.State.COMPLETED, Download.State.IMPORTING, Download.State.IMPORTED)


def _episode_hashes(request: MediaRequest) -> list[str]:
    return list(
        request.episodes.filter(state=EpisodeState.DOWNLOADING)
        .exclude(download_hash="")
        .values_list("download_hash", flat=True)
        .distinct()
    )


def _progress(download: Download) -> Progress:
    eta = download.eta if download.eta is not None and 0 <= download.eta < UNKNOWN_ETA else None
    return Progress(
        percent=round(float(download.progress) * 100, 1),
        speed_bytes=int(download.dlspeed or 0),
        eta_seconds=eta,
        state=download.state,
    )
