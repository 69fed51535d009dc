"""Indexers, quality profiles, searches with their ranked candidates, and the blocklist."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from core.formatting import local_time_text
from downloads import ranking
from downloads.locales import is_language_code
from downloads.parsing import RESOLUTIONS
from downloads.releases import MEDIA_TYPES

DEFAULT_PROFILE_NAME = "Default"
# The presets a household picks from: profiles shipped by migration 0010 (Default: the
# original audio, or English; Français: French audio required, France's before Québec's).
FRENCH_PROFILE_NAME = "Français"
FRENCH_AUDIO_LANGUAGES = ["fr", "fr-CA"]


class Indexer(models.Model):
    """A Torznab endpoint (Jackett, Prowlarr or any Torznab server)."""

    name = models.CharField(max_length=100, unique=True)
    # A CharField, not a URLField: Django's URL validator refuses single-label hosts such
    # as docker-compose service names (http://jackett:9117/…), the most common set-up.
    url = models.CharField(
        max_length=500,
        help_text="Torznab API URL without the key, e.g. "
        "http://jackett:9117/api/v2.0/indexers/1337x/results/torznab/api "
        "or http://prowlarr:9696/1/api",
    )
    api_key = models.CharField(
        max_length=200, blank=True, help_text="Sent as `apikey`; never logged or shown."
    )
    categories = models.CharField(
        max_length=200,
        blank=True,
        help_text="Comma-separated Torznab categories to ask for; empty: 2000 for movies, "
        "5000 for TV.",
    )
    priority = models.PositiveSmallIntegerField(
        default=25,
        help_text="1 is the highest: when several indexers return the same release, the "
        "copy (and link) of the highest-priority one is kept.",
    )
    enabled = models.BooleanField(default=True)
    timeout = models.FloatField(default=15.0, help_text="Seconds this indexer may take to answer.")
    caps = models.JSONField(default=dict, blank=True, editable=False)
    caps_fetched_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["priority", "name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        """Refuse URLs that are not http(s), and timeouts that would hang a search."""
        parts = urlsplit(self.url or "")
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValidationError({"url": "An http:// or https:// URL with a host name."})
        if not 1 <= self.timeout <= 120:
            raise ValidationError({"timeout": "Use between 1 and 120 seconds."})
        for part in self.category_list():
            if part <= 0:
                raise ValidationError({"categories": "Categories are positive numbers."})

    def category_list(self) -> list[int]:
        """Return the configured categories as numbers (raising ValidationError on bad text)."""
        out = []
        for part in self.categories.replace(" ", "").split(","):
            if not part:
                continue
            if not part.isdigit():
                raise ValidationError({"categories": f"{part!r} is not a category number."})
            out.append(int(part))
        return out


def _default_resolutions() -> list[str]:
    return list(ranking.DEFAULT_RESOLUTIONS)


def _default_movie_min_by_resolution() -> dict[str, float]:
    return dict(ranking.DEFAULT_MOVIE_MIN_GB_BY_RESOLUTION)


def _default_season_min_by_resolution() -> dict[str, float]:
    return dict(ranking.DEFAULT_SEASON_MIN_GB_BY_RESOLUTION)


def _default_episode_gb_by_resolution() -> dict[str, list[float]]:
    return {r: list(sizes) for r, sizes in ranking.DEFAULT_EPISODE_GB_BY_RESOLUTION.items()}


def _default_languages() -> list[str]:
    return list(ranking.DEFAULT_AUDIO_LANGUAGES)


def _audio_languages_problem(value: Any, required: bool) -> str | None:
    """Return what is wrong with a list of wanted audio languages, or None when it is usable."""
    example = 'A list like ["fr", "fr-CA"] or ["original", "en"].'
    if not isinstance(value, list):
        return example
    for code in value:
        if not is_language_code(code):
            return (
                f"{code!r} is not a language: use ISO 639-1 codes (en, fr, de), fr-CA, "
                "es-419 or original."
            )
    if len(set(value)) != len(value):
        return "Each language once."
    if required and not value:
        return "Name at least one language, or untick “one of them is required”."
    return None


def _episode_sizes_problem(value: Any) -> str | None:
    """Return what is wrong with an episode-sizes object, or None when it is usable."""
    example = 'An object like {"1080p": [0.3, 8.0]}: a resolution, then [min, max] GB.'
    if not isinstance(value, dict):
        return example
    for resolution, sizes in value.items():
        if resolution not in RESOLUTIONS:
            return f"{resolution!r} is not a resolution; use {', '.join(RESOLUTIONS)}."
        # JSON's parser lets NaN and Infinity through; PostgreSQL's jsonb would refuse them.
        numbers = isinstance(sizes, list) and all(
            isinstance(n, int | float) and not isinstance(n, bool) and math.isfinite(n)
            for n in sizes
        )
        if not numbers or len(sizes) != 2:
            return f"{resolution}: give two numbers, [min, max] GB, e.g. [0.3, 8.0]."
        if not 0 <= sizes[0] < sizes[1]:
            low, high = sizes
            return f"{resolution}: min {low} must be at least 0 and below max {high}."
    return None


class QualityProfile(models.Model):
    """The rules a release must pass, and the order among those that pass."""

    class SeasonPackPreference(models.TextChoices):
        PACK = ranking.PREFER_PACK, "The whole-season pack, when enough of the season is missing"
        EPISODES = (
            ranking.PREFER_EPISODES,
            "Episode by episode; a pack only for episodes nobody released alone",
        )

    name = models.CharField(max_length=100, unique=True)
    is_default = models.BooleanField(
        default=False, help_text="Used when a request names no profile. Exactly one."
    )
    resolutions = models.JSONField(
        default=_default_resolutions,
        help_text='Accepted resolutions, most wanted first, e.g. ["1080p", "2160p", "720p"].',
    )
    allow_lower_resolutions = models.BooleanField(
        default=True,
        help_text="Accept a lower (or unknown) resolution only when nothing in the list is "
        "acceptable.",
    )
    movie_min_gb = models.FloatField(default=0.7)
    movie_max_gb = models.FloatField(default=20.0)
    season_min_gb = models.FloatField(default=1.0, help_text="For a whole season pack.")
    season_max_gb = models.FloatField(default=60.0, help_text="For a whole season pack.")
    movie_min_gb_by_resolution = models.JSONField(
        default=_default_movie_min_by_resolution,
        blank=True,
        help_text="Below these a movie claiming the resolution is treated as a fake.",
    )
    season_min_gb_by_resolution = models.JSONField(
        default=_default_season_min_by_resolution,
        blank=True,
        help_text="Below these a season pack claiming the resolution is treated as a fake.",
    )
    required_words = models.JSONField(
        default=list, blank=True, help_text='Every one must appear, e.g. ["x265"].'
    )
    forbidden_words = models.JSONField(
        default=list, blank=True, help_text='None may appear, e.g. ["YIFY"].'
    )
    audio_languages = models.JSONField(
        "audio languages",
        default=_default_languages,
        blank=True,
        help_text='Wanted audio, most wanted first: ISO 639-1 codes, "fr-CA" for Québec French, '
        '"es-419" for Latin American Spanish, and "original" for the work\'s own language '
        '(TMDB\'s). E.g. ["fr", "fr-CA"] or ["original", "en"]. A name without a language tag '
        "is in the original language; MULTi is the original + French, German DL the original + "
        "German, VOSTFR French subtitles (not French audio). The language orders before the "
        "resolution.",
    )
    audio_language_required = models.BooleanField(
        "one of them is required",
        default=True,
        help_text="Refuse releases holding none of these audio languages (other dubs).",
    )
    min_seeders = models.PositiveIntegerField(default=1)
    episode_gb_by_resolution = models.JSONField(
        "episode sizes by resolution",
        default=_default_episode_gb_by_resolution,
        blank=True,
        help_text="Sizes of one episode accepted at each resolution, in GB: [min, max]; below "
        'min it is taken for a fake. E.g. {"1080p": [0.3, 8.0]}. A resolution left out '
        "keeps its default.",
    )
    season_pack_preference = models.CharField(
        "finished seasons",
        max_length=8,
        choices=SeasonPackPreference.choices,
        default=SeasonPackPreference.PACK,
    )
    pack_min_missing_percent = models.PositiveSmallIntegerField(
        "take the pack when this % is missing",
        default=ranking.DEFAULT_PACK_MIN_MISSING_PERCENT,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text="With “the whole-season pack”: a finished season takes its pack when at least "
        "this share of its episodes is missing (only those files are fetched), otherwise "
        "episode by episode.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="downloads_one_default_quality_profile",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @classmethod
    def get_default(cls) -> QualityProfile:
        """Return the default profile, recreating it if an admin deleted every profile."""
        profile = cls.objects.filter(is_default=True).first()
        if profile is None:
            profile, _ = cls.objects.get_or_create(
                name=DEFAULT_PROFILE_NAME, defaults={"is_default": True}
            )
        return profile

    def clean(self) -> None:
        """Check the JSON fields hold what the ranking expects."""
        errors: dict[str, str] = {}
        if not isinstance(self.resolutions, list) or not all(
            r in RESOLUTIONS for r in self.resolutions
        ):
            errors["resolutions"] = f"A list of: {', '.join(RESOLUTIONS)}."
        for name in ("required_words", "forbidden_words"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
                errors[name] = "A list of strings."
        problem = _audio_languages_problem(self.audio_languages, self.audio_language_required)
        if problem:
            errors["audio_languages"] = problem
        for name in ("movie_min_gb_by_resolution", "season_min_gb_by_resolution"):
            value = getattr(self, name)
            if not isinstance(value, dict) or not all(
                k in RESOLUTIONS and isinstance(v, int | float) for k, v in value.items()
            ):
                errors[name] = 'An object like {"1080p": 1.0}.'
        if self.episode_gb_by_resolution is None:
            self.episode_gb_by_resolution = {}  # an emptied field: every resolution's default
        problem = _episode_sizes_problem(self.episode_gb_by_resolution)
        if problem:
            errors["episode_gb_by_resolution"] = problem
        if self.movie_min_gb > self.movie_max_gb:
            errors["movie_max_gb"] = "Must be at least the minimum."
        if self.season_min_gb > self.season_max_gb:
            errors["season_max_gb"] = "Must be at least the minimum."
        if errors:
            raise ValidationError(errors)

    def rules(self) -> ranking.ProfileRules:
        """Return this profile as the plain rules `rank_releases` applies."""
        return ranking.ProfileRules(
            name=self.name,
            resolutions=tuple(self.resolutions),
            allow_lower_resolutions=self.allow_lower_resolutions,
            movie_min_gb=self.movie_min_gb,
            movie_max_gb=self.movie_max_gb,
            season_min_gb=self.season_min_gb,
            season_max_gb=self.season_max_gb,
            movie_min_gb_by_resolution=dict(self.movie_min_gb_by_resolution or {}),
            season_min_gb_by_resolution=dict(self.season_min_gb_by_resolution or {}),
            required_words=tuple(self.required_words or ()),
            forbidden_words=tuple(self.forbidden_words or ()),
            audio_languages=tuple(self.audio_languages or ()),
            audio_language_required=self.audio_language_required,
            min_seeders=self.min_seeders,
            # A resolution the profile leaves out keeps its default sizes.
            episode_gb_by_resolution={
                **ranking.DEFAULT_EPISODE_GB_BY_RESOLUTION,
                **{
                    resolution: (float(sizes[0]), float(sizes[1]))
                    for resolution, sizes in (self.episode_gb_by_resolution or {}).items()
                },
            },
            season_pack_preference=self.season_pack_preference,
            pack_min_missing_percent=self.pack_min_missing_percent,
        )


class ReleaseSearch(models.Model):
    """One search for one request: what was asked, what the indexers said, what was chosen."""

    class Status(models.TextChoices):
        FOUND = "found", "found"
        NOTHING = "nothing", "nothing acceptable"
        UNAVAILABLE = "unavailable", "indexers unavailable"

    # A plain reference: `downloads` must not import `requests_app` (dependencies point one way).
    request_ref = models.CharField(max_length=64, blank=True, db_index=True)
    media_type = models.CharField(max_length=8, choices=[(m, m) for m in MEDIA_TYPES])
    title = models.CharField(max_length=300)
    year = models.PositiveIntegerField(null=True, blank=True)
    season = models.PositiveIntegerField(null=True, blank=True)
    imdb_id = models.CharField(max_length=20, blank=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True)
    tvdb_id = models.PositiveIntegerField(null=True, blank=True)
    aliases = models.JSONField(default=list, blank=True)
    # The work's own language and countries (TMDB's), which the audio and country rules read.
    original_language = models.CharField(max_length=8, blank=True)
    countries = models.JSONField(default=list, blank=True)
    profile = models.ForeignKey(QualityProfile, null=True, blank=True, on_delete=models.SET_NULL)
    profile_name = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices)
    indexer_errors = models.JSONField(default=list, blank=True)
    tiebreak_note = models.TextField(blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "release searches"

    def __str__(self) -> str:
        season = f" S{self.season:02d}" if self.season is not None else ""
        return f"{self.title}{season} ({local_time_text(self.created_at)}): {self.status}"

    @property
    def chosen(self) -> ReleaseCandidate | None:
        """Return the candidate this search picked, if any."""
        return self.candidates.filter(chosen=True).first()

    def as_rank_input(self) -> dict[str, Any]:
        """Return this search in the input shape of `rank_releases`, to rank it again."""
        query = {"media_type": self.media_type, "title": self.title}
        for key in ("year", "season", "tmdb_id", "tvdb_id"):
            if getattr(self, key) is not None:
                query[key] = getattr(self, key)
        if self.imdb_id:
            query["imdb_id"] = self.imdb_id
        if self.aliases:
            query["aliases"] = list(self.aliases)
        if self.original_language:
            query["original_language"] = self.original_language
        if self.countries:
            query["countries"] = list(self.countries)
        releases = []
        for candidate in self.candidates.order_by("rank"):
            row = {"title": candidate.title, "size": candidate.size, "seeders": candidate.seeders}
            if candidate.peers is not None:
                row["peers"] = candidate.peers
            if candidate.info_hash:
                row["infohash"] = candidate.info_hash
            releases.append(row)
        return {"query": query, "releases": releases, "profile": self.profile_name or None}

    def explain(self) -> dict[str, Any]:
        """Return "why this one" as plain data for pages and the API (no download links)."""
        return {
            "id": self.pk,
            "request_ref": self.request_ref,
            "query": {
                "media_type": self.media_type,
                "title": self.title,
                "year": self.year,
                "season": self.season,
            },
            "profile": self.profile_name,
            "status": self.status,
            "created_at": self.created_at.isoformat(),
            "indexer_errors": self.indexer_errors,
            "tiebreak_note": self.tiebreak_note,
            "candidates": [c.explain() for c in self.candidates.order_by("rank")],
        }


class ReleaseCandidate(models.Model):
    """One release seen by a search, with its score, breakdown and reasons."""

    search = models.ForeignKey(ReleaseSearch, on_delete=models.CASCADE, related_name="candidates")
    rank = models.PositiveIntegerField(help_text="1 is the best.")
    title = models.CharField(max_length=500)
    indexer = models.CharField(max_length=100, blank=True)
    size = models.BigIntegerField()
    seeders = models.IntegerField()
    peers = models.IntegerField(null=True, blank=True)
    info_hash = models.CharField(max_length=40, blank=True, db_index=True)
    # Indexer download links may embed the indexer's API key: kept for the download step,
    # never shown in admin or the API (see `downloads.torznab.redact_url`).
    download_url = models.TextField(blank=True)
    magnet_url = models.TextField(blank=True)
    score = models.IntegerField()
    breakdown = models.JSONField(default=dict)
    accepted = models.BooleanField()
    fallback = models.BooleanField(default=False)
    reasons = models.JSONField(default=list)
    chosen = models.BooleanField(default=False)

    class Meta:
        ordering = ["search", "rank"]
        constraints = [
            models.UniqueConstraint(fields=["search", "rank"], name="downloads_candidate_rank"),
        ]

    def __str__(self) -> str:
        return self.title

    def reasons_text(self) -> str:
        """Join the reasons for display."""
        return "; ".join(self.reasons)

    def explain(self) -> dict[str, Any]:
        """Return this candidate's verdict as plain data (links left out: they carry keys)."""
        return {
            "rank": self.rank,
            "title": self.title,
            "indexer": self.indexer,
            "size": self.size,
            "seeders": self.seeders,
            "peers": self.peers,
            "info_hash": self.info_hash,
            "score": self.score,
            "breakdown": self.breakdown,
            "accepted": self.accepted,
            "chosen": self.chosen,
            "reasons": self.reasons,
        }


