"""Sign-in pages for Plex: the PIN flow, the wall tablet's short code and QR, Home profiles.

Thin doors onto `plex_access` and `plextv`: what is kept between two requests is the PIN's
id (and a random `state` the callback must bring back) in the session; a Plex token only
ever goes to the encrypted PlexAccount row.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

import segno
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_lockout_response
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, user_login_failed
from django.contrib.auth.models import AbstractUser
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import HttpResponseClientRedirect, HttpResponseStopPolling

from requests_app import plex_access, plextv
from requests_app.models import PlexAccountKind

FLOW_KEY = "plex_signin"  # {"pin": id, "state": random, "next": url}
TABLET_KEY = "plex_tablet"  # {"pin": id, "code": short code, "next": url}
# The password backend: a Plex sign-in is a login like the others for sessions and axes.
BACKEND = "django.contrib.auth.backends.ModelBackend"


def unreachable_message() -> str:
    return _("Plex.tv cannot be reached. Try again, or sign in with a password.")


def _safe_next(request: HttpRequest, wanted: str | None) -> str:
    """Return `wanted` only when it is a URL on this site; else the home page."""
    if wanted and url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return settings.LOGIN_REDIRECT_URL


def _fail(request: HttpRequest, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("login")


def _service_message(exc: plextv.PlexTVError) -> str:
    if exc.temporary:
        return unreachable_message()
    return _("Plex.tv refused the sign-in. Try again, or sign in with a password.")


# Plex switches Home profiles only on a device signed in to that Home; so does the picker
# here: it opens on a browser where the owner or a Home member signed in with Plex.
HOME_DEVICE_COOKIE = "plexkiosk_home_device"
HOME_DEVICE_SALT = "requests_app.plex_signin.home-device"
HOME_DEVICE_DAYS = 365
HOME_KINDS = {PlexAccountKind.OWNER, PlexAccountKind.HOME, PlexAccountKind.MANAGED}


def _enter(request: HttpRequest, token: str) -> AbstractUser:
    """Check who may enter with `token`, then sign them in to this browser."""
    entry = plex_access.who_may_enter(token)
    user = plex_access.sign_in(token, entry=entry)
    login(request, user, backend=BACKEND)
    request.plex_home_device = entry.kind in HOME_KINDS  # read by _signed_in
    return user


def _signed_in(request: HttpRequest, response: HttpResponse) -> HttpResponse:
    """Mark this browser as the Home's device when a Home member just signed in on it."""
    if getattr(request, "plex_home_device", False):
        response.set_signed_cookie(
            HOME_DEVICE_COOKIE,
            str(request.user.pk),
            salt=HOME_DEVICE_SALT,
            max_age=HOME_DEVICE_DAYS * 24 * 3600,
            secure=settings.SESSION_COOKIE_SECURE,
            httponly=True,
            samesite="Lax",
        )
    return response


def is_home_device(request: HttpRequest) -> bool:
    """Say whether the owner or a Home member signed in with Plex on this browser."""
    max_age = HOME_DEVICE_DAYS * 24 * 3600
    value = request.get_signed_cookie(
        HOME_DEVICE_COOKIE, default="", salt=HOME_DEVICE_SALT, max_age=max_age
    )
    return bool(value)


@require_POST
def start(request: HttpRequest) -> HttpResponse:
    """Create a strong PIN and send the browser to Plex's auth app, which comes back here."""
    try:
        pin = plextv.create_pin(strong=True)
    except plextv.PlexTVError as exc:
        return _fail(request, _service_message(exc))
    state = secrets.token_urlsafe(24)
    request.session[FLOW_KEY] = {
        "pin": pin.id,
        "state": state,
        "next": _safe_next(request, request.POST.get("next")),
    }
    callback = request.build_absolute_uri(reverse("login_plex_callback"))
    forward = f"{callback}?{urlencode({'state': state})}"
    return redirect(plextv.auth_app_url(code=pin.code, forward_url=forward))


