"""Downloads API routes, mounted at /api/v1/downloads/."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from downloads import api

app_name = "downloads-api"

router = SimpleRouter()
router.register("", api.DownloadViewSet, basename="download")
urlpatterns = router.urls
