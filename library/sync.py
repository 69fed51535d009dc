"""Keep the mirror of the Plex library in step with Plex.

`sync_library(full=False)` reads only what changed since the last successful run (Plex's
`updatedAt`/`addedAt` filters, and new episodes by `addedAt` because a new episode does
not touch its show); `sync_library(full=True)` reads every section in pages, upserts in
bulk and removes what Plex no longer has — only after a complete read of that section.
Runs never overlap (a database lock that lapses if its worker dies) and record progress.
"""

from __future__ import annotations

import hashlib
import json
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from core import bulk, locks
from library.lookups import has_media_under, section_for, to_plex_path
from library.models import Episode, LibraryItem, PlexSection, Season, SyncRun
from library.plex import Page, PlexClient, PlexTemporaryError, Section
from library.server_identity import remember
from library.signals import media_changed

logger = logging.getLogger(__name__)

LOCK_NAME = "plex-library-sync"
# The lock is pushed forward after every page, so this only bounds how long a crashed
# worker keeps others out.
LOCK_TTL = 600
# Plex's clock and ours may differ, and an item may be written while a run reads: read a
# little before the last run started (re-reading an unchanged item writes nothing).
OVERLAP = timedelta(minutes=5)
# A refresh after a scan reads what Plex added or changed this long ago at most: the new
# item's addedAt is the scan's time, and an hour leaves room for a slow scan or clock.
REFRESH_WINDOW = timedelta(hours=1)
DELETE_CHUNK = 500
PROGRESS_LOG_SECONDS = 5.0

ProgressCallback = Callable[[SyncRun], None]

ITEM_FIELDS = [
    "section_id",
    "type",
    "title",
    "year",
    "added_at",
    "updated_at",
    "plex_guid",
    "imdb_id",
    "tmdb_id",
    "tvdb_id",
    "file_locations",
    "thumb",
    "leaf_count",
    "content_hash",
    "synced_at",
]
SEASON_FIELDS = ["show_id", "index", "title", "leaf_count", "content_hash"]
EPISODE_FIELDS = [
    "show_id",
    "season_id",
    "season_number",
    "index",
    "title",
    "added_at",
    "updated_at",
    "plex_guid",
    "file_locations",
    "content_hash",
]


class SyncAborted(Exception):
    """The run lost its lock (it took longer than the lock's lifetime) and stopped."""


def _when(epoch: int | None) -> datetime | None:
    return datetime.fromtimestamp(epoch, tz=UTC) if epoch else None


def _digest(values: dict[str, Any]) -> str:
    raw = json.dumps(values, sort_keys=True, default=str).encode()
    return hashlib.blake2b(raw, digest_size=16).hexdigest()


def item_row(data: dict[str, Any], section_id: int) -> dict[str, Any]:
    """Return LibraryItem field values for a parsed Plex movie or show."""
    row = {
        "rating_key": data["rating_key"],
        "section_id": section_id,
        "type": data["type"],
        "title": data["title"][:500],
        "year": data["year"] if data["year"] and 0 < data["year"] < 32767 else None,
        "added_at": _when(data["added_at"]),
        "updated_at": _when(data["updated_at"]),
        "plex_guid": data["plex_guid"][:255],
        "imdb_id": data["imdb_id"][:20],
        "tmdb_id": data["tmdb_id"],
        "tvdb_id": data["tvdb_id"],
        "file_locations": data["files"],
        "thumb": data["thumb"][:255],
        "leaf_count": data["leaf_count"] if data["type"] == "show" else None,
    }
    row["content_hash"] = _digest(row)
    return row


def season_row(data: dict[str, Any], show_id: int) -> dict[str, Any]:
    """Return Season field values for a parsed Plex season."""
    row = {
        "rating_key": data["rating_key"],
        "show_id": show_id,
        "index": data["index"] or 0,
        "title": data["title"][:255],
        "leaf_count": data["leaf_count"],
    }
    row["content_hash"] = _digest(row)
    return row


def episode_row(data: dict[str, Any], show_id: int, season_id: int) -> dict[str, Any]:
    """Return Episode field values for a parsed Plex episode."""
    row = {
        "rating_key": data["rating_key"],
        "show_id": show_id,
        "season_id": season_id,
        "season_number": data["parent_index"] or 0,
        "index": data["index"],
        "title": data["title"][:500],
        "added_at": _when(data["added_at"]),
        "updated_at": _when(data["updated_at"]),
        "plex_guid": data["plex_guid"][:255],
        "file_locations": data["files"],
    }
    row["content_hash"] = _digest(row)
    return row


