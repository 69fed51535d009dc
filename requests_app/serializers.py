"""API shapes of requests, their history, and title search results."""

from __future__ import annotations

from rest_framework import serializers

from requests_app.models import MediaRequest, MediaType, RequestEvent


class RequestEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = RequestEvent
        fields = ["at", "from_status", "to_status", "reason", "actor_label"]


class DownloadProgressSerializer(serializers.Serializer):
    percent = serializers.FloatField()
    speed_bytes = serializers.IntegerField()
    eta_seconds = serializers.IntegerField(allow_null=True)
    state = serializers.CharField()


class MediaRequestSerializer(serializers.ModelSerializer):
    requested_by = serializers.CharField(source="requested_by.get_username", read_only=True)
    status_label = serializers.CharField(source="get_status_display", read_only=True)
    display_title = serializers.CharField(read_only=True)

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


class MediaRequestDetailSerializer(MediaRequestSerializer):
    events = RequestEventSerializer(many=True, read_only=True)
    progress = serializers.SerializerMethodField()

    class Meta(MediaRequestSerializer.Meta):
        fields = [*MediaRequestSerializer.Meta.fields, "overview", "events", "progress"]
        read_only_fields = fields

    def get_progress(self, obj: MediaRequest) -> dict | None:
        from requests_app.progress import progress_of

        progress = progress_of(obj)
        return None if progress is None else DownloadProgressSerializer(progress).data


class CreateRequestSerializer(serializers.Serializer):
    media_type = serializers.ChoiceField(choices=MediaType.choices)
    tmdb_id = serializers.IntegerField(min_value=1, max_value=2_000_000_000)
    season = serializers.IntegerField(min_value=0, max_value=1000, required=False, allow_null=True)

    def validate(self, attrs: dict) -> dict:
        if attrs["media_type"] == MediaType.TV and attrs.get("season") is None:
            raise serializers.ValidationError({"season": "Choose a season for a TV request."})
        if attrs["media_type"] == MediaType.MOVIE and attrs.get("season") is not None:
            raise serializers.ValidationError({"season": "A movie has no season."})
        return attrs


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
