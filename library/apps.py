from __future__ import annotations

from django.apps import AppConfig


class LibraryConfig(AppConfig):
    name = "library"
    verbose_name = "Plex library"

    def ready(self) -> None:
        # Imported here, once every app is loaded: an AppConfig module must not load models.
        from celery.signals import beat_init

        from library.first_sync import queue_first_full_sync

        beat_init.connect(queue_first_full_sync, dispatch_uid="library_first_full_sync", weak=False)
