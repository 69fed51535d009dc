from __future__ import annotations

from django.apps import AppConfig


class RequestsAppConfig(AppConfig):
    name = "requests_app"
    verbose_name = "Requests"

    def ready(self) -> None:
        # The library tells us when new media appears; downloads (once its life cycle
        # is installed) tells us when a download finished or failed.
        from library.signals import new_media
        from requests_app import receivers

        new_media.connect(receivers.on_new_media, dispatch_uid="requests_on_new_media")
