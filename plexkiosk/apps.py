from __future__ import annotations

from django.apps import AppConfig


class PlexKioskConfig(AppConfig):
    name = "plexkiosk"
    verbose_name = "Plex Kiosk"
