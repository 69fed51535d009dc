"""Download progress of a request, as the kiosk's progress bar shows it."""

from __future__ import annotations

from dataclasses import dataclass

from downloads.models import Download
from requests_app.models import MediaRequest, Status


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


# qBittorrent's "infinite" ETA (8640000 s = 100 days) means "unknown".
UNKNOWN_ETA = 8_640_000


def progress_of(request: MediaRequest) -> Progress | None:
    """The progress of the request's current download, or None when nothing downloads."""
    if request.status not in (Status.DOWNLOADING, Status.PROCESSING) or not request.download_hash:
        return None
    download = (
        Download.objects.filter(info_hash=request.download_hash)
        .only("progress", "dlspeed", "eta", "state")
        .first()
    )
    if download is None:
        return None
    eta = download.eta if download.eta is not None and 0 <= download.eta < UNKNOWN_ETA else None
    return Progress(
        percent=round(float(download.progress) * 100, 1),
        speed_bytes=int(download.dlspeed or 0),
        eta_seconds=eta,
        state=download.state,
    )
