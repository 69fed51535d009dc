"""Admin for indexers, quality profiles, stored searches ("why this one") and the blocklist."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from core.formatting import size_text
from downloads.models import Blocklist, Indexer, QualityProfile, ReleaseCandidate, ReleaseSearch
from downloads.search import blocklist_release
from downloads.torznab import IndexerConfig, TorznabError, fetch_caps


class IndexerForm(forms.ModelForm):
    # The key is write-only: the page never sends it back to the browser.
    api_key = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Leave empty to keep the current key. Never shown or logged.",
    )

    class Meta:
        model = Indexer
        fields = ["name", "url", "api_key", "categories", "priority", "enabled", "timeout"]

    def clean_api_key(self) -> str:
        """Keep the stored key when the field is left empty on an existing indexer."""
        value = self.cleaned_data.get("api_key", "")
        if not value and self.instance.pk:
            return self.instance.api_key
        return value


@admin.register(Indexer)
class IndexerAdmin(admin.ModelAdmin):
    form = IndexerForm
    list_display = ["name", "enabled", "priority", "timeout", "has_api_key", "last_error_short"]
    list_filter = ["enabled"]
    search_fields = ["name"]
    readonly_fields = ["caps", "caps_fetched_at", "last_error", "last_error_at"]
    actions = ["test_connection"]

    def save_model(self, request: HttpRequest, obj: Indexer, form: Any, change: bool) -> None:
        """Forget cached caps when the URL changes: it may be another indexer now."""
        if change and "url" in form.changed_data:
            obj.caps, obj.caps_fetched_at = {}, None
        super().save_model(request, obj, form, change)

    @admin.display(boolean=True, description="API key")
    def has_api_key(self, obj: Indexer) -> bool:
        """Show whether a key is set, never the key."""
        return bool(obj.api_key)

    @admin.display(description="last error")
    def last_error_short(self, obj: Indexer) -> str:
        """Show the start of the last error."""
        return obj.last_error[:80]

    @admin.action(description="Test connection (ask for caps)")
    def test_connection(self, request: HttpRequest, queryset: QuerySet[Indexer]) -> None:
        """Ask each selected indexer for its caps and report what it supports."""
        for indexer in queryset:
            config = IndexerConfig.from_indexer(indexer)
            try:
                caps = fetch_caps(config)
            except TorznabError as exc:
                kind = "temporary" if exc.temporary else "permanent"
                self.message_user(
                    request,
                    f"{indexer}: {kind} error: {config.redact(exc.message)}",
                    messages.ERROR,
                )
                continue
            indexer.caps, indexer.caps_fetched_at = caps.as_dict(), timezone.now()
            indexer.save(update_fields=["caps", "caps_fetched_at"])
            supported = ", ".join(
                f"{name} ({', '.join(sorted(params))})"
                for name, params in (("movie", caps.movie_search), ("tv", caps.tv_search))
                if params is not None
            )
            self.message_user(request, f"{indexer}: OK; supports {supported or 'text search only'}")


@admin.register(QualityProfile)
class QualityProfileAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "is_default",
        "resolutions",
        "movie_max_gb",
        "season_max_gb",
        "season_pack_preference",
        "audio_languages",
        "min_seeders",
    ]
    radio_fields = {"season_pack_preference": admin.VERTICAL}
    fieldsets = [
        (None, {"fields": ["name", "is_default"]}),
        ("Resolutions", {"fields": ["resolutions", "allow_lower_resolutions"]}),
        (
            "Sizes (GB)",
            {
                "fields": [
                    ("movie_min_gb", "movie_max_gb"),
                    ("season_min_gb", "season_max_gb"),
                    "movie_min_gb_by_resolution",
                    "season_min_gb_by_resolution",
                ]
            },
        ),
        (
            "TV seasons",
            {
                "fields": [
                    "episode_gb_by_resolution",
                    "season_pack_preference",
                    "pack_min_missing_percent",
                ],
                "description": "How a TV request's plan (rank_releases shows it) judges "
                "episode releases and chooses between a season's pack and its episodes. A "
                "season still airing is always fetched episode by episode.",
            },
        ),
        (
            "Audio languages",
            {
                "fields": ["audio_languages", "audio_language_required"],
                "description": "Which audio a release must (or should) hold, most wanted first; "
                "this orders before the resolution. Give each household member the profile "
                "their ears need (Users → Plex Kiosk settings → quality profile): the "
                "“Français” preset requires French audio (MULTi, VFF, TRUEFRENCH first, Québec "
                "VFQ after; VOSTFR is French subtitles and is refused).",
            },
        ),
        ("Words, health", {"fields": ["required_words", "forbidden_words", "min_seeders"]}),
    ]


@admin.display(description="size", ordering="size")
def candidate_size(candidate: ReleaseCandidate) -> str:
    """Show a release's size in decimal units (10⁹ bytes = 1 GB), as every page does."""
    return size_text(candidate.size)


class CandidateInline(admin.TabularInline):
    model = ReleaseCandidate
    extra = 0
    can_delete = False
    # Download links are left out on purpose: indexer links often embed the API key.
    fields = ["rank", "chosen", "accepted", "title", "indexer", candidate_size, "seeders", "score",
              "reasons_text"]  # fmt: skip
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """Candidates come from searches only."""
        return False

    @admin.display(description="reasons")
    def reasons_text(self, obj: ReleaseCandidate) -> str:
        """Show why a candidate was rejected (or how it scored)."""
        return obj.reasons_text() or str(obj.breakdown)


@admin.register(ReleaseSearch)
class ReleaseSearchAdmin(admin.ModelAdmin):
    list_display = [
        "created_at",
        "title",
        "season",
        "year",
        "status",
        "request_ref",
        "profile_name",
    ]
    list_filter = ["status", "media_type"]
    search_fields = ["title", "request_ref"]
    readonly_fields = [f.name for f in ReleaseSearch._meta.fields]
    inlines = [CandidateInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Searches are made by the request flow, not by hand."""
        return False


@admin.register(ReleaseCandidate)
class ReleaseCandidateAdmin(admin.ModelAdmin):
    list_display = ["title", "search", "rank", "accepted", "chosen", "score", candidate_size,
                    "seeders"]  # fmt: skip
    list_filter = ["accepted", "chosen"]
    search_fields = ["title", "info_hash"]
    fields = ["search", "rank", "title", "indexer", candidate_size, "seeders", "peers", "info_hash",
              "score", "breakdown", "accepted", "fallback", "reasons", "chosen"]  # fmt: skip
    readonly_fields = fields
    actions = ["blocklist_globally"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        """Candidates come from searches only."""
        return False

    @admin.action(description="Blocklist selected releases for every request")
    def blocklist_globally(
        self, request: HttpRequest, queryset: QuerySet[ReleaseCandidate]
    ) -> None:
        """Add the selected releases to the global blocklist."""
        for candidate in queryset:
            blocklist_release(
                info_hash=candidate.info_hash,
                title=candidate.title,
                reason=f"blocked by {request.user} from search {candidate.search_id}",
            )
        self.message_user(request, f"{queryset.count()} release(s) blocklisted.")


@admin.register(Blocklist)
class BlocklistAdmin(admin.ModelAdmin):
    list_display = ["__str__", "reason", "request_ref", "created_at"]
    search_fields = ["info_hash", "title", "request_ref", "reason"]
    list_filter = [("request_ref", admin.EmptyFieldListFilter)]
