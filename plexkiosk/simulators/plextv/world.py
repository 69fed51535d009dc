"""The simulated plex.tv's world: accounts, shares, the owner's Home, PINs, watchlists.

`PlexTVWorld` holds it and is what tests drive (add, share, approve, expire, revoke, fail);
the HTTP server (`server.PlexTVSimulator`) is a PlexTVWorld that also serves it.
"""

from __future__ import annotations

import hashlib
import secrets
import string
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

# The Plex Media Server simulator's machine identifier (plexkiosk/simulators/plex.py), so
# the two simulators describe one household's server.
PLEX_SIM_MACHINE_ID = "plexkiosk-simulator-0001"
OWNER_TOKEN = "sim-owner-token"  # noqa: S105 - the simulator's own made-up token
STRONG_PIN_SECONDS = 30 * 60  # plex.tv: strong PINs live 30 minutes
SHORT_PIN_SECONDS = 15 * 60  # and the short codes for plex.tv/link 15
# plex.tv's short codes avoid letters that read like digits.
SHORT_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
MAX_PAGE_SIZE = 300  # discover's largest page


@dataclass
class SimAccount:
    """A plex.tv account, or a managed Home user (no username, no e-mail)."""

    id: int
    uuid: str
    username: str
    email: str
    token: str
    title: str = ""
    thumb: str = ""

    def __post_init__(self) -> None:
        self.title = self.title or self.username
        self.thumb = self.thumb or f"https://plex.tv/users/{self.uuid}/avatar?c=1"


@dataclass
class SimHomeUser:
    """One profile of the owner's Plex Home: a member account or a managed user."""

    account_id: int
    managed: bool = False
    pin: str | None = None  # the Home PIN; switching needs it when set
    admin: bool = False


@dataclass
class SimPin:
    """A sign-in PIN: its code is typed at /link (short) or sent to the auth app (strong)."""

    id: int
    code: str
    strong: bool
    client_id: str
    product: str
    created_at: datetime
    expires_at: datetime
    auth_token: str | None = None


@dataclass
class SimWatchItem:
    """A title on a watchlist; `inline_guids=False` leaves its Guid children to metadata."""

    rating_key: str
    title: str
    type: str  # movie | show
    year: int | None
    guids: tuple[str, ...]
    inline_guids: bool = True
    seasons: int = 1  # shows only


@dataclass
class Override:
    """A canned answer for the next `times` requests under `prefix`."""

    prefix: str
    status: int
    body: bytes
    content_type: str
    times: int


def watch_item(
    tmdb_id: int | None,
    title: str,
    kind: str = "movie",
    year: int | None = None,
    *,
    imdb: str | None = None,
    tvdb: int | None = None,
    inline_guids: bool = True,
    seasons: int = 1,
) -> SimWatchItem:
    """Make a watchlist item with discover-like ids (a 24-hex ratingKey from the title)."""
    guids = tuple(
        g
        for g in (
            f"imdb://{imdb}" if imdb else None,
            f"tmdb://{tmdb_id}" if tmdb_id else None,
            f"tvdb://{tvdb}" if tvdb else None,
        )
        if g
    )
    rating_key = hashlib.sha1(f"{kind}:{title}:{year}".encode()).hexdigest()[:24]  # noqa: S324
    return SimWatchItem(rating_key, title, kind, year, guids, inline_guids, seasons)


@dataclass
class PlexTVState:
    """Everything the simulator knows; tests read and change it (under `lock`)."""

    machine_identifier: str = PLEX_SIM_MACHINE_ID
    server_name: str = "Plex Simulator"
    owner_id: int = 0
    accounts: dict[int, SimAccount] = field(default_factory=dict)
    shares: dict[int, set[str]] = field(default_factory=dict)  # friend id -> server ids
    home: dict[int, SimHomeUser] = field(default_factory=dict)  # the owner's Home
    pins: dict[int, SimPin] = field(default_factory=dict)
    watchlists: dict[int, list[SimWatchItem]] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    lock: threading.RLock = field(default_factory=threading.RLock)


