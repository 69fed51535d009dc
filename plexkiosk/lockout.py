"""The page a person sees after too many failed logins (django-axes' lockout response)."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def lockout_response(
    request: HttpRequest, original_response: HttpResponse | None, credentials: dict | None
) -> HttpResponse:
    """Render the lockout page with 429, never a cross-origin JSON answer."""
    # Axes' own response answers XMLHttpRequest with `Access-Control-Allow-Origin: *`;
    # one page for every client keeps CORS closed here too.
    minutes = max(1, round(settings.AXES_COOLOFF_TIME * 60))
    response = render(
        request,
        "lockout.html",
        {"cooloff_minutes": minutes, "failure_limit": settings.AXES_FAILURE_LIMIT},
        status=429,
    )
    response["Retry-After"] = str(minutes * 60)
    return response


def client_address(request: HttpRequest) -> str:
    """Return the address a login came from, believing X-Forwarded-For only as configured."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    # Each trusted proxy appends the address it got the request from, so the client is the
    # N-th entry from the right; anything left of it was written by the client itself.
    hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    hops = [hop for hop in hops if hop]
    return hops[-proxies] if len(hops) >= proxies else remote
