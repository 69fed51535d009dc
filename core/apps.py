"""The core app: installed only so Django finds its model (the job lock) and template filters."""

from __future__ import annotations

from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Plex Kiosk core"