class BlocklistQuerySet(models.QuerySet):
    def applying_to(self, request_ref: str | None) -> BlocklistQuerySet:
        """Return the global entries plus those of one request."""
        condition = Q(request_ref="")
        if request_ref:
            condition |= Q(request_ref=str(request_ref))
        return self.filter(condition)

    def as_mapping(self, request_ref: str | None) -> dict[str, str]:
        """Return the `blocked` mapping `rank_releases` takes."""
        out: dict[str, str] = {}
        for info_hash, title, reason in self.applying_to(request_ref).values_list(
            "info_hash", "title", "reason"
        ):
            if info_hash:
                out[info_hash] = reason
            elif title:
                out[f"title:{title.lower()}"] = reason
        return out


class Blocklist(models.Model):
    """A release never to grab again: for one request, or for everyone (global)."""

    info_hash = models.CharField(max_length=40, blank=True, db_index=True)
    title = models.CharField(
        max_length=500, blank=True, help_text="Used when the release has no info hash."
    )
    request_ref = models.CharField(
        max_length=64, blank=True, db_index=True, help_text="Empty: blocked for every request."
    )
    reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = BlocklistQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "blocklist"
        constraints = [
            models.CheckConstraint(
                condition=~Q(info_hash="") | ~Q(title=""),
                name="downloads_blocklist_hash_or_title",
            ),
        ]

    def __str__(self) -> str:
        scope = f"request {self.request_ref}" if self.request_ref else "global"
        return f"{self.info_hash or self.title} ({scope})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Store info hashes in the one form comparisons use."""
        self.info_hash = (self.info_hash or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_global(self) -> bool:
        """Say whether this entry applies to every request."""
        return not self.request_ref


class Download(models.Model):
    """One torrent the app handed to qBittorrent, followed until its media is in the library."""

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        DOWNLOADING = "downloading", "Downloading"
        STALLED = "stalled", "Stalled"
        COMPLETED = "completed", "Completed"
        IMPORTING = "importing", "Importing"
        IMPORTED = "imported", "Imported"
        FAILED = "failed", "Failed"
        REMOVED = "removed", "Removed from qBittorrent"
        CANCELLED = "cancelled", "Cancelled"

    # The torrent's identity, computed before adding (qBittorrent 4.x answers only "Ok.").
    info_hash = models.CharField(max_length=40, unique=True)
    release_title = models.CharField(max_length=500)
    indexer = models.CharField(max_length=100, blank=True)
    candidate = models.ForeignKey(
        ReleaseCandidate, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    size = models.BigIntegerField(default=0)
    # Who asked, as a plain reference ("request:42"): downloads knows nothing of requests.
    owner_ref = models.CharField(max_length=64, blank=True, db_index=True)
    # What it is, to name the files the way Plex expects.
    media_type = models.CharField(max_length=5, choices=[(m, m) for m in MEDIA_TYPES])
    title = models.CharField(max_length=300)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    season = models.PositiveSmallIntegerField(null=True, blank=True)
    # The episode numbers of `season` this download is for; empty: all it holds (a movie, a
    # pack taken whole).
    episodes = models.JSONField(default=list, blank=True)
    # Only the files of `episodes` are fetched: qBittorrent priority 0 for every other file.
    select_files = models.BooleanField(default=False)
    # When its file list was checked (`downloads.real_size`) and, with select_files, those
    # priorities set; empty while not yet (a magnet still without metadata).
    files_selected_at = models.DateTimeField(null=True, blank=True)
    # Episodes of the show before `season`, for files numbered from its first (anime):
    # "Show - 13.mkv" with 12 before is the season's E01. None: files name their season.
    absolute_offset = models.PositiveIntegerField(null=True, blank=True)

    state = models.CharField(
        max_length=12, choices=State.choices, default=State.QUEUED, db_index=True
    )
    qbt_state = models.CharField(max_length=32, blank=True, help_text="qBittorrent's own state.")
    progress = models.FloatField(default=0.0, help_text="0 to 1.")
    dlspeed = models.BigIntegerField(default=0, help_text="Bytes per second.")
    eta = models.IntegerField(null=True, blank=True, help_text="Seconds; empty when unknown.")
    seeders = models.IntegerField(default=0)
    save_path = models.CharField(max_length=1000, blank=True)
    content_path = models.CharField(max_length=1000, blank=True)
    library_folder = models.CharField(max_length=1000, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Import attempts.")

    added_at = models.DateTimeField(auto_now_add=True)
    last_progress_at = models.DateTimeField(null=True, blank=True)
    last_seeded_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    imported_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-added_at"]
        indexes = [models.Index(fields=["state", "added_at"])]

    def __str__(self) -> str:
        return self.release_title

    @property
    def is_active(self) -> bool:
        return self.state in (self.State.QUEUED, self.State.DOWNLOADING, self.State.STALLED)