@never_cache
@require_GET
def callback(request: HttpRequest) -> HttpResponse:
    """Read the approved PIN the auth app came back for, check who it is and sign them in."""
    flow = request.session.get(FLOW_KEY) or {}
    given = request.GET.get("state", "")
    if not flow or not given or not secrets.compare_digest(str(flow.get("state", "")), given):
        # Forged, replayed or from another browser: this session never started it.
        return _fail(request, _("This Plex sign-in link is not valid here. Please start again."))
    try:
        pin = plextv.check_pin(flow["pin"])
    except plextv.PinNotFound:
        request.session.pop(FLOW_KEY, None)
        return _fail(request, _("This Plex sign-in has expired. Please start again."))
    except plextv.PlexTVError as exc:
        return _fail(request, _service_message(exc))
    if not pin.auth_token:
        if pin.expired:
            request.session.pop(FLOW_KEY, None)
            return _fail(request, _("This Plex sign-in has expired. Please start again."))
        return render(
            request,
            "registration/plex_pending.html",
            {"retry_url": f"{reverse('login_plex_callback')}?{urlencode({'state': given})}"},
        )
    try:
        _enter(request, pin.auth_token)
    except plex_access.SignInRefused as refused:
        request.session.pop(FLOW_KEY, None)
        return _fail(request, str(refused))
    except plextv.PlexTVError as exc:
        # Kept for a retry while plex.tv is away: the PIN stays readable until it expires.
        return _fail(request, _service_message(exc))
    # One use: the same callback again (a replay) finds nothing to finish.
    request.session.pop(FLOW_KEY, None)
    return _signed_in(request, redirect(_safe_next(request, flow.get("next"))))


def _qr_svg(url: str) -> str:
    """Draw `url` as an inline SVG QR code (made here, no image fetched from anywhere)."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        scale=6, border=4, dark="#000", light="#fff", title=_("QR code to approve on a phone")
    )
    # An image for assistive technology, named by its <title>.
    return svg.replace("<svg ", '<svg role="img" ', 1)


def _link_address() -> str:
    """Return plex.tv's link page as a person types it (plex.tv/link), or the configured one."""
    parts = urlsplit(settings.PLEX_TV_URL.rstrip("/") + "/link")
    return f"{parts.netloc}{parts.path}"


def _tablet_page(request: HttpRequest, flow: dict, *, status: int = 200) -> HttpResponse:
    context = {
        "code": flow["code"],
        "qr": _qr_svg(plextv.auth_app_url(code=flow["code"])),
        "link_address": _link_address(),
        "link_url": settings.PLEX_TV_URL.rstrip("/") + "/link",
        "next": flow.get("next", ""),
    }
    return render(request, "registration/plex_tablet.html", context, status=status)


@never_cache
@require_GET
def tablet(request: HttpRequest) -> HttpResponse:
    """Show a short PIN code and its QR code to approve this tablet from a phone."""
    try:
        pin = plextv.create_pin(strong=False)
    except plextv.PlexTVError as exc:
        messages.error(request, _service_message(exc))
        return render(request, "registration/plex_tablet.html", {"unavailable": True}, status=503)
    flow = {
        "pin": pin.id,
        "code": pin.code,
        "next": _safe_next(request, request.GET.get("next")),
    }
    request.session[TABLET_KEY] = flow
    return _tablet_page(request, flow)


def _tablet_answer(request: HttpRequest, message: str, *, fresh: bool) -> HttpResponse:
    """Stop the polling with `message` (and a button for a new code when `fresh`)."""
    context = {"message": message, "fresh": fresh}
    if request.htmx:
        response = render(request, "registration/_plex_tablet_status.html", context)
        response.status_code = HttpResponseStopPolling.status_code
        return response
    messages.error(request, message)
    return redirect("login_plex_tablet" if fresh else "login")


