from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from requests_app import api

router = SimpleRouter()
router.register("requests", api.MediaRequestViewSet, basename="request")

urlpatterns = [
    *router.urls,
    path("search/", api.search_view, name="api-search"),
    path("tasks/<str:task_id>/", api.task_view, name="api-task"),
]
