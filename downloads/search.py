"""Search every enabled indexer, rank what they answer, store it all, and name the one to grab.

`find_best_release` is what the request flow calls. It never grabs anything itself: it
returns the chosen candidate (or None, meaning "search again later") and keeps every
candidate with its score and reasons so admins and the API can show why.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from downloads import llm
from downloads.models import Blocklist, Indexer, QualityProfile, ReleaseCandidate, ReleaseSearch
from downloads.ranking import Ranking, rank_releases
from downloads.releases import MediaQuery
from downloads.torznab import (
    IndexerConfig,
    IndexerFailure,
    SearchResults,
    TorznabPermanentError,
    TorznabTemporaryError,
    search_indexers,
)

logger = logging.getLogger(__name__)


class NoIndexersConfigured(TorznabPermanentError):
    """No indexer is enabled: an admin has to add one."""


class IndexersUnavailable(TorznabTemporaryError):
    """Every indexer failed and at least one may answer later."""


class IndexersMisconfigured(TorznabPermanentError):
    """Every indexer failed in a way only an admin can fix (URL, key, not Torznab)."""


@dataclass
class SearchOutcome:
    """What one search found: the stored search, the chosen candidate (or None), the ranking."""

    search: ReleaseSearch
    chosen: ReleaseCandidate | None
    ranking: Ranking
    failures: list[IndexerFailure] = field(default_factory=list)

    @property
    def found(self) -> bool:
        """Say whether something acceptable was found."""
        return self.chosen is not None


def resolve_profile(profile: QualityProfile | str | None) -> QualityProfile:
    """Return the named (or given) profile, or the default one."""
    if isinstance(profile, QualityProfile):
        return profile
    if profile:
        return QualityProfile.objects.get(name=profile)
    return QualityProfile.get_default()


def find_best_release(
    query: MediaQuery,
    *,
    profile: QualityProfile | str | None = None,
    request_ref: str | int | None = None,
    indexers: Iterable[Indexer] | None = None,
) -> SearchOutcome:
    """Search, rank and store; return the outcome with the release to grab, or None.

    Raises `NoIndexersConfigured` when no indexer is enabled, `IndexersUnavailable`
    (temporary: retry with backoff) when every indexer failed and one may recover, and
    `IndexersMisconfigured` (permanent) when every indexer failed for good. The failed
    search is stored first, so admins see it.
    """
    started = time.monotonic()
    chosen_profile = resolve_profile(profile)
    rows = list(indexers if indexers is not None else Indexer.objects.filter(enabled=True))
    if not rows:
        raise NoIndexersConfigured("no enabled indexer: add one in admin (Downloads → Indexers)")
    results = search_indexers(query, [IndexerConfig.from_indexer(row) for row in rows])
    _remember_indexer_health(rows, results)

    ref = "" if request_ref is None else str(request_ref)
    ranking = rank_releases(
        query=query,
        releases=results.releases,
        profile=chosen_profile,
        blocked=Blocklist.objects.as_mapping(ref),
    )
    note = _apply_tiebreak(query, ranking)
    if not results.answered:
        status = ReleaseSearch.Status.UNAVAILABLE
    elif ranking.chosen is not None:
        status = ReleaseSearch.Status.FOUND
    else:
        status = ReleaseSearch.Status.NOTHING
    search, chosen = _store(query, chosen_profile, ref, ranking, results, status, note, started)

    if status == ReleaseSearch.Status.UNAVAILABLE:
        summary = "; ".join(f"{f.indexer}: {f.message}" for f in results.failures)
        if results.all_failed_temporarily:
            raise IndexersUnavailable(f"every indexer failed: {summary}")
        raise IndexersMisconfigured(f"every indexer failed: {summary}")
    logger.info(
        "Search %s for %s: %d releases, %s",
        search.pk,
        query.describe(),
        len(ranking.ranked),
        f"chose {chosen.title}" if chosen else "nothing acceptable",
    )
    return SearchOutcome(search=search, chosen=chosen, ranking=ranking, failures=results.failures)


def _apply_tiebreak(query: MediaQuery, ranking: Ranking) -> str:
    """Let the optional model re-order the top accepted candidates; return what it said."""
    if not llm.is_enabled():
        return ""
    regular = [r for r in ranking.ranked if r.accepted and not r.fallback]
    # Only a tie: the model may not trade the audio language the profile wants for a
    # better-looking release in another.
    language = regular[0].breakdown.get("language", 0) if regular else 0
    regular = [r for r in regular if r.breakdown.get("language", 0) == language]
    pick = llm.tiebreak(query, regular)
    if pick is None:
        return "AI tie-break unavailable; score order kept" if len(regular) > 1 else ""
    if pick.choice == 0:
        return f"AI tie-break kept the top score: {pick.reason}"
    moved = regular[pick.choice]
    ranking.ranked.remove(moved)
    ranking.ranked.insert(ranking.ranked.index(regular[0]), moved)
    return f"AI tie-break chose {moved.release.title}: {pick.reason}"


def _remember_indexer_health(rows: list[Indexer], results: SearchResults) -> None:
    now = timezone.now()
    failures = {f.indexer: f for f in results.failures}
    for row in rows:
        fields = []
        if row.pk in results.new_caps:
            row.caps, row.caps_fetched_at = results.new_caps[row.pk], now
            fields += ["caps", "caps_fetched_at"]
        if row.name in failures:
            row.last_error, row.last_error_at = failures[row.name].message[:2000], now
            fields += ["last_error", "last_error_at"]
        elif row.name in results.answered and row.last_error:
            row.last_error = ""
            fields.append("last_error")
        if fields:
            row.save(update_fields=fields)


def _store(
    query: MediaQuery,
    profile: QualityProfile,
    request_ref: str,
    ranking: Ranking,
    results: SearchResults,
    status: str,
    note: str,
    started: float,
) -> tuple[ReleaseSearch, ReleaseCandidate | None]:
    chosen_release = ranking.chosen
    with transaction.atomic():
        search = ReleaseSearch.objects.create(
            request_ref=request_ref,
            media_type=query.media_type,
            title=query.title[:300],
            year=query.year,
            season=query.season,
            imdb_id=query.imdb_id or "",
            tmdb_id=query.tmdb_id,
            tvdb_id=query.tvdb_id,
            aliases=list(query.aliases),
            original_language=query.original_language or "",
            countries=list(query.countries),
            profile=profile,
            profile_name=profile.name,
            status=status,
            indexer_errors=[f.as_dict() for f in results.failures],
            tiebreak_note=note,
            duration_ms=int((time.monotonic() - started) * 1000),
        )
        rows = [
            ReleaseCandidate(
                search=search,
                rank=rank,
                title=ranked.release.title[:500],
                indexer=ranked.release.indexer[:100],
                size=ranked.release.size,
                seeders=ranked.release.seeders,
                peers=ranked.release.peers,
                info_hash=ranked.release.info_hash or "",
                download_url=ranked.release.download_url or "",
                magnet_url=ranked.release.magnet_url or "",
                score=ranked.score,
                breakdown=ranked.breakdown,
                accepted=ranked.accepted,
                fallback=ranked.fallback,
                reasons=ranked.reasons,
                chosen=ranked is chosen_release,
            )
            for rank, ranked in enumerate(ranking.ranked, start=1)
        ]
        ReleaseCandidate.objects.bulk_create(rows)
    chosen = next((row for row in rows if row.chosen), None)
    return search, chosen


def blocklist_release(
    *,
    info_hash: str = "",
    title: str = "",
    request_ref: str | int | None = None,
    reason: str = "",
) -> Blocklist:
    """Never pick this release again: for one request, or for everyone when no reference."""
    if not (info_hash or title):
        raise ValueError("give an info hash or a title to blocklist")
    entry, _ = Blocklist.objects.get_or_create(
        info_hash=(info_hash or "").strip().lower(),
        title="" if info_hash else title,
        request_ref="" if request_ref is None else str(request_ref),
        defaults={"reason": reason[:300]},
    )
    return entry


def next_best_candidate(search: ReleaseSearch) -> ReleaseCandidate | None:
    """Return the best accepted candidate of a stored search that is not blocklisted now."""
    blocked = Blocklist.objects.as_mapping(search.request_ref)
    for candidate in search.candidates.filter(accepted=True).order_by("rank"):
        if candidate.info_hash and candidate.info_hash in blocked:
            continue
        if f"title:{candidate.title.lower()}" in blocked:
            continue
        return candidate
    return None


def prune_searches(*, older_than_days: int = 30, keep_request_refs: Iterable[str] = ()) -> int:
    """Delete stored searches (and their candidates) older than N days; return how many.

    Searches of the requests listed in `keep_request_refs` (those still in progress) stay,
    so their next-best candidates remain available.
    """
    cutoff = timezone.now() - timedelta(days=older_than_days)
    old = ReleaseSearch.objects.filter(created_at__lt=cutoff).exclude(
        request_ref__in=[str(ref) for ref in keep_request_refs]
    )
    deleted = old.count()
    old.delete()
    return deleted
