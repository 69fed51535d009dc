from __future__ import annotations

from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Requests"

    def ready(self) -> None:
        # Imported here, when every app is loaded (models must not load in AppConfig's
        # module). The library tells us when media appears or changes; downloads when a download was
        # filed into the library, failed, or waits to be filed (a full disk).
        from downloads.signals import download_completed, download_failed, import_delayed
        from library.signals import media_changed
        from requests_app import receivers

        media_changed.connect(receivers.on_media_changed, dispatch_uid="requests_on_media_changed")
        download_completed.connect(
            receivers.on_download_completed, dispatch_uid="requests_on_download_completed"
        )
        download_failed.connect(
            receivers.on_download_failed, dispatch_uid="requests_on_download_failed"
        )
        import_delayed.connect(
            receivers.on_import_delayed, dispatch_uid="requests_on_import_delayed"
        )