@never_cache
@require_POST
def tablet_status(request: HttpRequest) -> HttpResponse:
    """Tell the tablet whether its code was approved: then sign in and go home."""
    flow = request.session.get(TABLET_KEY)
    if not flow:
        return _tablet_answer(request, _("This code is not valid anymore."), fresh=True)
    try:
        pin = plextv.check_pin(flow["pin"])
    except plextv.PinNotFound:
        request.session.pop(TABLET_KEY, None)
        return _tablet_answer(request, _("This code has expired."), fresh=True)
    except plextv.PlexTVError as exc:
        if exc.temporary and request.htmx:
            return HttpResponse(status=204)  # keep polling: plex.tv may be back in 2 s
        return _tablet_answer(request, _service_message(exc), fresh=True)
    if not pin.auth_token:
        if pin.expired:
            request.session.pop(TABLET_KEY, None)
            return _tablet_answer(request, _("This code has expired."), fresh=True)
        if request.htmx:
            return HttpResponse(status=204)  # nothing to swap: the poll goes on
        messages.info(request, _("Plex has not confirmed yet."))
        return _tablet_page(request, flow)
    try:
        _enter(request, pin.auth_token)
    except plex_access.SignInRefused as refused:
        request.session.pop(TABLET_KEY, None)
        return _tablet_answer(request, str(refused), fresh=False)
    except plextv.PlexTVError as exc:
        if exc.temporary and request.htmx:
            return HttpResponse(status=204)  # approved: the next poll finishes it
        return _tablet_answer(request, _service_message(exc), fresh=True)
    request.session.pop(TABLET_KEY, None)
    home = _safe_next(request, flow.get("next"))
    return _signed_in(request, HttpResponseClientRedirect(home) if request.htmx else redirect(home))


@never_cache
@require_http_methods(["GET", "POST"])
def home(request: HttpRequest) -> HttpResponse:
    """List the Plex Home profiles with an account here; choosing one signs them in."""
    if not is_home_device(request):
        # Otherwise anyone who reaches the login page could pick a profile without a PIN.
        return render(request, "registration/plex_home_device.html", status=403)
    try:
        profiles = plex_access.home_profiles()
    except plextv.PlexTVError as exc:
        return _fail(request, _service_message(exc))
    if request.method == "GET":
        return render(request, "registration/plex_home.html", {"profiles": profiles})
    return _choose_home_profile(request, profiles)


def _choose_home_profile(
    request: HttpRequest, profiles: list[plex_access.HomeProfile]
) -> HttpResponse:
    try:
        plex_id = int(request.POST.get("profile", ""))
    except ValueError:
        plex_id = 0
    profile = next((p for p in profiles if p.plex_id == plex_id), None)
    if profile is None:
        messages.error(request, _("Choose one of these profiles."))
        return render(request, "registration/plex_home.html", {"profiles": profiles}, status=400)
    pin = request.POST.get("pin", "").strip()
    context = {"profile": profile, "next": _safe_next(request, request.POST.get("next"))}
    if profile.protected and not pin:
        return render(request, "registration/plex_home_pin.html", context)
    credentials = {"username": plex_access.username_of(plex_id) or f"plex:{plex_id}"}
    if AxesProxyHandler.is_locked(request, credentials):
        return get_lockout_response(request, None, credentials)  # the AXES_LOCKOUT_CALLABLE page
    try:
        user = plex_access.sign_in_home_user(plex_id=plex_id, pin=pin or None)
    except plex_access.WrongPin as wrong:
        # Counted like a wrong password, so guessing a 4-digit PIN is paused just the same.
        user_login_failed.send(sender=__name__, credentials=credentials, request=request)
        context["error"] = str(wrong)
        return render(request, "registration/plex_home_pin.html", context, status=400)
    except plex_access.SignInRefused as refused:
        return _fail(request, str(refused))
    except plextv.PlexTVError as exc:
        return _fail(request, _service_message(exc))
    login(request, user, backend=BACKEND)
    return redirect(context["next"])
