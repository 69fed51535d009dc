"""Template context every page needs."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest


def site(request: HttpRequest) -> dict[str, object]:
    return {
        "SIMULATED_SERVICES": settings.SIMULATED_SERVICES,
        "KIOSK_IDLE_MINUTES": settings.KIOSK_IDLE_MINUTES,
    }
