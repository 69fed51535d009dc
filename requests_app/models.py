"""Media requests, their history, the per-person settings that govern them, Plex accounts."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from core import encryption


class MediaType(models.TextChoices):
    MOVIE = "movie", _("Movie")
    TV = "tv", _("TV season")


class Status(models.TextChoices):
    PENDING = "pending", _("Awaiting approval")
    APPROVED = "approved", _("Approved")
    SEARCHING = "searching", _("Searching")
    DOWNLOADING = "downloading", _("Downloading")
    PROCESSING = "processing", _("Adding to Plex")
    # A season on the air: everything aired is in Plex or on its way; the rest airs later.
    FOLLOWING = "following", _("Following")
    COMPLETED = "completed", _("Completed")
    NOT_FOUND = "not_found", _("Not found yet")
    FAILED = "failed", _("Failed")
    DECLINED = "declined", _("Declined")
    CANCELLED = "cancelled", _("Cancelled")


# A title (+season) has at most one request in these states; asking again joins it.
ACTIVE_STATUSES = (
    Status.PENDING,
    Status.APPROVED,
    Status.SEARCHING,
    Status.DOWNLOADING,
    Status.PROCESSING,
    Status.NOT_FOUND,
    Status.FOLLOWING,
)
FINISHED_STATUSES = (Status.COMPLETED, Status.FAILED, Status.DECLINED, Status.CANCELLED)


class MediaRequest(models.Model):
    """One household member's wish for a movie or a TV season, and where it stands."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="media_requests"
    )
    watchers = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        blank=True,
        related_name="watched_requests",
        help_text=_("People who asked for the same title later; notified like the requester."),
    )
    media_type = models.CharField(max_length=5, choices=MediaType.choices)
    title = models.CharField(max_length=300)
    year = models.PositiveSmallIntegerField(null=True, blank=True)
    season = models.PositiveSmallIntegerField(null=True, blank=True)
    tmdb_id = models.PositiveIntegerField(db_index=True)
    imdb_id = models.CharField(max_length=16, blank=True, db_index=True)
    tvdb_id = models.PositiveIntegerField(null=True, blank=True)
    poster_url = models.URLField(max_length=500, blank=True)
    overview = models.TextField(blank=True)
    # Original and alternative titles from TMDB: releases are often named by one of them.
    aliases = models.JSONField(default=list, blank=True)
    # TMDB's: which audio is "the original" for a profile's languages, and which country's
    # version of a title is meant ("The.Office.UK" is not the US show).
    origin_countries = models.JSONField(
        default=list, blank=True, help_text=_('ISO 3166-1 codes, e.g. ["US"].')
    )
    original_language = models.CharField(
        max_length=2, blank=True, help_text=_("ISO 639-1, e.g. en; empty when TMDB gives none.")
    )

    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    status_reason = models.CharField(max_length=500, blank=True)
    celery_task_id = models.CharField(max_length=255, blank=True, db_index=True)
    release_title = models.CharField(max_length=500, blank=True)
    download_hash = models.CharField(max_length=40, blank=True, db_index=True)
    search_attempts = models.PositiveSmallIntegerField(default=0)
    failovers = models.PositiveSmallIntegerField(default=0)
    next_search_at = models.DateTimeField(null=True, blank=True, db_index=True)

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    follow_show = models.BooleanField(
        default=False,
        help_text=_("Also ask for each new season of the show when TMDB announces it."),
    )
    # When the people were last told episodes arrived: later ones wait a day for one digest.
    episodes_notified_at = models.DateTimeField(null=True, blank=True)
    # The status the people were told of, while the request is in it (a change of status
    # clears it, see requests_app.transitions): a notice is claimed here before it is sent,
    # so a redelivered message sends nothing and the sweep finds the notices that were lost.
    told_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    told_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                F("media_type"),
                F("tmdb_id"),
                Coalesce(F("season"), Value(-1)),
                condition=Q(status__in=ACTIVE_STATUSES),
                name="one_active_request_per_title",
            ),
            models.CheckConstraint(
                condition=Q(media_type="movie", season__isnull=True)
                | Q(media_type="tv", season__isnull=False),
                name="season_only_for_tv",
            ),
        ]
        # The lists' order (newest first, id breaking ties), for staff and for one member.
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="request_newest_first"),
            models.Index(fields=["requested_by", "-created_at"]),
        ]

    def __str__(self) -> str:
        return self.display_title

    def get_absolute_url(self) -> str:
        return reverse("requests:detail", args=[self.pk])

    @property
    def display_title(self) -> str:
        name = f"{self.title} ({self.year})" if self.year else self.title
        if self.media_type == MediaType.TV:
            return f"{name} – {_('Season')} {self.season}"
        return name

    @property
    def status_label(self) -> str:
        # get_status_display() rebuilds and hashes the whole lazy choices list on every
        # call (~0.3 ms); a list page of 50 rows felt that.
        try:
            return str(Status(self.status).label)
        except ValueError:  # a value no longer among the choices shows as stored
            return self.status

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    # Downloads and release searches name their owner by a plain string ("request:42"),
    # since `downloads` knows nothing of requests; these two are the only codec for it.
    OWNER_PREFIX = "request:"

    @property
    def owner_ref(self) -> str:
        return owner_ref(self.pk)

    @classmethod
    def id_from_owner_ref(cls, ref: str) -> int | None:
        """Return the request id in an owner reference, or None when another app owns it."""
        if not ref.startswith(cls.OWNER_PREFIX):
            return None
        try:
            return int(ref.removeprefix(cls.OWNER_PREFIX))
        except ValueError:
            return None


