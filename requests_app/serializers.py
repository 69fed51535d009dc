"""API shapes of requests, their history, and title search results."""

from __future__ import annotations

from rest_framework import serializers

from requests_app.episodes import shown
from requests_app.models import MediaRequest, MediaType, RequestEpisode, RequestEvent
from requests_app.progress import progress_of


class RequestEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestEvent
        fields = ["at", "from_status", "to_status", "reason", "actor_label"]


class DownloadProgressSerializer(serializers.Serializer):
    percent = serializers.FloatField()
    speed_bytes = serializers.IntegerField()
    eta_seconds = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()


# Unbound, so turning a timestamp into text does not build every field of a serializer.
_TIMESTAMP = serializers.DateTimeField()


class MediaRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True)
    status_label = serializers.CharField(read_only=True)
    display_title = serializers.CharField(read_only=True)
    # Text, not the model's URLField: TMDB has no poster for some titles, and "" is no URI
    # (the schema fuzz test caught the schema promising one).
    poster_url = serializers.CharField(read_only=True)

    class Meta:
        model = MediaRequest
        fields = [
            "id",
            "media_type",
            "title",
            "year",
            "season",
            "display_title",
            "tmdb_id",
            "imdb_id",
            "tvdb_id",
            "poster_url",
            "status",
            "status_label",
            "status_reason",
            "requested_by",
            "release_title",
            "celery_task_id",
            "created_at",
            "updated_at",
            "completed_at",
        ]
        read_only_fields = fields

    def to_representation(self, instance: MediaRequest) -> dict:
        # A list page of 50 is the API's hottest read; DRF's field-by-field walk cost
        # ~0.2 ms a row, so the same fields are built directly (a test compares both).
        timestamp = _TIMESTAMP.to_representation
        return {
            "id": instance.pk,
            "media_type": instance.media_type,
            "title": instance.title,
            "year": instance.year,
            "season": instance.season,
            "display_title": instance.display_title,
            "tmdb_id": instance.tmdb_id,
            "imdb_id": instance.imdb_id,
            "tvdb_id": instance.tvdb_id,
            "poster_url": instance.poster_url,
            "status": instance.status,
            "status_label": instance.status_label,
            "status_reason": instance.status_reason,
            "requested_by": instance.requested_by.get_username(),
            "release_title": instance.release_title,
            "celery_task_id": instance.celery_task_id,
            "created_at": timestamp(instance.created_at),
            "updated_at": timestamp(instance.updated_at),
            "completed_at": instance.completed_at and timestamp(instance.completed_at),
        }


class RequestEpisodeSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()

    class Meta:
        model = RequestEpisode
        fields = ["number", "title", "air_date", "state", "progress"]

    def get_progress(self, obj: RequestEpisode) -> dict | None:
        # Set by `episodes.shown` on each downloading episode (None otherwise).
        progress = getattr(obj, "progress", None)
        return None if progress is None else DownloadProgressSerializer(progress).data


class MediaRequestDetailSerializer(MediaRequestSerializer):
    events = RequestEventSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()
    episodes = RequestEpisodeSerializer(many=True, read_only=True)

    class Meta(MediaRequestSerializer.Meta):
        fields = [*MediaRequestSerializer.Meta.fields, "overview", "events", "progress", "episodes"]
        read_only_fields = fields

    def to_representation(self, instance: MediaRequest) -> dict:
        body = super().to_representation(instance)
        body["overview"] = instance.overview
        body["events"] = RequestEventSerializer(instance.events.all(), many=True).data
        body["progress"] = self.get_progress(instance)
        # A season's episodes, as the request page shows them (empty for a movie).
        body["episodes"] = RequestEpisodeSerializer(shown(instance), many=True).data
        return body

    def get_progress(self, obj: MediaRequest) -> dict | None:
        progress = progress_of(obj)
        return None if progress is None else DownloadProgressSerializer(progress).data


class CreateRequestSerializer(serializers.Serializer):
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    tmdb_id = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    season = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)
    follow_show = serializers.BooleanField(
        required=False,
        default=False,
        help_text="TV: also request each new season of the show when TMDB announces it.",
    )

    def validate(self, attrs: dict) -> dict:
        if attrs["media_type"] == MediaType.TV and attrs.get("season") is None:
            raise serializers.ValidationError({"season": "Choose a season for a TV request."})
        if attrs["media_type"] == MediaType.MOVIE and attrs.get("season") is not None:
            raise serializers.ValidationError({"season": "A movie has no season."})
        return attrs


class MissingSeasonsSerializer(serializers.Serializer):
    tmdb_id = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    follow_show = serializers.BooleanField(required=False, default=False)


class DeclineSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True)


class SearchQuerySerializer(serializers.Serializer):
    q = serializers.CharField(max_length=200, trim_whitespace=True)
    media_type = serializers.ChoiceField(choices=MediaType.choices, required=False)
    page = serializers.IntegerField(min_value=1, max_value=500, required=False, default=1)


class SearchResultSerializer(serializers.Serializer):
    media_type = serializers.CharField()
    tmdb_id = serializers.IntegerField()
    title = serializers.CharField()
    year = serializers.IntegerField(allow_null=True)
    overview = serializers.CharField()
    poster_url = serializers.CharField()
    seasons = serializers.ListField(child=serializers.IntegerField())
    in_plex = serializers.BooleanField()
    request_id = serializers.IntegerField(allow_null=True)
    request_status = serializers.CharField(allow_null=True)
    requested_seasons = serializers.ListField(child=serializers.IntegerField())