@dataclass
class _Changes:
    added: int = 0
    updated: int = 0
    removed: int = 0
    # Added or changed rows, announced after the run (`library.signals.media_changed`).
    item_ids: list[int] = field(default_factory=list)
    episode_ids: list[int] = field(default_factory=list)


def _upsert(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    known: dict[int, str],
    update_fields: list[str],
) -> tuple[list[int], int]:
    """Write new and changed rows (unchanged ones are skipped); return (new pks, changed pks).

    `known` maps rating keys already stored to their content hash; it is updated in place.
    """
    new_keys: set[int] = set()
    writes: list[dict[str, Any]] = []
    for row in rows:
        stored = known.get(row["rating_key"])
        if stored == row["content_hash"]:
            continue
        if stored is None:
            new_keys.add(row["rating_key"])
        writes.append(row)
        known[row["rating_key"]] = row["content_hash"]
    created = bulk.upsert_rows(model, writes, update_fields, new_keys=new_keys)
    changed_keys = [row["rating_key"] for row in writes if row["rating_key"] not in new_keys]
    changed = (
        list(model.objects.filter(rating_key__in=changed_keys).values_list("pk", flat=True))
        if changed_keys
        else []
    )
    return created, changed


def _known(model: type[models.Model], keys: Iterable[int]) -> dict[int, str]:
    return dict(
        model.objects.filter(rating_key__in=list(keys)).values_list("rating_key", "content_hash")
    )


_END = object()


def read_ahead(pages: Iterator[Page]) -> Iterator[Page]:
    """Yield the pages while a thread already fetches the next one.

    Fetching a page waits on Plex and the network while writing one waits on the
    database; overlapping them saves about a fifth of a full sync. Only the thread
    uses the client until the pages run out, and its errors are raised here, in order.
    """
    ready: queue.Queue[object] = queue.Queue(maxsize=1)
    stop = threading.Event()

    def put(item: object) -> None:
        while not stop.is_set():
            try:
                ready.put(item, timeout=0.1)
                return
            except queue.Full:
                continue

    def produce() -> None:
        try:
            for page in pages:
                put(page)
                if stop.is_set():
                    return
            put(_END)
        except BaseException as exc:  # handed to the consumer, raised there
            put(exc)

    thread = threading.Thread(target=produce, name="plex-read-ahead", daemon=True)
    thread.start()
    try:
        while True:
            item = ready.get()
            if item is _END:
                return
            if isinstance(item, BaseException):
                raise item
            yield item  # type: ignore[misc]
    finally:
        stop.set()
        thread.join(timeout=60)


