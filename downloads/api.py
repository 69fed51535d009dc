"""REST API v1 for downloads: staff follow what qBittorrent is doing (read-only), and
qBittorrent itself says when a torrent finished (`DownloadFinished`, its own token)."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.permissions import BasePermission, IsAdminUser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from downloads import hook, queueing
from downloads.failing import ACTIVE
from downloads.models import Download

logger = logging.getLogger(__name__)
# What a request authenticated by the hook token carries as `request.auth`.
HOOK = "qbittorrent-hook"


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


class HookTokenAuthentication(BaseAuthentication):
    """`Authorization: Bearer <QBITTORRENT_HOOK_TOKEN>`: qBittorrent's call, no user."""

    def authenticate(self, request: Request) -> tuple[Any, str] | None:
        """Accept the hook token; refuse any other Bearer value; ignore other schemes."""
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != b"bearer":
            return None
        if len(parts) != 2 or not hook.token_matches(parts[1].decode(errors="replace")):
            raise exceptions.AuthenticationFailed(_("Invalid token."))
        # No `authenticate_header`: refusals are 403, as on every other API route.
        return AnonymousUser(), HOOK


class HookTokenScheme(OpenApiAuthenticationExtension):
    """Name the hook token in the OpenAPI schema as a bearer scheme."""

    target_class = HookTokenAuthentication
    name = "qbittorrentHookToken"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "description": "QBITTORRENT_HOOK_TOKEN"}


class HasHookToken(BasePermission):
    """Only a request that carried the hook token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.auth == HOOK


class HookRateThrottle(AnonRateThrottle):
    """API_RATE_QBITTORRENT_HOOK per address, counted before the token is looked at."""

    scope = "qbittorrent_hook"

    def get_cache_key(self, request: Request, view: Any) -> str:
        # Keyed by address whatever the authentication: guesses of the token count too.
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class DownloadFinished(APIView):
    """qBittorrent's "torrent finished" call: check that download now, not at the next pass.

    Authenticated by the hook token alone (no session, so no CSRF: the token in a header
    is what a cross-site form cannot send). A hash the app is not downloading changes
    nothing: 404 when the app never had it, 200 when its download is past that point.
    """

    authentication_classes = [HookTokenAuthentication]
    permission_classes = [HasHookToken]
    throttle_classes: list = []  # counted in `initial`, before the token is checked

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """Count the call against the rate before authenticating it."""
        throttle = HookRateThrottle()
        if not throttle.allow_request(request, self):
            self.throttled(request, throttle.wait())
        super().initial(request, *args, **kwargs)

    @extend_schema(
        request=inline_serializer("DownloadFinishedRequest", {"hash": serializers.CharField()}),
        responses={
            202: OpenApiResponse(description="the download's check is queued"),
            200: OpenApiResponse(description="the download is not in progress: nothing to do"),
            400: OpenApiResponse(description="not an info hash"),
            403: OpenApiResponse(description="no or a wrong hook token"),
            429: OpenApiResponse(description="past API_RATE_QBITTORRENT_HOOK"),
            404: OpenApiResponse(description="not a torrent of the app"),
        },
    )
    def post(self, request: Request) -> Response:
        """Queue the check of the download with this info hash (form or JSON `hash`)."""
        info_hash = hook.parse_info_hash(request.data.get("hash"))
        if info_hash is None:
            return Response(
                {"hash": [_("Give the torrent's info hash (40 hexadecimal digits).")]},
                status=status.HTTP_400_BAD_REQUEST,
            )
        download = Download.objects.filter(info_hash=info_hash).only("pk", "state").first()
        if download is None:
            # Any torrent of this qBittorrent calls: the household's own ones too.
            return Response({"detail": _("Not a download of this app.")}, status=404)
        if download.state not in ACTIVE:
            return Response({"queued": False, "state": download.state})
        queueing.queue_check(info_hash)
        logger.info("download %s finished in qBittorrent; checking it now", download.pk)
        return Response({"queued": True, "download": download.pk}, status=202)
