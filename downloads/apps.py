from __future__ import annotations

from django.apps import AppConfig


class DownloadsConfig(AppConfig):
    name = "downloads"
    verbose_name = "Downloads"

    def ready(self) -> None:
        # Imported here, when every app is loaded. A worker that starts sets qBittorrent's
        # "on torrent finished" call when QBITTORRENT_SET_HOOK allows it.
        from celery.signals import worker_ready

        from downloads import receivers

        worker_ready.connect(receivers.on_worker_ready, dispatch_uid="downloads_install_hook")
