"""Rate limits shared by the kiosk pages and the API."""

from __future__ import annotations

from rest_framework.throttling import UserRateThrottle


class CreateRequestThrottle(UserRateThrottle):
    """Requests a person may create a minute, through the API and the kiosk form together."""

    scope = "request_create"
