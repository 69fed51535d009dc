"""Admin for the Plex mirror: read-mostly, since Plex is the source of truth."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from library.models import Episode, LibraryItem, PlexSection, PlexServer, Season, SyncRun


class ReadOnlyAdmin(admin.ModelAdmin):
    """Browse and delete mirrored rows; the next sync brings back what Plex still has."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PlexServer)
class PlexServerAdmin(ReadOnlyAdmin):
    list_display = ["name", "machine_identifier", "version", "seen_at"]


@admin.register(PlexSection)
class PlexSectionAdmin(ReadOnlyAdmin):
    list_display = ["title", "type", "key", "locations", "last_full_sync_at"]


class SeasonInline(admin.TabularInline):
    model = Season
    fields = ["index", "title", "leaf_count", "rating_key"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True


@admin.register(LibraryItem)
class LibraryItemAdmin(ReadOnlyAdmin):
    list_display = ["title", "year", "type", "section", "imdb_id", "tmdb_id", "tvdb_id", "added_at"]
    list_filter = ["type", "section"]
    search_fields = ["title", "=imdb_id", "=tmdb_id", "=tvdb_id", "=rating_key", "plex_guid"]
    date_hierarchy = "added_at"
    inlines = [SeasonInline]


@admin.register(Season)
class SeasonAdmin(ReadOnlyAdmin):
    list_display = ["show", "index", "title", "leaf_count"]
    search_fields = ["show__title"]
    list_select_related = ["show"]


@admin.register(Episode)
class EpisodeAdmin(ReadOnlyAdmin):
    list_display = ["show", "season_number", "index", "title", "added_at"]
    search_fields = ["show__title", "title"]
    list_select_related = ["show"]


@admin.register(SyncRun)
class SyncRunAdmin(ReadOnlyAdmin):
    list_display = [
        "started_at",
        "kind",
        "status",
        "added",
        "updated",
        "removed",
        "items_done",
        "items_total",
        "http_requests",
        "finished_at",
    ]
    list_filter = ["kind", "status"]
    date_hierarchy = "started_at"
