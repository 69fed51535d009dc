"""Kiosk pages: search, request, follow progress; staff approve (thin doors onto flow)."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from requests_app import episodes, flow, home, search, titles, watchlist
from requests_app.forms import (
    ALL_MISSING,
    DeclineForm,
    ProfileForm,
    RequestForm,
    SearchForm,
)
from requests_app.models import MediaRequest, MediaType, PlexAccount, Profile, Status
from requests_app.progress import poll_seconds, progress_of, progress_of_many
from requests_app.quotas import quota_for
from requests_app.throttles import CreateRequestThrottle


def _safe_next(request: HttpRequest, fallback: str) -> str:
    """Return the posted `next` (or the referring page) only if it stays on this site."""
    wanted = request.POST.get("next") or request.META.get("HTTP_REFERER") or ""
    if url_has_allowed_host_and_scheme(
        wanted, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return wanted
    return fallback


def _is_htmx(request: HttpRequest) -> bool:
    """Tell an htmx swap, which wants a fragment, from a page load (a history restore is one)."""
    return (
        request.headers.get("HX-Request") == "true"
        and request.headers.get("HX-History-Restore-Request") != "true"
    )


def _visible_or_404(request: HttpRequest, pk: int) -> MediaRequest:
    media_request = get_object_or_404(MediaRequest.objects.select_related("requested_by"), pk=pk)
    if not flow.can_view(request.user, media_request):
        raise Http404  # members don't learn which ids exist
    return media_request


@login_required
@require_GET
def kiosk(request: HttpRequest) -> HttpResponse:
    """Show the home page: your requests, what Plex just got, and TMDB's rows to browse."""
    page = home.home_page(user=request.user)
    return render(request, "requests_app/kiosk.html", {"form": SearchForm(), "page": page})


@login_required
@require_GET
def home_requests(request: HttpRequest) -> HttpResponse:
    """The home page's *Your requests* row alone, polled by htmx while one of them moves."""
    mine = home.your_requests(user=request.user)
    context = {"mine": mine, "poll_seconds": home.poll_seconds(mine)}
    return render(request, "requests_app/_home_requests.html", context)


@login_required
@require_GET
def search_page(request: HttpRequest) -> HttpResponse:
    """Search as the person types: htmx asks for the results alone, a plain GET the page."""
    form = SearchForm(request.GET or None)
    hits, error = [], ""
    if form.is_valid():  # an empty or one-letter query is not valid: TMDB is not asked
        try:
            hits = search.search_titles(user=request.user, q=form.cleaned_data["q"])
        except search.SearchUnavailable as exc:
            error = str(exc)
    template = "_search_results.html" if _is_htmx(request) else "search.html"
    context = {"form": form, "hits": hits, "error": error}
    response = render(request, f"requests_app/{template}", context)
    # The same URL answers a fragment or a page: a cache must keep them apart.
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@require_POST
def create(request: HttpRequest) -> HttpResponse:
    # The API's per-user creation rate, and the same budget: a script cannot go around
    # the API's throttle by posting the kiosk form instead.
    if not CreateRequestThrottle().allow_request(request, None):
        messages.error(request, _("Too many requests in a short time. Try again in a minute."))
        return redirect(_safe_next(request, "/"))
    form = RequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That request is not valid."))
        return redirect("requests:kiosk")
    wish = form.cleaned_data
    try:
        if wish["media_type"] == MediaType.TV and wish["season"] == ALL_MISSING:
            outcomes = flow.request_missing_seasons(
                user=request.user, tmdb_id=wish["tmdb_id"], follow=wish["follow_show"]
            )
            messages.success(request, _missing_seasons_message(outcomes))
            return redirect("requests:list")
        outcome = flow.create_request(
            user=request.user,
            media_type=wish["media_type"],
            tmdb_id=wish["tmdb_id"],
            season=wish["season"],
            follow=wish["follow_show"],
        )
    except flow.RequestRefused as exc:
        messages.error(request, exc.message)
        return redirect(_safe_next(request, "/"))
    messages.success(request, outcome.message)
    return redirect(outcome.request)


def _missing_seasons_message(outcomes: list[flow.CreateOutcome]) -> str:
    seasons = ", ".join(str(o.request.season) for o in outcomes)
    return ngettext(
        "Season %(seasons)s requested.", "Seasons %(seasons)s requested.", len(outcomes)
    ) % {"seasons": seasons}


@login_required
@require_GET
def request_list(request: HttpRequest) -> HttpResponse:
    qs = flow.visible_requests(request.user)
    wanted = request.GET.get("status")
    if wanted in Status.values:
        qs = qs.filter(status=wanted)
    page = Paginator(qs, LIST_PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "requests_app/list.html",
        {
            "page": page,
            "statuses": Status.choices,
            "wanted": wanted,
            **_cards_context(list(page)),
        },
    )


LIST_PAGE_SIZE = 24


def _cards_context(rows: list[MediaRequest]) -> dict[str, object]:
    """Pair each request with its progress and say which cards the list must keep polling."""
    progress = progress_of_many(rows)
    live = [r.pk for r in rows if r.is_active]
    return {
        "cards": [(r, progress.get(r.pk)) for r in rows],
        "live_ids": ",".join(map(str, live)),
        "poll_seconds": poll_seconds(r.status for r in rows),
    }