class _LibrarySync:
    """One sync run, holding its counters; `run()` does the work."""

    def __init__(
        self,
        client: PlexClient,
        *,
        full: bool,
        progress: ProgressCallback | None,
        lock_token: str,
        folder: str | None = None,
    ) -> None:
        self.client = client
        self.full = full
        self.folder = folder
        self.progress = progress
        self.lock_token = lock_token
        self.changes = _Changes()
        self.record: SyncRun
        self._last_log = 0.0

    def run(self) -> SyncRun:
        # We hold the lock, so a run still marked running died with its worker.
        SyncRun.objects.filter(status=SyncRun.Status.RUNNING).update(
            status=SyncRun.Status.FAILED,
            finished_at=timezone.now(),
            error="the worker stopped during the run",
        )
        since = None
        kind = SyncRun.Kind.FULL if self.full else SyncRun.Kind.INCREMENTAL
        if self.folder is not None:
            kind, since = SyncRun.Kind.REFRESH, timezone.now() - REFRESH_WINDOW
        elif not self.full:
            last_run = (
                SyncRun.objects.filter(status=SyncRun.Status.SUCCEEDED)
                .exclude(kind=SyncRun.Kind.REFRESH)  # it read one section only
                .order_by("-started_at")
                .first()
            )
            if last_run is None:
                logger.info("No successful sync yet: running a full sync instead")
                self.full, kind = True, SyncRun.Kind.FULL
            else:
                since = last_run.started_at - OVERLAP
        self.record = SyncRun.objects.create(kind=kind, started_at=timezone.now(), since=since)
        requests_before = self.client.request_count
        try:
            sections = self._sync_sections()
            # Free: plexapi read the identity when it connected for the sections.
            remember(self.client.identity())
            if self.folder is not None:
                sections = self._sections_holding(self.folder, sections)
            if self.full:
                self._count_everything(sections)
            for plex_section, row in sections:
                if self.full:
                    self._full_section(plex_section, row)
                else:
                    self._incremental_section(plex_section, row, since)  # type: ignore[arg-type]
        except Exception as exc:
            if isinstance(exc, locks.DATABASE_GONE):
                locks.reconnect()  # the database restarted under us: record it on a new link
            try:
                self._finish(SyncRun.Status.FAILED, str(exc) or type(exc).__name__, requests_before)
            except locks.DATABASE_GONE:
                # Still away: the next run marks this one failed. Raise the first error.
                logger.warning("Plex library sync failed and could not be recorded: %s", exc)
                raise exc from None
            logger.warning("Plex library sync failed: %s", self.record.error)
            raise
        self._finish(SyncRun.Status.SUCCEEDED, "", requests_before)
        logger.info("Plex library %s", self.record.summary())
        if self.changes.item_ids or self.changes.episode_ids:
            item_ids, episode_ids = self.changes.item_ids, self.changes.episode_ids
            transaction.on_commit(
                lambda: media_changed.send(
                    sender=SyncRun, item_ids=item_ids, episode_ids=episode_ids
                )
            )
        return self.record

    # --- bookkeeping ---------------------------------------------------------------
    def _finish(self, status: str, error: str, requests_before: int) -> None:
        run = self.record
        run.status = status
        run.error = error[:2000]
        run.finished_at = timezone.now()
        run.added, run.updated, run.removed = (
            self.changes.added,
            self.changes.updated,
            self.changes.removed,
        )
        run.http_requests = self.client.request_count - requests_before
        run.save()

    def _advance(self, items: int) -> None:
        run = self.record
        run.items_done += items
        SyncRun.objects.filter(pk=run.pk).update(
            items_done=run.items_done,
            items_total=max(run.items_total, run.items_done),
            added=self.changes.added,
            updated=self.changes.updated,
        )
        if not locks.extend(LOCK_NAME, self.lock_token, ttl=LOCK_TTL):
            raise SyncAborted("the sync lost its lock to another run and stopped")
        now = time.monotonic()
        if items and now - self._last_log >= PROGRESS_LOG_SECONDS:
            self._last_log = now
            logger.info(
                "Plex %s sync: %d/%d items read, %d added, %d updated",
                run.kind,
                run.items_done,
                max(run.items_total, run.items_done),
                self.changes.added,
                self.changes.updated,
            )
        if self.progress is not None:
            run.added, run.updated = self.changes.added, self.changes.updated
            self.progress(run)

    def _count_everything(self, sections: list[tuple[Section, PlexSection]]) -> None:
        total = 0
        for plex_section, _row in sections:
            kinds = ["movie"] if plex_section.type == "movie" else ["show", "season", "episode"]
            total += sum(self.client.count(plex_section.key, kind) for kind in kinds)
        self.record.items_total = total
        SyncRun.objects.filter(pk=self.record.pk).update(items_total=total)
        logger.info("Full sync: %d items to read", total)

    # --- sections --------------------------------------------------------------------
    @staticmethod
    def _sections_holding(
        folder: str, sections: list[tuple[Section, PlexSection]]
    ) -> list[tuple[Section, PlexSection]]:
        key = section_for(to_plex_path(folder), [(s.key, s.locations) for s, _row in sections])
        return [(s, row) for s, row in sections if s.key == key]

    def _sync_sections(self) -> list[tuple[Section, PlexSection]]:
        found = self.client.sections()
        pairs = []
        for section in found:
            row, _ = PlexSection.objects.update_or_create(
                key=section.key,
                defaults={
                    "type": section.type,
                    "title": section.title,
                    "locations": section.locations,
                },
            )
            pairs.append((section, row))
        if self.full:
            gone = PlexSection.objects.exclude(key__in=[s.key for s in found])
            removed = LibraryItem.objects.filter(section__in=gone).count()
            if gone.exists():
                logger.info(
                    "Plex no longer has sections %s", list(gone.values_list("title", flat=True))
                )
                gone.delete()
                self.changes.removed += removed
        return pairs

    def _save_items(self, page: Page, section_id: int, known: dict[int, str]) -> None:
        rows = [item_row(data, section_id) for data in page.items]
        with transaction.atomic():
            created, changed = _upsert(LibraryItem, rows, known, ITEM_FIELDS)
        self.changes.added += len(created)
        self.changes.updated += len(changed)
        # A changed item matters as much as a new one: Plex reuses an id for a replaced file,
        # and "Fix Match" gives an existing item the ids a waiting request looks for.
        self.changes.item_ids.extend([*created, *changed])

    def _remove_missing(
        self,
        model: type[models.Model],
        scope: models.QuerySet,
        known: Iterable[int],
        seen: set[int],
    ) -> int:
        missing = [key for key in known if key not in seen]
        for start in range(0, len(missing), DELETE_CHUNK):
            with transaction.atomic():
                scope.filter(rating_key__in=missing[start : start + DELETE_CHUNK]).delete()
        if missing:
            logger.info("Removed %d %s rows Plex no longer has", len(missing), model.__name__)
        return len(missing)

    # --- full --------------------------------------------------------------------------
    def _full_section(self, plex_section: Section, row: PlexSection) -> None:
        items_scope = LibraryItem.objects.filter(section=row)
        known = dict(items_scope.values_list("rating_key", "content_hash"))
        stored_keys = list(known)
        seen: set[int] = set()
        main_type = "movie" if plex_section.type == "movie" else "show"
        for page in read_ahead(self.client.pages(plex_section.key, main_type)):
            self._save_items(page, row.pk, known)
            seen.update(data["rating_key"] for data in page.items)
            self._advance(len(page.items))

        if plex_section.type == "show":
            self._full_seasons_and_episodes(plex_section, row)
        # Only now, after every page of the section was read without an error.
        self.changes.removed += self._remove_missing(LibraryItem, items_scope, stored_keys, seen)
        PlexSection.objects.filter(pk=row.pk).update(last_full_sync_at=timezone.now())

    def _full_seasons_and_episodes(self, plex_section: Section, row: PlexSection) -> None:
        show_ids = dict(LibraryItem.objects.filter(section=row).values_list("rating_key", "id"))
        season_scope = Season.objects.filter(show__section=row)
        known_seasons = dict(season_scope.values_list("rating_key", "content_hash"))
        stored_seasons = list(known_seasons)
        seen_seasons: set[int] = set()
        for page in read_ahead(self.client.pages(plex_section.key, "season")):
            rows = [
                season_row(data, show_ids[data["parent_rating_key"]])
                for data in page.items
                if data["parent_rating_key"] in show_ids
            ]
            if len(rows) < len(page.items):
                raise PlexTemporaryError(
                    f"section {plex_section.title} changed while it was read (new shows)"
                )
            with transaction.atomic():
                _upsert(Season, rows, known_seasons, SEASON_FIELDS)
            seen_seasons.update(r["rating_key"] for r in rows)
            self._advance(len(page.items))

        season_ids = dict(season_scope.values_list("rating_key", "id"))
        episode_scope = Episode.objects.filter(show__section=row)
        known_episodes = dict(episode_scope.values_list("rating_key", "content_hash"))
        stored_episodes = list(known_episodes)
        seen_episodes: set[int] = set()
        for page in read_ahead(self.client.pages(plex_section.key, "episode")):
            rows = [
                episode_row(
                    data,
                    show_ids[data["grandparent_rating_key"]],
                    season_ids[data["parent_rating_key"]],
                )
                for data in page.items
                if data["grandparent_rating_key"] in show_ids
                and data["parent_rating_key"] in season_ids
            ]
            if len(rows) < len(page.items):
                raise PlexTemporaryError(
                    f"section {plex_section.title} changed while it was read (new seasons)"
                )
            with transaction.atomic():
                created, changed = _upsert(Episode, rows, known_episodes, EPISODE_FIELDS)
            self.changes.episode_ids.extend([*created, *changed])
            seen_episodes.update(r["rating_key"] for r in rows)
            self._advance(len(page.items))

        # Episodes and seasons are not counted as removed items: the count is of movies and shows.
        self._remove_missing(Episode, episode_scope, stored_episodes, seen_episodes)
        self._remove_missing(Season, season_scope, stored_seasons, seen_seasons)

    # --- incremental -------------------------------------------------------------------
    def _incremental_section(
        self, plex_section: Section, row: PlexSection, since: datetime
    ) -> None:
        epoch = int(since.timestamp())
        if plex_section.type == "movie":
            # updatedAt catches changes and nearly every addition; addedAt catches items
            # whose updatedAt Plex kept from an earlier life of the same file.
            for name in ("updatedAt", "addedAt"):
                for page in self.client.pages(plex_section.key, "movie", filters={name: epoch}):
                    known = _known(LibraryItem, (d["rating_key"] for d in page.items))
                    self._save_items(page, row.pk, known)
                    self._advance(len(page.items))
            return
        self._incremental_shows(plex_section, row, epoch)

    def _incremental_shows(self, plex_section: Section, row: PlexSection, epoch: int) -> None:
        to_refresh: set[int] = set()
        for page in self.client.pages(plex_section.key, "show", filters={"updatedAt": epoch}):
            known = _known(LibraryItem, (d["rating_key"] for d in page.items))
            before = dict(known)
            self._save_items(page, row.pk, known)
            to_refresh.update(k for k, h in known.items() if before.get(k) != h)
            self._advance(len(page.items))

        # A new episode leaves its show's addedAt (and often updatedAt) alone.
        new_episodes: list[dict[str, Any]] = []
        for page in self.client.pages(
            plex_section.key, "episode", filters={"addedAt": epoch}, sort="addedAt:desc"
        ):
            stored = _known(Episode, (d["rating_key"] for d in page.items))
            new_episodes.extend(d for d in page.items if d["rating_key"] not in stored)
            self._advance(len(page.items))
        to_refresh.update(d["grandparent_rating_key"] for d in new_episodes)
        to_refresh.discard(None)  # type: ignore[arg-type]

        show_ids = dict(
            LibraryItem.objects.filter(rating_key__in=to_refresh).values_list("rating_key", "id")
        )
        for show_key in sorted(to_refresh):
            self._advance(0)  # keeps the lock alive through many refreshed shows
            if show_key not in show_ids:
                data = self.client.metadata(show_key)
                if data is None:
                    continue
                self._save_items(Page(items=[data], start=0, total=1), row.pk, {})
                show_ids[show_key] = LibraryItem.objects.get(rating_key=show_key).pk
            seasons = self.client.children(show_key)
            rows = [season_row(d, show_ids[show_key]) for d in seasons if d["type"] == "season"]
            with transaction.atomic():
                _upsert(
                    Season, rows, _known(Season, (r["rating_key"] for r in rows)), SEASON_FIELDS
                )
                LibraryItem.objects.filter(pk=show_ids[show_key]).update(
                    leaf_count=sum(r["leaf_count"] or 0 for r in rows)
                )

        season_ids = dict(
            Season.objects.filter(
                rating_key__in={d["parent_rating_key"] for d in new_episodes}
            ).values_list("rating_key", "id")
        )
        rows = [
            episode_row(
                d, show_ids[d["grandparent_rating_key"]], season_ids[d["parent_rating_key"]]
            )
            for d in new_episodes
            if d["grandparent_rating_key"] in show_ids and d["parent_rating_key"] in season_ids
        ]
        with transaction.atomic():
            created, changed = _upsert(Episode, rows, {}, EPISODE_FIELDS)
        self.changes.episode_ids.extend([*created, *changed])


