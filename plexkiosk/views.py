"""Project-wide pages: liveness, and the staff status page."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from core.access import staff_required
from core.checks import run_checks
from plexkiosk.status import status_context


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
