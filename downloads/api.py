"""REST API v1 for downloads: staff follow what qBittorrent is doing (read-only)."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import serializers, viewsets
from rest_framework.permissions import IsAdminUser

from downloads.models import Download


class DownloadSerializer(serializers.ModelSerializer):
    """A download as staff see it; never the indexer's links, which carry API keys."""

    percent = serializers.SerializerMethodField()
    # Plain text: the requests API already names a "movie"/"tv" enum MediaType, and two
    # choice sets under one name make drf-spectacular warn (the schema test fails on it).
    media_type = serializers.CharField(read_only=True)

    class Meta:
        model = Download
        # An explicit list, not "__all__": a field added to the model later must not leak.
        fields = [
            "id",
            "info_hash",
            "release_title",
            "indexer",
            "size",
            "owner_ref",
            "media_type",
            "title",
            "year",
            "season",
            "episodes",
            "select_files",
            "files_selected_at",
            "state",
            "qbt_state",
            "progress",
            "percent",
            "dlspeed",
            "eta",
            "seeders",
            "library_folder",
            "error",
            "attempts",
            "added_at",
            "completed_at",
            "imported_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_percent(self, download: Download) -> float:
        """Return the progress as a percentage with one decimal."""
        return round(download.progress * 100, 1)


@extend_schema_view(
    list=extend_schema(
        parameters=[
            OpenApiParameter("state", enum=Download.State.values, description="only this state")
        ]
    )
)
class DownloadViewSet(viewsets.ReadOnlyModelViewSet):
    """List and read downloads, newest first; `state` filters (e.g. `?state=downloading`)."""

    serializer_class = DownloadSerializer
    permission_classes = [IsAdminUser]

    def get_queryset(self) -> QuerySet[Download]:
        downloads = Download.objects.order_by("-added_at", "-pk")
        wanted = self.request.query_params.get("state")
        if wanted in Download.State.values:
            downloads = downloads.filter(state=wanted)
        return downloads
