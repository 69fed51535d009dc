"""Project-wide pages: liveness, the staff status page, cached TMDB images, the app manifest."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotModified, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.http import parse_etags
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import staff_required
from core.checks import run_checks
from plexkiosk.status import status_context
from requests_app import images

# TMDB never changes the picture behind a path, so a served image can be kept for good.
IMAGE_CACHE_CONTROL = "max-age=31536000, immutable"
# A placeholder stands in while TMDB is away: the browser asks again soon.
PLACEHOLDER_CACHE_CONTROL = "max-age=300"
# An image is never a document: no script of an SVG runs, even when opened on its own.
IMAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; sandbox"
THEME_COLOUR = "#1f2430"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Report database and broker; 503 naming the failing part when one is down."""
    checks = run_checks()
    healthy = all(check.ok for check in checks)
    body = {
        "status": "ok" if healthy else "unhealthy",
        "checks": {check.name: {"ok": check.ok, "detail": check.detail} for check in checks},
    }
    if not healthy:
        body["failing"] = [check.name for check in checks if not check.ok]
    return JsonResponse(body, status=200 if healthy else 503)


@staff_required
@never_cache
@require_GET
def status(request: HttpRequest) -> HttpResponse:
    """Staff page: every service checked, queues, the schedule, failures, downloads."""
    return render(request, "status.html", status_context())


@login_required
@require_GET
def image(request: HttpRequest, kind: str, size: str, name: str) -> HttpResponse:
    """Serve a poster or backdrop from the disk cache (fetched once), or a placeholder."""
    if not images.is_allowed(kind, size, name):
        raise Http404("No such image.")
    found = images.get_image(size=size, name=name)
    if found is None:
        response = HttpResponse(images.placeholder_svg(kind), content_type="image/svg+xml")
        response["Cache-Control"] = PLACEHOLDER_CACHE_CONTROL
    elif _etag_matches(request.headers.get("If-None-Match", ""), found.etag):
        response = HttpResponseNotModified()
    else:
        response = HttpResponse(found.body, content_type=found.content_type)
    if found is not None:
        response["ETag"] = found.etag
        response["Cache-Control"] = IMAGE_CACHE_CONTROL
    response["Content-Security-Policy"] = IMAGE_CSP
    return response


def _etag_matches(if_none_match: str, etag: str) -> bool:
    """Compare weakly, as If-None-Match asks (RFC 9110 13.1.2): gzip makes an SVG's ETag weak."""
    ours = etag.removeprefix("W/")
    return any(tag == "*" or tag.removeprefix("W/") == ours for tag in parse_etags(if_none_match))


@require_GET
def manifest(request: HttpRequest) -> JsonResponse:
    """Describe the kiosk as an installable web app (home-screen icon, full screen)."""
    body = {
        "name": "Plex Kiosk",
        "short_name": "Kiosk",
        "start_url": "/",
        "scope": "/",
        "display": "fullscreen",
        "orientation": "any",
        "background_color": THEME_COLOUR,
        "theme_color": THEME_COLOUR,
        "icons": [
            {"src": static(f"icons/icon-{n}.png"), "sizes": f"{n}x{n}", "type": "image/png"}
            for n in (192, 512)
        ],
    }
    response = JsonResponse(body, content_type="application/manifest+json")
    response["Cache-Control"] = "max-age=86400"
    return response