def sync_library(
    *,
    full: bool = False,
    client: PlexClient | None = None,
    progress: ProgressCallback | None = None,
    lock_owner: str | None = None,
) -> SyncRun:
    """Mirror Plex (incrementally, or fully with deletions) and return the run's record.

    A run that finds another one in progress is recorded as skipped. A failed run is
    recorded with its error, and the error (a `PlexError` saying whether it is
    temporary, or the database's when it went away) is raised again for the caller to
    retry or report. `lock_owner` (the task id) lets a retry take over its own lock.
    """
    try:
        with locks.single_flight(LOCK_NAME, ttl=LOCK_TTL, owner=lock_owner) as token:
            worker = _LibrarySync(
                client or PlexClient(), full=full, progress=progress, lock_token=token
            )
            return worker.run()
    except locks.LockHeld:
        now = timezone.now()
        logger.info("Another Plex library sync is running; this one is skipped")
        return SyncRun.objects.create(
            kind=SyncRun.Kind.FULL if full else SyncRun.Kind.INCREMENTAL,
            status=SyncRun.Status.SKIPPED,
            started_at=now,
            finished_at=now,
            error="another library sync was running",
        )


def refresh_folder(
    folder: str, *, client: PlexClient | None = None, lock_owner: str | None = None
) -> bool:
    """Read what Plex added or changed lately in the section holding `folder`; say if it shows.

    This is the quick look after Plex was asked to scan a folder: one section's recent
    changes, announced like any sync's (`media_changed`), and recorded as a `refresh` run
    that never stands in for the hourly sync. Another sync holding the lock skips it.
    """
    try:
        with locks.single_flight(LOCK_NAME, ttl=LOCK_TTL, owner=lock_owner) as token:
            _LibrarySync(
                client or PlexClient(), full=False, progress=None, lock_token=token, folder=folder
            ).run()
    except locks.LockHeld:
        logger.info("A Plex library sync is running; the refresh of %s waits for it", folder)
    return has_media_under(folder)


def cleanup_old_sync_runs(*, days: int = 30) -> int:
    """Delete finished sync records older than `days` days; return how many went."""
    cutoff = timezone.now() - timedelta(days=days)
    deleted, _ = SyncRun.objects.filter(started_at__lt=cutoff).delete()
    return deleted
