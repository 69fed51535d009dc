from __future__ import annotations

from django.urls import path, re_path

from requests_app import views

app_name = "requests"

urlpatterns = [
    path("", views.kiosk, name="kiosk"),
    path("home/requests/", views.home_requests, name="home_requests"),
    path("search/", views.search_page, name="search"),
    path("profile/", views.profile, name="profile"),
    path("requests/", views.request_list, name="list"),
    path("requests/live/", views.request_list_live, name="list_live"),
    path("requests/new/", views.create, name="create"),
    path("requests/<int:pk>/", views.detail, name="detail"),
    path("requests/<int:pk>/status/", views.progress_fragment, name="status"),
    path("requests/<int:pk>/cancel/", views.cancel, name="cancel"),
    path("requests/<int:pk>/approve/", views.approve, name="approve"),
    path("requests/<int:pk>/decline/", views.decline, name="decline"),
    # /movie/438631/ and /tv/1396/, as TMDB's own site names its pages.
    re_path(
        r"^(?P<media_type>movie|tv)/(?P<tmdb_id>[1-9][0-9]{0,9})/$", views.title_page, name="title"
    ),
]
