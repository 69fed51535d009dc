"""The household on plex.tv: who shares this server, and giving each of them an account here.

The server owner's friends who share this Plex server and the owner's Plex Home users
become kiosk members in one go. Nobody's Plex token is stored here: an imported member
has none until they sign in with Plex themselves.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass, field

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from core.errors import ServiceError
from downloads.models import QualityProfile
from library import server_identity
from requests_app import plextv
from requests_app.models import PlexAccount, PlexAccountKind, Profile

logger = logging.getLogger(__name__)

# Django's own username rule (letters, digits and @.+-_), and its column's length.
_NOT_IN_USERNAME = re.compile(r"[^\w.@+-]+")
USERNAME_MAX = 150


@dataclass(frozen=True)
class Candidate:
    """One person of the household as plex.tv lists them, and whether they are here yet."""

    plex_id: int
    uuid: str
    username: str
    title: str
    email: str
    thumb: str
    kind: str  # "friend", "home" or "managed" (a Home user without a plex.tv login)
    imported: bool

    @classmethod
    def of(cls, user: plextv.PlexUser, kind: str, *, imported: bool = False) -> Candidate:
        """Describe a plex.tv user as the household list shows them."""
        return cls(
            plex_id=user.id,
            uuid=user.uuid,
            username=user.username,
            title=user.title,
            email=user.email,
            thumb=user.thumb,
            kind=kind,
            imported=imported,
        )

    @property
    def name(self) -> str:
        return self.title or self.username or str(self.plex_id)


@dataclass(frozen=True)
class ImportResult:
    created: list[PlexAccount] = field(default_factory=list)
    already_here: list[Candidate] = field(default_factory=list)


class ServerUnknown(ServiceError):
    """The Plex server's machine identifier is not known, so nobody can be said to share it."""

    service = "Plex"


def machine_identifier() -> str:
    """Return the configured Plex server's machine identifier (who may share it is by it)."""
    found = server_identity.machine_identifier()
    if not found:
        raise ServerUnknown(
            _(
                "The Plex server is not known yet: check PLEX_URL and PLEX_TOKEN, "
                "and that it answers."
            )
        )
    return found


def plex_household() -> list[Candidate]:
    """List the friends who share this server and the owner's Home users, Home users first.

    Raises the plex.tv (or Plex) error when either cannot be read: a half list would
    look like people had left.
    """
    owner_token = settings.PLEX_TOKEN
    server_id = machine_identifier()
    home = plextv.home_users(owner_token)
    friends = plextv.shared_users(owner_token)
    found: dict[int, tuple[plextv.PlexUser, str]] = {}
    for user in home:
        if user.admin:  # the owner: they sign in as the server's owner, not imported
            continue
        # A managed user is a restricted Home profile without a plex.tv login (no e-mail);
        # the same rule as the sign-in's, so signing in later keeps the kind.
        kind = PlexAccountKind.MANAGED if user.restricted else PlexAccountKind.HOME
        found[user.id] = (user, kind)
    for user in friends:
        if user.id in found or server_id not in user.server_ids:
            continue
        found[user.id] = (user, PlexAccountKind.FRIEND)
    imported = set(PlexAccount.objects.filter(plex_id__in=found).values_list("plex_id", flat=True))
    order = {PlexAccountKind.HOME: 0, PlexAccountKind.MANAGED: 1, PlexAccountKind.FRIEND: 2}
    people = [
        Candidate.of(user, kind, imported=user.id in imported) for user, kind in found.values()
    ]
    return sorted(people, key=lambda c: (order[c.kind], c.name.casefold()))


def import_members(
    candidates: list[Candidate],
    *,
    auto_approve: bool = False,
    movie_quota: int | None = None,
    season_quota: int | None = None,
    quality_profile: QualityProfile | None = None,
    watchlist_enabled: bool = False,
) -> ImportResult:
    """Give each candidate a member account with these defaults; skip those already here.

    Running it twice creates nothing more: a Plex account is here once (by its plex.tv id).
    """
    result = ImportResult()
    for candidate in candidates:
        if PlexAccount.objects.filter(plex_id=candidate.plex_id).exists():
            result.already_here.append(candidate)
            continue
        try:
            with transaction.atomic():
                user = new_user(candidate)
                Profile.objects.update_or_create(
                    user=user,
                    defaults={
                        "auto_approve": auto_approve,
                        "movie_quota": movie_quota,
                        "season_quota": season_quota,
                        "quality_profile": quality_profile,
                    },
                )
                account = PlexAccount.objects.create(
                    user=user,
                    plex_id=candidate.plex_id,
                    uuid=candidate.uuid,
                    username=candidate.username,
                    title=candidate.title,
                    email=candidate.email,
                    thumb=_fits(PlexAccount, "thumb", candidate.thumb),
                    kind=candidate.kind,
                    watchlist_enabled=watchlist_enabled,
                )
        except IntegrityError:
            # Imported at the same moment by another admin, or they just signed in.
            if not PlexAccount.objects.filter(plex_id=candidate.plex_id).exists():
                raise
            result.already_here.append(candidate)
            continue
        logger.info("imported Plex user %s as %s", candidate.plex_id, user.get_username())
        result.created.append(account)
    return result


def username_base(candidate: Candidate) -> str:
    """Return the username a Plex user would get here, before any de-duplication."""
    raw = candidate.username or candidate.title or f"plex-{candidate.plex_id}"
    # "Zoé" stays "Zoé" (Django allows letters), but spaces and emoji go.
    text = unicodedata.normalize("NFKC", raw).strip()
    text = _NOT_IN_USERNAME.sub("-", text).strip("-.")
    return (text or f"plex-{candidate.plex_id}")[: USERNAME_MAX - 4]


def new_user(candidate: Candidate) -> AbstractBaseUser:
    """Create the member's user with an unusable password, under a username no one has.

    Both doors use it, the import and a first sign-in with Plex (`plex_access`), so a
    friend who signs in before being imported is named as the import would have named them.
    """
    model = get_user_model()
    base = username_base(candidate)
    for n in range(1, 1000):
        name = base if n == 1 else f"{base}-{n}"
        # Case-insensitive: "Ana" and "ana" side by side would confuse the people, and
        # the login form.
        if model.objects.filter(username__iexact=name).exists():
            continue
        try:
            with transaction.atomic():
                user = model(username=name, email=candidate.email, first_name=candidate.title[:150])
                user.set_unusable_password()
                user.save()
                return user
        except IntegrityError:
            continue  # taken between the look and the insert
    raise IntegrityError(f"no free username for Plex user {candidate.plex_id}")


def _fits(model: type, name: str, value: str) -> str:
    """Return `value`, or "" when it is longer than the column (an avatar is not worth failing)."""
    limit = model._meta.get_field(name).max_length
    return value if limit is None or len(value) <= limit else ""