@login_required
@require_GET
def request_list_live(request: HttpRequest) -> HttpResponse:
    """The list's active cards in one answer, polled by htmx while any of them is active."""
    wanted = [int(i) for i in request.GET.get("ids", "").split(",") if i.isdigit()]
    rows = list(flow.visible_requests(request.user).filter(pk__in=wanted[:LIST_PAGE_SIZE]))
    return render(request, "requests_app/_list_live.html", _cards_context(rows))


@login_required
@require_GET
def detail(request: HttpRequest, pk: int) -> HttpResponse:
    media_request = _visible_or_404(request, pk)
    return render(
        request,
        "requests_app/detail.html",
        {
            "r": media_request,
            "events": media_request.events.select_related("actor"),
            "can_cancel": media_request.is_active and flow.can_cancel(request.user, media_request),
            "decline_form": DeclineForm(),
            "play_url": titles.request_play_url(media_request),
            **_status_context(media_request),
        },
    )


@login_required
@require_GET
def progress_fragment(request: HttpRequest, pk: int) -> HttpResponse:
    """The live part of the detail page, polled by htmx while the request is active."""
    media_request = _visible_or_404(request, pk)
    return render(
        request,
        "requests_app/_status.html",
        {"r": media_request, **_status_context(media_request)},
    )


def _status_context(media_request: MediaRequest) -> dict[str, object]:
    """What the live part of a request's page shows: progress, and a season's episodes."""
    return {
        "progress": progress_of(media_request),
        "episodes": episodes.shown(media_request),
        "season": episodes.summary(media_request),
    }


@login_required
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    media_request = _visible_or_404(request, pk)
    if not flow.can_cancel(request.user, media_request):
        raise PermissionDenied
    if flow.cancel(media_request.pk, by=request.user) is None:
        messages.error(request, _("This request can no longer be cancelled."))
    else:
        messages.success(request, _("Request cancelled."))
    return redirect(media_request)


def _staff_decision(
    request: HttpRequest,
    pk: int,
    act: Callable[[int], MediaRequest | None],
    done: str,
    refused: str,
) -> HttpResponse:
    """Run a staff action on a request and come back with a message saying how it went."""
    if not request.user.is_staff:
        raise PermissionDenied
    media_request = get_object_or_404(MediaRequest, pk=pk)
    changed = act(media_request.pk) is not None
    notice = done % {"title": media_request} if changed else refused
    if _is_htmx(request):
        # In place on the list: the card in its new state says how it went.
        fresh = flow.visible_requests(request.user).get(pk=pk)
        context = {"r": fresh, "progress": progress_of_many([fresh]).get(pk), "notice": notice}
        return render(request, "requests_app/_request_card.html", context)
    (messages.success if changed else messages.error)(request, notice)
    return redirect(_safe_next(request, media_request.get_absolute_url()))


@login_required
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    return _staff_decision(
        request,
        pk,
        lambda request_id: flow.approve(request_id, by=request.user),
        _("Approved: %(title)s"),
        _("Only a request awaiting approval can be approved."),
    )


@login_required
@require_POST
def decline(request: HttpRequest, pk: int) -> HttpResponse:
    form = DeclineForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _staff_decision(
        request,
        pk,
        lambda request_id: flow.decline(request_id, by=request.user, reason=reason),
        _("Declined: %(title)s"),
        _("Only a request awaiting approval can be declined."),
    )


@login_required
def profile(request: HttpRequest) -> HttpResponse:
    """Let a person say where notifications go and which profile (audio) their requests use."""
    mine, _created = Profile.objects.get_or_create(user=request.user)
    account = PlexAccount.objects.filter(user=request.user).first()
    initial = {"notify_urls": mine.notify_urls, "quality_profile": mine.quality_profile_id}
    if account is not None:
        initial.update(
            watchlist_enabled=account.watchlist_enabled, watchlist_shows=account.watchlist_shows
        )
    form = ProfileForm(request.POST or None, initial=initial, plex_account=account is not None)
    if request.method == "POST" and form.is_valid():
        mine.notify_urls = form.cleaned_data["notify_urls"]
        mine.quality_profile = form.cleaned_data["quality_profile"]
        mine.save(update_fields=["notify_urls", "quality_profile"])
        if account is not None:
            watchlist.set_watchlist(
                account,
                enabled=form.cleaned_data["watchlist_enabled"],
                shows=form.cleaned_data["watchlist_shows"],
            )
        messages.success(request, _("Saved."))
        return redirect("requests:profile")
    return render(
        request,
        "requests_app/profile.html",
        {
            "form": form,
            "plex_account": account,
            "watchlist_items": watchlist.recent_items(account) if account is not None else [],
            "movies": quota_for(request.user, "movie"),
            "seasons": quota_for(request.user, "tv"),
        },
    )


@login_required
@require_GET
def title_page(request: HttpRequest, media_type: str, tmdb_id: str) -> HttpResponse:
    """Show a movie or a show: what it is, what Plex has, who asked, and Request buttons."""
    try:
        page = titles.title_page(user=request.user, media_type=media_type, tmdb_id=int(tmdb_id))
    except titles.TitleNotFound:
        raise Http404 from None
    except titles.TitleUnavailable as exc:
        return render(
            request, "requests_app/title_unavailable.html", {"message": str(exc)}, status=503
        )
    context: dict[str, object] = {"page": page, "title": page.title}
    if page.ask is not None and page.ask.can_view:
        context.update(r=page.ask.request, **_status_context(page.ask.request))
    return render(request, "requests_app/title.html", context)
