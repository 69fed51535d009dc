"""Downloads pages: a staff view of what qBittorrent is fetching and what was filed."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from core.access import staff_required
from downloads.lifecycle import ACTIVE
from downloads.models import Download

PAGE_SIZE = 50


def eta_text(seconds: int | None) -> str:
    """Say how long a download has left, as a person would read it."""
    if seconds is None:
        return "unknown"
    if seconds < 60:
        return f"{seconds} s"
    minutes = seconds // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    return f"{hours // 24} days"


@staff_required
@require_GET
def download_list(request: HttpRequest) -> HttpResponse:
    """List downloads, newest first, with state, progress, speed and ETA (staff only)."""
    state = request.GET.get("state", "")
    downloads = Download.objects.order_by("-added_at", "-pk")
    if state in Download.State.values:
        downloads = downloads.filter(state=state)
    page = Paginator(downloads, PAGE_SIZE).get_page(request.GET.get("page"))
    active = {str(s) for s in ACTIVE}
    for download in page:
        download.percent = round(download.progress * 100, 1)
        download.running = download.state in active
        download.eta_text = eta_text(download.eta)
    return render(
        request,
        "downloads/list.html",
        {
            "page": page,
            "state": state,
            "states": Download.State.choices,
            "active_count": Download.objects.filter(state__in=ACTIVE).count(),
        },
    )
