"""REST API v1 for the library mirror: search what Plex has, by title or external id."""

from __future__ import annotations

from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers

from library.models import LibraryItem, Season


class SeasonSerializer(serializers.ModelSerializer):
    episode_count = serializers.IntegerField(source="leaf_count", allow_null=True)

    class Meta:
        model = Season
        fields = ["index", "title", "episode_count"]


class LibraryItemSerializer(serializers.ModelSerializer):
    section = serializers.CharField(source="section.title")
    seasons = SeasonSerializer(many=True, read_only=True)

    class Meta:
        model = LibraryItem
        fields = [
            "id",
            "rating_key",
            "type",
            "title",
            "year",
            "section",
            "imdb_id",
            "tmdb_id",
            "tvdb_id",
            "plex_guid",
            "added_at",
            "updated_at",
            "file_locations",
            "leaf_count",
            "seasons",
        ]


class LibraryFilter(serializers.Serializer):
    """Query parameters of the library list; bad values answer 400 with field errors."""

    q = serializers.CharField(required=False, max_length=200, help_text="part of the title")
    type = serializers.ChoiceField(choices=LibraryItem.Type.choices, required=False)
    year = serializers.IntegerField(required=False, min_value=1800, max_value=3000)
    tmdb_id = serializers.IntegerField(required=False, min_value=1)
    tvdb_id = serializers.IntegerField(required=False, min_value=1)
    imdb_id = serializers.RegexField(r"^tt\d+$", required=False)


def filter_items(params: dict[str, object]) -> QuerySet[LibraryItem]:
    """Return mirrored items matching validated filter values."""
    items = LibraryItem.objects.select_related("section")
    if params.get("q"):
        items = items.filter(title__icontains=params["q"])
    for name in ("type", "year", "tmdb_id", "tvdb_id", "imdb_id"):
        if params.get(name) is not None:
            items = items.filter(**{name: params[name]})
    return items.order_by("title", "year", "pk")


@extend_schema(parameters=[LibraryFilter])
class LibraryItemList(generics.ListAPIView):
    """Search what Plex has: `q` (title), `type`, `year`, `tmdb_id`, `imdb_id`, `tvdb_id`."""

    serializer_class = LibraryItemSerializer

    def get_queryset(self) -> QuerySet[LibraryItem]:
        query = LibraryFilter(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return filter_items(query.validated_data).prefetch_related("seasons")


class LibraryItemDetail(generics.RetrieveAPIView):
    """One mirrored movie or show, with its seasons."""

    serializer_class = LibraryItemSerializer
    queryset = LibraryItem.objects.select_related("section").prefetch_related("seasons")
