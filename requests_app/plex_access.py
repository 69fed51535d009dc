"""Who may enter with a Plex account, and the Django user a Plex sign-in becomes.

The configured Plex server decides: its owner, the friends the owner shares it with and
the owner's Plex Home users may enter; anyone else is refused and nothing is created.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser
from django.db import transaction
from django.utils.translation import gettext as _

from library import server_identity
from requests_app import household, plextv
from requests_app.models import PlexAccount, PlexAccountKind, Profile

logger = logging.getLogger(__name__)

OWNER, FRIEND = PlexAccountKind.OWNER, PlexAccountKind.FRIEND
HOME, MANAGED = PlexAccountKind.HOME, PlexAccountKind.MANAGED
REFUSED = "refused"
HOME_KINDS = (HOME, MANAGED)


class SignInRefused(Exception):
    """This Plex account may not sign in here; the message says why, for the person."""


class WrongPin(SignInRefused):
    """The Plex Home PIN typed for a profile was not the right one."""


@dataclass(frozen=True)
class Entry:
    """What a Plex account is to the configured server: owner, friend, home, managed or refused."""

    account: plextv.PlexUser
    kind: str

    @property
    def allowed(self) -> bool:
        return self.kind != REFUSED


@dataclass(frozen=True)
class HomeProfile:
    """A Plex Home user with an account here, as the profile picker shows it."""

    plex_id: int
    name: str
    thumb: str
    protected: bool


def no_access_message() -> str:
    return _("This Plex account has no access to this server.")


def server_machine_identifier() -> str | None:
    """Return the configured Plex server's machine identifier, or None when it cannot be told."""
    return server_identity.machine_identifier()


def _kind_of_home_user(user: plextv.HomeUser) -> str:
    # A managed user is a Home profile without a plex.tv login of its own.
    return MANAGED if user.restricted else HOME


def who_may_enter(token: str) -> Entry:
    """Decide whether the Plex account behind `token` may enter, and as what."""
    try:
        account = plextv.account(token)
    except plextv.PlexTVUnauthorized:
        raise SignInRefused(_("Plex did not accept this sign-in. Please try again.")) from None
    machine_id = server_machine_identifier()
    if not machine_id:
        raise SignInRefused(
            _("Plex sign-in needs the Plex server, which cannot be reached right now.")
        )
    owned = [server for server in plextv.servers(token) if server.owned]
    if any(server.client_identifier == machine_id for server in owned):
        return Entry(account=account, kind=OWNER)
    owner_token = settings.PLEX_TOKEN
    if owner_token:
        # Home first: plex.tv lists Home members among the shared users too.
        for member in plextv.home_users(owner_token):
            if member.id == account.id and not member.admin:
                return Entry(account=account, kind=_kind_of_home_user(member))
        for shared in plextv.shared_users(owner_token):
            if shared.id == account.id and machine_id in shared.server_ids:
                return Entry(account=account, kind=FRIEND)
    return Entry(account=account, kind=REFUSED)


def _new_user(plex_user: plextv.PlexUser, kind: str) -> AbstractUser:
    """Create a Django user named after the Plex account, with no password of its own."""
    return household.new_user(household.Candidate.of(plex_user, kind))


def sign_in(token: str, *, entry: Entry | None = None) -> AbstractUser:
    """Link or create the user, profile and Plex account for `token`, and return the user."""
    entry = entry if entry is not None else who_may_enter(token)
    if not entry.allowed:
        raise SignInRefused(no_access_message())
    plex_user = entry.account
    model = get_user_model()
    with transaction.atomic():
        account = (
            PlexAccount.objects.select_for_update()
            .select_related("user")
            .filter(plex_id=plex_user.id)
            .first()
        )
        if account is not None and not account.user.is_active:
            raise SignInRefused(
                _("This account is turned off here. Ask whoever runs this Plex Kiosk.")
            )
        user = account.user if account is not None else _new_user(plex_user, entry.kind)
        if account is None:
            account = PlexAccount(user=user, plex_id=plex_user.id)
        if entry.kind == OWNER and not model.objects.filter(is_superuser=True).exists():
            # The first admin of a fresh installation: only the server's owner, never a guest.
            user.is_staff = user.is_superuser = True
            logger.info("plex sign-in: %s owns the server and becomes the admin", user)
        if plex_user.email:
            user.email = plex_user.email
        user.save()
        account.uuid = plex_user.uuid
        account.username = plex_user.username
        account.title = plex_user.title
        account.email = plex_user.email
        account.thumb = plex_user.thumb
        account.kind = entry.kind
        account.set_token(token)
        account.save()
        Profile.objects.get_or_create(user=user)
    logger.info("plex sign-in: %s (%s)", user, entry.kind)
    return user


# Avatars go into a page's style attribute: only a plain https address, nothing to escape.
_PLAIN_URL = re.compile(r"https://[\w.-]+(?::\d+)?(?:/[\w./%?=&~+-]*)?")


def _avatar(*urls: str) -> str:
    return next((url for url in urls if url and _PLAIN_URL.fullmatch(url)), "")


def home_profiles() -> list[HomeProfile]:
    """List the owner's Plex Home users that have an account here, for the profile picker."""
    if not settings.PLEX_TOKEN:
        return []  # no owner's token, no Home to read
    members = {member.id: member for member in plextv.home_users(settings.PLEX_TOKEN)}
    accounts = PlexAccount.objects.filter(
        kind__in=HOME_KINDS, plex_id__in=members, user__is_active=True
    ).order_by("title", "username")
    return [
        HomeProfile(
            plex_id=account.plex_id,
            name=account.title or account.username or members[account.plex_id].title,
            thumb=_avatar(members[account.plex_id].thumb, account.thumb),
            protected=members[account.plex_id].protected,
        )
        for account in accounts
    ]


def home_profile(plex_id: int) -> HomeProfile | None:
    """Return the picker's profile with this Plex id, or None when it is not one of them."""
    return next((p for p in home_profiles() if p.plex_id == plex_id), None)


def username_of(plex_id: int) -> str | None:
    """Return the Django username linked to a Plex id (the login throttle counts by it)."""
    return (
        PlexAccount.objects.filter(plex_id=plex_id).values_list("user__username", flat=True).first()
    )


def sign_in_home_user(*, plex_id: int, pin: str | None) -> AbstractUser:
    """Switch to the Home user `plex_id` with the owner's token (and PIN), and sign them in."""
    if not settings.PLEX_TOKEN:
        raise SignInRefused(no_access_message())
    members = {member.id: member for member in plextv.home_users(settings.PLEX_TOKEN)}
    member = members.get(plex_id)
    known = PlexAccount.objects.filter(plex_id=plex_id, kind__in=HOME_KINDS).exists()
    if member is None or not known:
        raise SignInRefused(no_access_message())
    try:
        token = plextv.switch_home_user(settings.PLEX_TOKEN, member, pin=pin or None)
    except plextv.PlexTVUnauthorized:
        raise  # the owner's token itself was refused: not the person's fault
    except plextv.PlexTVPermanentError as exc:
        if exc.status not in (None, 401, 403):
            raise
        raise WrongPin(_("That PIN is not right. Please try again.")) from None
    return sign_in(token, entry=Entry(account=member, kind=_kind_of_home_user(member)))
