"""`manage.py qbittorrent_hook`: have qBittorrent tell the app at once when a torrent finishes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from downloads import hook
from downloads.qbittorrent import QBittorrent, QBittorrentError

WHERE = "qBittorrent's options: Downloads > Run external program > Run on torrent finished"
SAYS = {
    "installed": "qBittorrent runs this line when a torrent finishes.",
    "outdated": (
        "qBittorrent runs an older line of this app (another token or address): "
        "run `manage.py qbittorrent_hook --install`."
    ),
    "other": (
        "qBittorrent runs another program when a torrent finishes; --install --force replaces it."
    ),
    "none": "qBittorrent runs nothing when a torrent finishes: the monitor's passes notice.",
}


class Command(BaseCommand):
    help = (
        "Show, install or remove the line qBittorrent runs when a torrent finishes, which "
        "tells the app to check that download at once (the monitor's passes stay as the "
        "safety net). The line holds QBITTORRENT_HOOK_TOKEN: show it only to the admin."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        """Declare --show (the default), --install, --remove, --force and --url."""
        action = parser.add_mutually_exclusive_group()
        action.add_argument(
            "--show", action="store_true", help="print the line and what qBittorrent runs now"
        )
        action.add_argument(
            "--install", action="store_true", help="set the line through qBittorrent's Web API"
        )
        action.add_argument(
            "--remove", action="store_true", help="clear it in qBittorrent (only if it is ours)"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="with --install: replace another program qBittorrent runs when a torrent finishes",
        )
        parser.add_argument(
            "--url",
            help="the app's address as qBittorrent's machine reaches it (default: APP_URL)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Do the chosen action and say what qBittorrent runs now."""
        url = options.get("url")
        if url and not url.startswith(("http://", "https://")):
            raise CommandError(f"--url must start with http:// or https://, not {url!r}")
        if options["force"] and not options["install"]:
            raise CommandError("--force goes with --install")
        if not options["remove"] and not hook.host_allowed(app_url=url):
            self.stderr.write(
                f"Warning: {url or settings.APP_URL} is not in ALLOWED_HOSTS: the app would "
                "refuse qBittorrent's call (HTTP 400). Add its host to ALLOWED_HOSTS."
            )
        try:
            if options["install"]:
                self._install(url, force=options["force"])
            elif options["remove"]:
                self._remove()
            else:
                self._show(url)
        except QBittorrentError as exc:
            raise CommandError(str(exc)) from exc

    def _install(self, url: str | None, *, force: bool) -> None:
        """Set the line in qBittorrent, refusing to replace someone else's program."""
        try:
            line = hook.install(app_url=url, force=force)
        except hook.HookConflict as exc:
            raise CommandError(
                f"qBittorrent already runs another program when a torrent finishes: "
                f"{exc.program!r}. Run again with --force to replace it."
            ) from exc
        self.stdout.write(f"Installed. qBittorrent now runs, when a torrent finishes:\n{line}")

    def _remove(self) -> None:
        """Clear the line in qBittorrent when it is this app's."""
        if hook.remove():
            self.stdout.write(
                "Removed: qBittorrent no longer calls the app when a torrent finishes."
            )
        else:
            self.stdout.write("Nothing removed: qBittorrent was not running this app's line.")

    def _show(self, url: str | None) -> None:
        """Print the line to paste, then what qBittorrent runs now (if it answers)."""
        self.stdout.write(f"Paste this line in {WHERE}:\n{hook.program_line(app_url=url)}")
        try:
            found, _ = hook.state(client=QBittorrent(), app_url=url)
        except QBittorrentError as exc:
            self.stdout.write(f"qBittorrent could not be asked what it runs now: {exc}")
            return
        self.stdout.write(SAYS[found])
