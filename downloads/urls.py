"""Downloads pages, mounted at /downloads/."""

from __future__ import annotations

from django.urls import path

from downloads import views

app_name = "downloads"

urlpatterns = [
    path("", views.download_list, name="list"),
]