class PlexTVWorld:
    """The simulated plex.tv's state and the controls tests use on it."""

    def __init__(self, *, seed: bool = True, owner_token: str = OWNER_TOKEN) -> None:
        self.state = PlexTVState()
        self.down = False  # every API answer becomes 503
        self.delay = 0.0  # seconds each API answer waits first
        self.page_size_limit = MAX_PAGE_SIZE
        self.requests: list[dict[str, Any]] = []  # method, path, query, headers
        self._overrides: list[Override] = []
        self._next_pin = 1000
        if seed:
            self.seed(owner_token=owner_token)

    # --- the world ---------------------------------------------------------------------

    def add_account(
        self, account_id: int, username: str, email: str = "", *, token: str | None = None
    ) -> SimAccount:
        """Add a plex.tv account (empty username and e-mail: a managed Home user)."""
        account = SimAccount(
            id=account_id,
            uuid=hashlib.md5(str(account_id).encode()).hexdigest()[:16],  # noqa: S324
            username=username,
            email=email,
            token=token or f"sim-token-{account_id}-{secrets.token_hex(6)}",
        )
        with self.state.lock:
            self.state.accounts[account_id] = account
        return account

    def share(self, account_id: int, *server_ids: str) -> None:
        """Share the owner's server (or the given server ids) with this account."""
        with self.state.lock:
            self.state.shares.setdefault(account_id, set()).update(
                server_ids or {self.state.machine_identifier}
            )

    def unshare(self, account_id: int) -> None:
        """Stop sharing any server with this account."""
        with self.state.lock:
            self.state.shares.pop(account_id, None)

    def add_home_user(
        self, account: SimAccount, *, managed: bool = False, pin: str | None = None
    ) -> None:
        """Put an account in the owner's Plex Home (managed: a profile with no e-mail)."""
        with self.state.lock:
            self.state.home[account.id] = SimHomeUser(account.id, managed=managed, pin=pin)

    def set_watchlist(self, account_id: int, items: list[SimWatchItem]) -> None:
        """Replace an account's watchlist (its ETag changes when its content does)."""
        with self.state.lock:
            self.state.watchlists[account_id] = list(items)

    def add_to_watchlist(self, account_id: int, item: SimWatchItem) -> None:
        """Add one title at the front, where plex.tv puts the newest."""
        with self.state.lock:
            self.state.watchlists.setdefault(account_id, []).insert(0, item)

    def account(self, name_or_id: str | int) -> SimAccount:
        """Return the account with this id, username or title."""
        with self.state.lock:
            for account in self.state.accounts.values():
                if name_or_id in (account.id, account.username, account.title):
                    return account
        raise KeyError(name_or_id)

    @property
    def owner(self) -> SimAccount:
        return self.state.accounts[self.state.owner_id]

    def seed(self, *, owner_token: str = OWNER_TOKEN) -> None:
        """Make the demo household: an owner, a friend, a stranger, two Home profiles."""
        # The owner's token is also the server's PLEX_TOKEN in the demo, as at home.
        owner = self.add_account(1001, "alice", "alice@example.com", token=owner_token)
        owner.title = "Alice"
        self.state.owner_id = owner.id
        self.state.home[owner.id] = SimHomeUser(owner.id, admin=True)
        bob = self.add_account(1002, "bob", "bob@example.com", token="sim-bob-token")  # noqa: S106
        self.share(bob.id)
        self.add_account(1003, "mallory", "mallory@example.com", token="sim-mallory-token")  # noqa: S106
        dana = self.add_account(1004, "dana", "dana@example.com", token="sim-dana-token")  # noqa: S106
        self.add_home_user(dana)
        kid = self.add_account(1005, "", "", token="sim-kid-token")  # noqa: S106
        kid.title = "Kids"
        self.add_home_user(kid, managed=True, pin="1234")
        self.set_watchlist(
            owner.id,
            [
                watch_item(603, "The Matrix", "movie", 1999, imdb="tt0133093"),
                watch_item(
                    1396, "Breaking Bad", "show", 2008, imdb="tt0903747", tvdb=81189, seasons=5
                ),
                # Discover sometimes lists an item without its ids: metadata has them.
                watch_item(438631, "Dune", "movie", 2021, imdb="tt1160419", inline_guids=False),
                # A title TMDB does not know (only an IMDb id).
                watch_item(None, "A Home Movie", "movie", 2020, imdb="tt9999999"),
            ],
        )
        self.set_watchlist(bob.id, [watch_item(27205, "Inception", "movie", 2010)])

    # --- controls ----------------------------------------------------------------------

    def approve(self, pin: int | str, account: SimAccount | str | int) -> SimPin:
        """Approve a PIN (its id, or its code) as this account, as the auth app does."""
        chosen = account if isinstance(account, SimAccount) else self.account(account)
        with self.state.lock:
            found = self.find_pin(pin)
            if found is None:
                raise KeyError(pin)
            found.auth_token = chosen.token
            return found

    def find_pin(self, pin: int | str) -> SimPin | None:
        """Return a live PIN by id or code (codes compared without case), or None."""
        now = datetime.now(UTC)
        with self.state.lock:
            for candidate in self.state.pins.values():
                match = candidate.id == pin or (
                    isinstance(pin, str) and candidate.code.upper() == pin.strip().upper()
                )
                if match and candidate.expires_at > now:
                    return candidate
        return None

    def expire(self, pin_id: int) -> None:
        """Make a PIN expire now (plex.tv then forgets it: 404)."""
        with self.state.lock:
            self.state.pins[pin_id].expires_at = datetime.now(UTC) - timedelta(seconds=1)

    def revoke(self, token: str) -> None:
        """Revoke a token: every call made with it is answered 401 from now on."""
        with self.state.lock:
            self.state.revoked.add(token)

    def override(
        self,
        prefix: str,
        status: int = 200,
        body: bytes | str = b"<html>Bad gateway</html>",
        content_type: str = "text/html",
        times: int = 1,
    ) -> None:
        """Answer the next `times` requests under `prefix` with this (hostile answers)."""
        data = body.encode() if isinstance(body, str) else body
        with self.state.lock:
            self._overrides.append(Override(prefix, status, data, content_type, times))

    def take_override(self, path: str) -> Override | None:
        """Take the canned answer planned for a request to this path, if any."""
        with self.state.lock:
            for override in self._overrides:
                if path.startswith(override.prefix):
                    override.times -= 1
                    if override.times <= 0:
                        self._overrides.remove(override)
                    return override
        return None

    def count(self, prefix: str) -> int:
        """Count the recorded requests whose path starts with `prefix`."""
        with self.state.lock:
            return sum(1 for r in self.requests if r["path"].startswith(prefix))

    def new_pin(self, *, strong: bool, client_id: str, product: str) -> SimPin:
        """Make a PIN as `POST /api/v2/pins` does: a long code, or four characters."""
        now = datetime.now(UTC)
        with self.state.lock:
            self._next_pin += 1
            if strong:
                code = "".join(
                    secrets.choice(string.ascii_lowercase + string.digits) for _ in range(25)
                )
            else:
                code = "".join(secrets.choice(SHORT_CODE_ALPHABET) for _ in range(4))
            lifetime = STRONG_PIN_SECONDS if strong else SHORT_PIN_SECONDS
            pin = SimPin(
                id=self._next_pin,
                code=code,
                strong=strong,
                client_id=client_id,
                product=product,
                created_at=now,
                expires_at=now + timedelta(seconds=lifetime),
            )
            self.state.pins[pin.id] = pin
            return pin

    def account_for(self, token: str | None) -> SimAccount | None:
        """Return the account a (not revoked) token belongs to."""
        if not token:
            return None
        with self.state.lock:
            if token in self.state.revoked:
                return None
            for account in self.state.accounts.values():
                if account.token == token:
                    return account
        return None

    def watchlist_etag(self, account_id: int) -> str:
        """Return the ETag of an account's watchlist: stable until its content changes."""
        with self.state.lock:
            items = self.state.watchlists.get(account_id, [])
            digest = hashlib.sha256(repr([vars(i) for i in items]).encode()).hexdigest()
        return f'W/"{digest[:32]}"'