def owner_ref(request_id: int) -> str:
    """Return the owner reference that downloads and release searches store for a request."""
    return f"{MediaRequest.OWNER_PREFIX}{request_id}"


class RequestEvent(models.Model):
    """One change of a request's state: when, from what, to what, why, and by whom."""

    request = models.ForeignKey(MediaRequest, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    from_status = models.CharField(max_length=12, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=12, choices=Status.choices)
    reason = models.CharField(max_length=500, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    actor_label = models.CharField(
        max_length=150, help_text=_("A person's name, or the part of the system that acted.")
    )

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.from_status or '∅'} → {self.to_status}"


class EpisodeState(models.TextChoices):
    NOT_AIRED = "not_aired", _("Not aired yet")
    WANTED = "wanted", _("Wanted")
    DOWNLOADING = "downloading", _("Downloading")
    IN_PLEX = "in_plex", _("In Plex")


class RequestEpisode(models.Model):
    """One episode of a requested season: its air date, and whether Plex has it yet."""

    request = models.ForeignKey(MediaRequest, on_delete=models.CASCADE, related_name="episodes")
    number = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=300, blank=True)
    air_date = models.DateField(null=True, blank=True, help_text=_("TMDB's; empty when unknown."))
    state = models.CharField(
        max_length=12, choices=EpisodeState.choices, default=EpisodeState.WANTED
    )
    # The download bringing it (a torrent's info hash), while *downloading*.
    download_hash = models.CharField(max_length=40, blank=True, db_index=True)
    failovers = models.PositiveSmallIntegerField(
        default=0, help_text=_("Releases of this episode that failed and were replaced.")
    )
    announced = models.BooleanField(
        default=False, help_text=_("The people were told it is in Plex.")
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["request", "number"]
        constraints = [
            models.UniqueConstraint(fields=["request", "number"], name="one_row_per_episode")
        ]

    def __str__(self) -> str:
        return f"E{self.number:02d} {self.title}".strip()


class Profile(models.Model):
    """Per-person settings: approval, quotas, where to send notifications."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="kiosk_profile"
    )
    auto_approve = models.BooleanField(
        default=False, help_text=_("Requests start without waiting for a staff approval.")
    )
    movie_quota = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_(
            "Movies per quota period; empty means the site default (REQUEST_QUOTA_MOVIES)."
        ),
    )
    season_quota = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text=_("TV seasons per quota period; empty means the site default."),
    )
    notify_urls = models.TextField(
        blank=True,
        help_text=_("Apprise URLs, one a line (ntfy, Telegram, Discord, e-mail, …)."),
    )
    quality_profile = models.ForeignKey(
        "downloads.QualityProfile",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("quality profile"),
        help_text=_(
            "The rules (audio languages first) this person's requests are searched with; "
            "empty means the default profile."
        ),
    )

    def __str__(self) -> str:
        return f"profile of {self.user}"

    @property
    def notify_url_list(self) -> list[str]:
        return [line.strip() for line in self.notify_urls.splitlines() if line.strip()]


class PlexInstallation(models.Model):
    """This installation's identity towards plex.tv: one row, made once, never changed."""

    # plex.tv ties PINs and devices to this id; a new one would orphan every PIN in flight.
    client_identifier = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.client_identifier


class PlexAccountKind(models.TextChoices):
    OWNER = "owner", _("Server owner")
    FRIEND = "friend", _("Friend (server shared)")
    HOME = "home", _("Plex Home member")
    MANAGED = "managed", _("Managed Plex Home user")


class TokenState(models.TextChoices):
    NONE = "none", _("No token")
    VALID = "valid", _("Valid")
    EXPIRED = "expired", _("Expired or revoked")


class WatchlistShows(models.TextChoices):
    LATEST_SEASON = "latest_season", _("Latest season")
    FIRST_SEASON = "first_season", _("First season")
    ALL_MISSING = "all_missing", _("Every season not in Plex")


class PlexAccount(models.Model):
    """A person's Plex account (or Plex Home profile), linked to their user here."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="plex_account"
    )
    plex_id = models.PositiveBigIntegerField(unique=True, help_text=_("The plex.tv account id."))
    uuid = models.CharField(max_length=64, blank=True)
    username = models.CharField(max_length=150, blank=True)
    title = models.CharField(max_length=150, blank=True)
    # Managed Home users have no e-mail address.
    email = models.EmailField(blank=True)
    thumb = models.URLField(max_length=500, blank=True)
    kind = models.CharField(max_length=10, choices=PlexAccountKind.choices)
    # Fernet ciphertext (core.encryption); never shown, not even encrypted.
    encrypted_token = models.TextField(blank=True, editable=False)
    token_state = models.CharField(
        max_length=10, choices=TokenState.choices, default=TokenState.NONE
    )
    token_checked_at = models.DateTimeField(null=True, blank=True)
    watchlist_enabled = models.BooleanField(
        default=False,
        help_text=_("Titles added to this person's Plex watchlist become their requests."),
    )
    watchlist_shows = models.CharField(
        max_length=20,
        choices=WatchlistShows.choices,
        default=WatchlistShows.LATEST_SEASON,
        help_text=_("What a show on the watchlist requests."),
    )
    watchlist_etag = models.CharField(max_length=200, blank=True, editable=False)
    watchlist_synced_at = models.DateTimeField(null=True, blank=True, editable=False)
    watchlist_error = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return self.title or self.username or f"Plex account {self.plex_id}"

    def set_token(self, token: str) -> None:
        """Keep this account's Plex token, encrypted, and mark it valid (the caller saves)."""
        self.encrypted_token = encryption.encrypt(token)
        self.token_state = TokenState.VALID
        self.token_checked_at = timezone.now()

    def token(self) -> str | None:
        """Return the Plex token, or None (marking it expired) when there is none to read."""
        if not self.encrypted_token:
            return None
        try:
            return encryption.decrypt(self.encrypted_token)
        except encryption.CannotDecrypt:
            # The key changed (SECRET_KEY without PLEX_TOKEN_KEY): only a new sign-in helps.
            self.token_state = TokenState.EXPIRED
            if self.pk:
                PlexAccount.objects.filter(pk=self.pk).update(token_state=TokenState.EXPIRED)
            return None


class WatchlistOutcome(models.TextChoices):
    REQUESTED = "requested", _("Requested")
    ALREADY_IN_PLEX = "already_in_plex", _("Already in Plex")
    ALREADY_REQUESTED = "already_requested", _("Already requested")
    OVER_QUOTA = "over_quota", _("Over quota")
    NO_TMDB_ID = "no_tmdb_id", _("No TMDB id")
    REFUSED = "refused", _("Refused")


class WatchlistItem(models.Model):
    """A title seen on a person's Plex watchlist, and what became of it."""

    account = models.ForeignKey(
        PlexAccount, on_delete=models.CASCADE, related_name="watchlist_items"
    )
    rating_key = models.CharField(max_length=100)
    title = models.CharField(max_length=300)
    media_type = models.CharField(max_length=10)
    tmdb_id = models.IntegerField(null=True, blank=True)
    first_seen_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=20, choices=WatchlistOutcome.choices, blank=True)
    message = models.CharField(max_length=500, blank=True)
    request = models.ForeignKey(
        MediaRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "rating_key"], name="watchlist_item_once_per_account"
            )
        ]

    def __str__(self) -> str:
        return self.title
