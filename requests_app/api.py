"""REST API v1 for requests, title search and task status (thin doors onto flow)."""

from __future__ import annotations

from django.db.models import QuerySet
from django_celery_results.models import TaskResult
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action, api_view, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.permissions import IsAdminUser, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle, UserRateThrottle

from core.pagination import LateRowLookupPages
from requests_app import flow, search
from requests_app.models import MediaRequest, Status
from requests_app.serializers import (
    CreateRequestSerializer,
    DeclineSerializer,
    MediaRequestDetailSerializer,
    MediaRequestSerializer,
    MissingSeasonsSerializer,
    SearchQuerySerializer,
    SearchResultSerializer,
)
from requests_app.throttles import CreateRequestThrottle

# What the list shows of a request and its requester; the rest is read only for detail.
LIST_COLUMNS = [
    *(f for f in MediaRequestSerializer.Meta.fields if f not in ("display_title", "status_label")),
    "requested_by__username",
]


@extend_schema_view(
    list=extend_schema(
        parameters=[OpenApiParameter("status", enum=Status.values, description="only this state")]
    )
)
class MediaRequestViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """Members list, create, read and cancel their own requests; staff see all and approve."""

    permission_classes = [IsAuthenticated]
    pagination_class = LateRowLookupPages

    def get_queryset(self) -> QuerySet[MediaRequest]:
        if getattr(self, "swagger_fake_view", False):  # schema generation has no user
            return MediaRequest.objects.none()
        qs = flow.visible_requests(self.request.user)
        if self.action == "retrieve":
            qs = qs.prefetch_related("events")
        elif self.action == "list":
            qs = qs.only(*LIST_COLUMNS)
        wanted = self.request.query_params.get("status")
        return qs.filter(status=wanted) if wanted else qs

    def get_serializer_class(self) -> type[serializers.BaseSerializer]:
        if self.action == "retrieve":
            return MediaRequestDetailSerializer
        if self.action == "create":
            return CreateRequestSerializer
        if self.action == "decline":
            return DeclineSerializer
        return MediaRequestSerializer

    def get_throttles(self) -> list[BaseThrottle]:
        creating = self.action in ("create", "missing_seasons")
        return [CreateRequestThrottle()] if creating else super().get_throttles()

    @extend_schema(
        request=CreateRequestSerializer,
        responses={201: MediaRequestSerializer, 200: MediaRequestSerializer},
        description="201: a new request; 200: joined the request someone already made.",
    )
    def create(self, request: Request) -> Response:
        data = CreateRequestSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        wish = data.validated_data
        try:
            outcome = flow.create_request(
                user=request.user,
                media_type=wish["media_type"],
                tmdb_id=wish["tmdb_id"],
                season=wish.get("season"),
                follow=wish["follow_show"],
            )
        except flow.RequestRefused as exc:
            raise ValidationError({exc.field or "non_field_errors": [exc.message]}) from exc
        body = MediaRequestSerializer(outcome.request).data
        body["message"] = outcome.message
        return Response(body, status=status.HTTP_201_CREATED if outcome.created else 200)

    @extend_schema(
        request=MissingSeasonsSerializer,
        responses={201: MediaRequestSerializer(many=True)},
        description=(
            "Request every season of a TV show that Plex lacks (joining seasons already "
            "requested); with follow_show, the newest also asks for seasons announced later."
        ),
    )
    @action(detail=False, methods=["post"], url_path="missing-seasons")
    def missing_seasons(self, request: Request) -> Response:
        data = MissingSeasonsSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        try:
            outcomes = flow.request_missing_seasons(
                user=request.user,
                tmdb_id=data.validated_data["tmdb_id"],
                follow=data.validated_data["follow_show"],
            )
        except flow.RequestRefused as exc:
            raise ValidationError({exc.field or "non_field_errors": [exc.message]}) from exc
        body = MediaRequestSerializer([o.request for o in outcomes], many=True).data
        return Response(body, status=status.HTTP_201_CREATED)

    def _act(self, pk: str, done: MediaRequest | None) -> Response:
        if done is None:
            return Response(
                {"detail": "This request cannot change that way now."},
                status=status.HTTP_409_CONFLICT,
            )
        return Response(MediaRequestSerializer(done).data)

    @extend_schema(request=None, responses={200: MediaRequestSerializer})
    @action(detail=True, methods=["post"])
    def cancel(self, request: Request, pk: str) -> Response:
        media_request = self.get_object()  # 404 for requests the member cannot see
        if not flow.can_cancel(request.user, media_request):
            return Response({"detail": "Only the requester can cancel."}, status=403)
        return self._act(pk, flow.cancel(media_request.pk, by=request.user))

    @extend_schema(request=None, responses={200: MediaRequestSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAdminUser])
    def approve(self, request: Request, pk: str) -> Response:
        media_request = self.get_object()
        return self._act(pk, flow.approve(media_request.pk, by=request.user))

    @extend_schema(request=DeclineSerializer, responses={200: MediaRequestSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAdminUser])
    def decline(self, request: Request, pk: str) -> Response:
        media_request = self.get_object()
        data = DeclineSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data.get("reason", "")
        return self._act(pk, flow.decline(media_request.pk, by=request.user, reason=reason))

    @extend_schema(request=None, responses={200: MediaRequestSerializer})
    @action(detail=True, methods=["post"], permission_classes=[IsAdminUser])
    def retry(self, request: Request, pk: str) -> Response:
        media_request = self.get_object()
        return self._act(pk, flow.retry(media_request.pk, by=request.user))


@extend_schema(
    parameters=[SearchQuerySerializer],
    # The hits come wrapped in {"results": [...]}, as every list of the API does.
    responses={
        200: inline_serializer("SearchResults", {"results": SearchResultSerializer(many=True)}),
        503: inline_serializer("SearchUnavailable", {"detail": serializers.CharField()}),
    },
)
@api_view(["GET"])
@permission_classes([IsAuthenticated])
@throttle_classes([UserRateThrottle])
def search_view(request: Request) -> Response:
    """Search movies and TV shows, each flagged "in Plex" or with its request's status."""
    query = SearchQuerySerializer(data=request.query_params)
    query.is_valid(raise_exception=True)
    try:
        hits = search.search_titles(user=request.user, **query.validated_data)
    except search.SearchUnavailable as exc:
        return Response({"detail": str(exc)}, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    return Response({"results": SearchResultSerializer(hits, many=True).data})


@extend_schema(responses={200: dict})
@api_view(["GET"])
@permission_classes([IsAuthenticated])
def task_view(request: Request, task_id: str) -> Response:
    """State and result of a background task, for tasks of requests the caller may see."""
    if (
        not request.user.is_staff
        and not flow.visible_requests(request.user).filter(celery_task_id=task_id).exists()
    ):
        raise NotFound()
    result = TaskResult.objects.filter(task_id=task_id).first()
    if result is None:
        if (
            not request.user.is_staff
            or MediaRequest.objects.filter(celery_task_id=task_id).exists()
        ):
            return Response({"task_id": task_id, "status": "PENDING", "result": None})
        raise NotFound()
    return Response(
        {
            "task_id": result.task_id,
            "task_name": result.task_name,
            "status": result.status,
            "date_done": result.date_done,
            # Only staff read results and tracebacks; they may name internal paths.
            "result": result.result if request.user.is_staff else None,
        }
    )
