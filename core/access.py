"""Who may open a page: the one answer every staff-only page gives."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _

STAFF_ONLY = _("This page is for staff.")


def staff_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Send visitors to the login page and answer members 403 with a page saying it is for staff."""

    @wraps(view)
    def staff_only(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if not request.user.is_staff:
            # A member is logged in already: another login would not help, so no redirect.
            # The page every 403 shows (templates/403.html), rendered here rather than by
            # raising PermissionDenied, which would log a traceback for each visit.
            return render(request, "403.html", {"exception": STAFF_ONLY}, status=403)
        return view(request, *args, **kwargs)

    return staff_only
