"""Downloads API routes, mounted at /api/v1/downloads/."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import SimpleRouter

from downloads import api

app_name = "downloads-api"

router = SimpleRouter()
router.register("", api.DownloadViewSet, basename="download")
# Before the router's routes, whose detail pattern would take "finished" for an id.
urlpatterns = [
    path("finished/", api.DownloadFinished.as_view(), name="finished"),
    *router.urls,
]
