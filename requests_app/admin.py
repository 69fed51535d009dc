"""Admin: requests with approve/decline/retry actions, their history, people's profiles."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from requests_app import flow
from requests_app.household_admin import HouseholdImportMixin
from requests_app.models import (
    MediaRequest,
    PlexAccount,
    Profile,
    RequestEpisode,
    RequestEvent,
    WatchlistItem,
)


class ReadOnlyInline(admin.TabularInline):
    """Rows the app writes (history, episodes): shown on the request, never edited there."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request: HttpRequest, obj: object = None) -> tuple[str, ...]:
        return tuple(self.fields or ())

    def has_add_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


class RequestEventInline(ReadOnlyInline):
    model = RequestEvent
    fields = ("at", "from_status", "to_status", "reason", "actor_label")


class RequestEpisodeInline(ReadOnlyInline):
    model = RequestEpisode
    fields = ("number", "title", "air_date", "state", "download_hash", "failovers", "updated_at")


def _run(request: HttpRequest, queryset: QuerySet, verb: str, act: Callable[[int], object]) -> None:
    done = sum(act(pk) is not None for pk in queryset.values_list("pk", flat=True))
    skipped = queryset.count() - done
    messages.info(
        request, f"{verb} {done} request(s); {skipped} were not in a state that allows it."
    )


@admin.register(MediaRequest)
class MediaRequestAdmin(admin.ModelAdmin):
    list_display = ("display_title", "media_type", "status", "requested_by", "created_at")
    list_filter = ("status", "media_type", "created_at")
    search_fields = ("title", "imdb_id", "tmdb_id", "requested_by__username", "download_hash")
    list_select_related = ("requested_by",)
    date_hierarchy = "created_at"
    inlines = [RequestEpisodeInline, RequestEventInline]
    filter_horizontal = ("watchers",)
    readonly_fields = (
        "status",
        "status_reason",
        "celery_task_id",
        "release_title",
        "download_hash",
        "search_attempts",
        "failovers",
        "next_search_at",
        "episodes_notified_at",
        "told_status",
        "told_at",
        "created_at",
        "updated_at",
        "completed_at",
    )
    actions = ["approve_selected", "decline_selected", "retry_selected", "cancel_selected"]

    @admin.action(description="Approve selected pending requests")
    def approve_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(request, queryset, "Approved", lambda pk: flow.approve(pk, by=request.user))

    @admin.action(description="Decline selected pending requests")
    def decline_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(
            request,
            queryset,
            "Declined",
            lambda pk: flow.decline(pk, by=request.user, reason="Declined by an admin."),
        )

    @admin.action(description="Retry selected failed or not-found requests")
    def retry_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(request, queryset, "Retried", lambda pk: flow.retry(pk, by=request.user))

    @admin.action(description="Cancel selected requests")
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        _run(request, queryset, "Cancelled", lambda pk: flow.cancel(pk, by=request.user))


class ProfileInline(admin.StackedInline):
    model = Profile
    can_delete = False
    verbose_name_plural = "Plex Kiosk settings"


User = get_user_model()
admin.site.unregister(User)


@admin.register(User)
class KioskUserAdmin(UserAdmin):
    inlines = [*UserAdmin.inlines, ProfileInline]


class WatchlistItemInline(ReadOnlyInline):
    model = WatchlistItem
    fields = ("title", "media_type", "tmdb_id", "first_seen_at", "outcome", "message", "request")


@admin.register(PlexAccount)
class PlexAccountAdmin(HouseholdImportMixin, admin.ModelAdmin):
    """Plex accounts; the token is never shown, not even encrypted (it is not a field here)."""

    list_display = ("__str__", "user", "kind", "token_state", "watchlist_enabled")
    list_filter = ("kind", "token_state", "watchlist_enabled")
    search_fields = ("username", "title", "email", "user__username")
    # An explicit list, so a field added later is not shown until someone decides it may be.
    fields = (
        "user",
        "plex_id",
        "uuid",
        "username",
        "title",
        "email",
        "thumb",
        "kind",
        "token_state",
        "token_checked_at",
        "watchlist_enabled",
        "watchlist_shows",
        "watchlist_error",
        "watchlist_synced_at",
        "created_at",
        "updated_at",
    )
    readonly_fields = (
        "plex_id",
        "uuid",
        "token_state",
        "token_checked_at",
        "watchlist_synced_at",
        "created_at",
        "updated_at",
    )
    raw_id_fields = ("user",)
    inlines = [WatchlistItemInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Accounts come from plex.tv (sign-in or the household import), never typed in.
        return False
