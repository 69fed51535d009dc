"""Library API routes, mounted at /api/v1/library/."""

from __future__ import annotations

from django.urls import path

from library import api

app_name = "library-api"

urlpatterns = [
    path("", api.LibraryItemList.as_view(), name="list"),
    path("<int:pk>/", api.LibraryItemDetail.as_view(), name="detail"),
]
