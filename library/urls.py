"""Library pages, mounted at /library/."""

from __future__ import annotations

from django.urls import path

from library import views

app_name = "library"

urlpatterns = [
    path("", views.library_list, name="list"),
    path("<int:pk>/poster", views.poster, name="poster"),
]
