"""URL map: pages, logging in (with a password or Plex), admin, API v1 and its schema, liveness."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from plexkiosk import views
from requests_app import plex_signin

api_v1 = [
    path("library/", include("library.api_urls")),
    path("downloads/", include("downloads.api_urls")),
    path("", include("requests_app.api_urls")),
]

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("status/", views.status, name="status"),
    path("img/<str:kind>/<str:size>/<str:name>", views.image, name="image"),
    path("manifest.webmanifest", views.manifest, name="manifest"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("login/plex/", plex_signin.start, name="login_plex"),
    path("login/plex/callback/", plex_signin.callback, name="login_plex_callback"),
    path("login/plex/tablet/", plex_signin.tablet, name="login_plex_tablet"),
    path("login/plex/tablet/status/", plex_signin.tablet_status, name="login_plex_tablet_status"),
    path("login/plex/home/", plex_signin.home, name="login_plex_home"),
    path("admin/", admin.site.urls),
    path("library/", include("library.urls")),
    path("api/v1/", include(api_v1)),
    path("api/schema/", login_required(SpectacularAPIView.as_view()), name="api-schema"),
    path(
        "api/docs/",
        login_required(SpectacularSwaggerView.as_view(url_name="api-schema")),
        name="api-docs",
    ),
    path("downloads/", include("downloads.urls")),
    path("", include("requests_app.urls")),
]
