"""The mirror of the Plex library: sections, movies and shows, seasons, episodes, sync runs."""

from __future__ import annotations

from django.db import models
from django.db.models.functions import Upper

from core.formatting import local_time_text


class PlexSection(models.Model):
    """A Plex library section (movies or shows) and the folders it watches, as Plex sees them."""

    class Type(models.TextChoices):
        MOVIE = "movie", "Movies"
        SHOW = "show", "TV shows"

    key = models.CharField(max_length=32, unique=True)
    type = models.CharField(max_length=10, choices=Type.choices)
    title = models.CharField(max_length=255)
    locations = models.JSONField(default=list, blank=True)
    last_full_sync_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["title"]
        verbose_name = "Plex section"

    def __str__(self) -> str:
        return f"{self.title} ({self.get_type_display()})"


class LibraryItem(models.Model):
    """A movie or a show that Plex has, with every external id Plex knows for it."""

    class Type(models.TextChoices):
        MOVIE = "movie", "Movie"
        SHOW = "show", "TV show"

    section = models.ForeignKey(PlexSection, on_delete=models.CASCADE, related_name="items")
    rating_key = models.PositiveBigIntegerField(unique=True)
    type = models.CharField(max_length=10, choices=Type.choices)
    title = models.CharField(max_length=500)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    added_at = models.DateTimeField(null=True, blank=True, help_text="Plex's addedAt")
    updated_at = models.DateTimeField(null=True, blank=True, help_text="Plex's updatedAt")
    plex_guid = models.CharField(max_length=255, blank=True, db_index=True)
    imdb_id = models.CharField(max_length=20, blank=True, db_index=True)
    tmdb_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    tvdb_id = models.PositiveIntegerField(null=True, blank=True, db_index=True)
    file_locations = models.JSONField(default=list, blank=True)
    thumb = models.CharField(max_length=255, blank=True)
    leaf_count = models.PositiveIntegerField(
        null=True, blank=True, help_text="Episodes Plex has (shows)"
    )
    # A digest of the mirrored fields: a sync compares it to skip writing unchanged rows.
    content_hash = models.CharField(max_length=32, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    synced_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title", "year"]
        indexes = [models.Index(Upper("title"), "year", name="library_item_title_year")]

    def __str__(self) -> str:
        return f"{self.title} ({self.year})" if self.year else self.title


class Season(models.Model):
    """A season of a show in Plex; its episodes say how complete it is."""

    show = models.ForeignKey(LibraryItem, on_delete=models.CASCADE, related_name="seasons")
    rating_key = models.PositiveBigIntegerField(unique=True)
    index = models.PositiveIntegerField(help_text="Season number (0 for specials)")
    title = models.CharField(max_length=255, blank=True)
    leaf_count = models.PositiveIntegerField(null=True, blank=True, help_text="Episodes in Plex")
    content_hash = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["show", "index"]
        indexes = [models.Index(fields=["show", "index"])]

    def __str__(self) -> str:
        return f"{self.show.title} season {self.index}"


class Episode(models.Model):
    """An episode in Plex, with its file."""

    show = models.ForeignKey(LibraryItem, on_delete=models.CASCADE, related_name="episodes")
    season = models.ForeignKey(Season, on_delete=models.CASCADE, related_name="episodes")
    rating_key = models.PositiveBigIntegerField(unique=True)
    season_number = models.PositiveIntegerField()
    index = models.PositiveIntegerField(null=True, blank=True, help_text="Episode number")
    title = models.CharField(max_length=500, blank=True)
    added_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(null=True, blank=True)
    plex_guid = models.CharField(max_length=255, blank=True)
    file_locations = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=32, blank=True)

    class Meta:
        ordering = ["show", "season_number", "index"]

    def __str__(self) -> str:
        return f"{self.show.title} s{self.season_number:02d}e{self.index or 0:02d}"


class SyncRun(models.Model):
    """One run of the library sync: what it did, how far it got, and why it failed."""

    class Kind(models.TextChoices):
        INCREMENTAL = "incremental", "Incremental"
        FULL = "full", "Full"
        REFRESH = "refresh", "Refresh after a scan"

    class Status(models.TextChoices):
        RUNNING = "running", "Running"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"
        SKIPPED = "skipped", "Skipped (another sync was running)"

    kind = models.CharField(max_length=12, choices=Kind.choices)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.RUNNING)
    started_at = models.DateTimeField(db_index=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    since = models.DateTimeField(
        null=True, blank=True, help_text="Incremental: changes at or after this time"
    )
    added = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    items_done = models.PositiveIntegerField(default=0)
    items_total = models.PositiveIntegerField(default=0)
    http_requests = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-started_at"]
        get_latest_by = "started_at"

    def __str__(self) -> str:
        return f"{self.get_kind_display()} sync {local_time_text(self.started_at)} ({self.status})"

    @property
    def seconds(self) -> float | None:
        """Return how long the run took, if it has finished."""
        if self.finished_at is None:
            return None
        return (self.finished_at - self.started_at).total_seconds()

    def summary(self) -> str:
        """Return one line an operator reads: counts and time."""
        took = f"{self.seconds:.1f} s" if self.seconds is not None else "still running"
        return (
            f"{self.kind} sync {self.status}: {self.added} added, {self.updated} updated, "
            f"{self.removed} removed ({self.items_done} items read, "
            f"{self.http_requests} HTTP requests, {took})"
        )


class PlexServer(models.Model):
    """The Plex server the library mirrors, as it last named itself (one row)."""

    # A singleton: there is one Plex server per kiosk, stored at pk=1.
    SINGLETON_PK = 1

    name = models.CharField(max_length=255, blank=True)
    machine_identifier = models.CharField(max_length=100)
    version = models.CharField(max_length=50, blank=True)
    seen_at = models.DateTimeField(help_text="When Plex last said who it is")

    class Meta:
        verbose_name = "Plex server"
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="plexserver_one_row")]

    def __str__(self) -> str:
        return f"{self.name or 'Plex'} ({self.machine_identifier})"
