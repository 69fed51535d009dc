"""Library pages: browse and search what Plex has, with posters fetched through the app."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_GET

from library.models import LibraryItem, SyncRun
from library.plex import PlexClient, PlexError

PAGE_SIZE = 48


@login_required
@require_GET
def library_list(request: HttpRequest) -> HttpResponse:
    """List mirrored movies and shows, filtered by title and type, one page at a time."""
    query = request.GET.get("q", "").strip()[:200]
    kind = request.GET.get("type", "")
    items = LibraryItem.objects.select_related("section").order_by("title", "year", "pk")
    if query:
        items = items.filter(title__icontains=query)
    if kind in LibraryItem.Type.values:
        items = items.filter(type=kind)
    page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
    last_sync = (
        SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED).order_by("-started_at").first()
    )
    return render(
        request,
        "library/list.html",
        {
            "page": page,
            "query": query,
            "kind": kind,
            "types": LibraryItem.Type.choices,
            "last_sync": last_sync,
        },
    )


@login_required
@require_GET
@cache_control(private=True, max_age=86400)
def poster(request: HttpRequest, pk: int) -> HttpResponse:
    """Send an item's poster from Plex, so the Plex token never reaches the browser."""
    item = get_object_or_404(LibraryItem, pk=pk)
    if not item.thumb:
        raise Http404("no poster")
    try:
        body, content_type = PlexClient().thumb(item.thumb)
    except PlexError as exc:
        raise Http404("poster unavailable") from exc
    return HttpResponse(body, content_type=content_type)
