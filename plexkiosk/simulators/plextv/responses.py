"""plex.tv's and discover's answers, in the shapes they send: JSON, or XML when not asked.

Plain functions from the world's state to bodies; `server` chooses JSON or XML by the
request's `Accept`, as plex.tv does. Attribute names follow plex.tv's own answers and
what plexapi's classes read (`plexapi/myplex.py`, `plexapi/video.py`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from xml.sax.saxutils import quoteattr

from plexkiosk.simulators.plextv.world import (
    PlexTVState,
    SimAccount,
    SimHomeUser,
    SimPin,
    SimWatchItem,
)

DEFAULT_PAGE_SIZE = 20  # discover's page when the client gives no size

# Error bodies as plex.tv sends them.
UNAUTHORIZED = {"errors": [{"code": 1001, "message": "User could not be authenticated"}]}
PIN_NOT_FOUND = {"errors": [{"code": 1020, "message": "Code not found or expired", "status": 404}]}
NO_CLIENT_ID = {
    "errors": [{"code": 1000, "message": "X-Plex-Client-Identifier is missing", "status": 400}]
}
NOT_FOUND = {"errors": [{"code": 1002, "message": "Not found", "status": 404}]}


def attr(value: object) -> str:
    """Return a value as a quoted XML attribute (booleans as 1/0, as plex.tv writes them)."""
    if isinstance(value, bool):
        value = int(value)
    return quoteattr("" if value is None else str(value))


def element(tag: str, attrs: dict[str, Any], children: str = "") -> str:
    """Return one XML element with these attributes and children."""
    text = " ".join(f"{name}={attr(value)}" for name, value in attrs.items())
    return f"<{tag} {text}>{children}</{tag}>" if children else f"<{tag} {text}/>"


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def error_xml(payload: dict[str, Any]) -> str:
    """Return an error body as plex.tv writes it in XML."""
    first = payload["errors"][0]
    return f"<errors><error code={attr(first['code'])} message={attr(first['message'])}/></errors>"


# The root of metadata.provider.plex.tv, which plexapi's watchlist() opens as a "server".
DISCOVER_ROOT = element(
    "MediaContainer", {"friendlyName": "Plex Discover", "machineIdentifier": "discover", "size": 0}
)


# --- PINs ---------------------------------------------------------------------------------


def pin_json(pin: SimPin, base_url: str) -> dict[str, Any]:
    """Return a PIN as `POST /api/v2/pins` and `GET /api/v2/pins/{id}` answer it."""
    return {
        "id": pin.id,
        "code": pin.code,
        "product": pin.product,
        "trusted": False,
        "qr": f"{base_url}/api/v2/pins/qr/{pin.code}",
        "clientIdentifier": pin.client_id,
        "location": {"code": "FR", "country": "France", "city": "Paris"},
        "expiresIn": max(0, int((pin.expires_at - datetime.now(UTC)).total_seconds())),
        "createdAt": _iso(pin.created_at),
        "expiresAt": _iso(pin.expires_at),
        "authToken": pin.auth_token,
        "newRegistration": None,
    }


def pin_xml(pin: SimPin, base_url: str) -> str:
    """Return a PIN as XML (plexapi's MyPlexPinLogin reads `id`, `code`, `authToken`)."""
    attrs = {k: v for k, v in pin_json(pin, base_url).items() if not isinstance(v, dict)}
    attrs["authToken"] = pin.auth_token or ""
    return element("pin", attrs)


# --- accounts -----------------------------------------------------------------------------


def user_json(account: SimAccount, state: PlexTVState) -> dict[str, Any]:
    """Return an account as `GET /api/v2/user` answers it (the token's own account)."""
    home = state.home.get(account.id)
    in_home = home is not None and len(state.home) > 1
    return {
        "id": account.id,
        "uuid": account.uuid,
        "username": account.username,
        "title": account.title,
        "email": account.email,
        "friendlyName": account.title,
        "locale": None,
        "confirmed": True,
        "joinedAt": 1_600_000_000,
        "emailOnlyAuth": False,
        "hasPassword": True,
        "protected": bool(home and home.pin),
        "thumb": account.thumb,
        "authToken": account.token,
        "mailingListStatus": "unsubscribed",
        "mailingListActive": False,
        "scrobbleTypes": "",
        "country": "FR",
        "subscription": {
            "active": False,
            "subscribedAt": None,
            "status": "Inactive",
            "paymentService": None,
            "plan": None,
            "features": [],
        },
        "subscriptionDescription": None,
        "restricted": bool(home and home.managed),
        "anonymous": None,
        "home": in_home,
        "guest": False,
        "homeSize": len(state.home) if in_home else 1,
        "homeAdmin": bool(home and home.admin),
        "maxHomeSize": 15,
        "rememberExpiresAt": 1_900_000_000,
        "profile": {
            "autoSelectAudio": True,
            "defaultAudioLanguage": "en",
            "defaultSubtitleLanguage": "en",
            "autoSelectSubtitle": 0,
            "defaultSubtitleAccessibility": 0,
            "defaultSubtitleForced": 0,
        },
        "entitlements": [],
        "roles": [],
        "services": [],
        "adsConsent": None,
        "adsConsentSetAt": None,
        "adsConsentReminderAt": None,
        "experimentalFeatures": False,
        "twoFactorEnabled": False,
        "backupCodesCreated": False,
    }


def user_xml(body: dict[str, Any]) -> str:
    """Return `user_json`'s body as XML, with the children plexapi's MyPlexAccount reads."""
    scalars = {k: v for k, v in body.items() if not isinstance(v, dict | list) and v is not None}
    subscription = {k: v for k, v in body["subscription"].items() if v is not None}
    children = (
        element("subscription", {**subscription, "subscribedAt": ""})
        + element("profile", body["profile"])
        + "<entitlements/><roles/><services/>"
    )
    return element("user", scalars, children)


def resources_json(account: SimAccount, state: PlexTVState, host: str) -> list[dict[str, Any]]:
    """Return the account's devices: a web player, and the server when it may use it."""
    owned = account.id == state.owner_id
    shared = state.machine_identifier in state.shares.get(account.id, set())
    home = account.id in state.home
    resources: list[dict[str, Any]] = [
        {
            "name": "Plex Web (Chrome)",
            "product": "Plex Web",
            "productVersion": "4.0",
            "platform": "Chrome",
            "clientIdentifier": f"web-{account.id}",
            "provides": "client,player,pubsub-player",
            "owned": True,
            "accessToken": account.token,
            "connections": [],
        }
    ]
    if owned or shared or home:
        resources.append(
            {
                "name": state.server_name,
                "product": "Plex Media Server",
                "productVersion": "1.40.0.7998",
                "platform": "Linux",
                "clientIdentifier": state.machine_identifier,
                "provides": "server",
                "owned": owned,
                "ownerId": None if owned else state.owner_id,
                "home": home,
                "accessToken": f"server-{account.token}",
                "httpsRequired": False,
                "createdAt": "2024-01-01T00:00:00Z",
                "lastSeenAt": "2026-01-01T00:00:00Z",
                "connections": [
                    {
                        "protocol": "http",
                        "address": host,
                        "port": 32400,
                        "uri": f"http://{host}:32400",
                        "local": True,
                        "relay": False,
                        "IPv6": False,
                    }
                ],
            }
        )
    return resources


def resources_xml(resources: list[dict[str, Any]]) -> str:
    """Return `resources_json`'s list as XML (plexapi's MyPlexResource)."""
    elements = []
    for resource in resources:
        attrs = {k: v for k, v in resource.items() if k != "connections" and v is not None}
        connections = "".join(element("connection", c) for c in resource["connections"])
        elements.append(element("resource", attrs, f"<connections>{connections}</connections>"))
    return element("MediaContainer", {"size": len(elements)}, "".join(elements))


# --- the owner's household (XML only, as plex.tv serves it) --------------------------------


def _shared_user(person: SimAccount, servers: set[str], state: PlexTVState, home: bool) -> str:
    member = state.home.get(person.id)
    children = "".join(
        element(
            "Server",
            {
                "id": 9000 + n,
                "serverId": 9000 + n,
                "machineIdentifier": machine,
                "name": state.server_name if machine == state.machine_identifier else machine,
                "lastSeenAt": 1_700_000_000,
                "numLibraries": 2,
                "allLibraries": 1,
                "owned": 0,
                "pending": 0,
            },
        )
        for n, machine in enumerate(sorted(servers))
    )
    return element(
        "User",
        {
            "id": person.id,
            "title": person.title,
            "username": person.username,
            "email": person.email,
            "recommendationsPlaylistId": "",
            "thumb": person.thumb,
            "protected": 0,
            "home": home,
            "allowTuners": 0,
            "allowSync": 1,
            "allowCameraUpload": 0,
            "allowChannels": 0,
            "allowSubtitleAdmin": 0,
            "filterAll": "",
            "filterMovies": "",
            "filterMusic": "",
            "filterPhotos": "",
            "filterTelevision": "",
            "restricted": bool(member and member.managed),
        },
        children,
    )


def _container(state: PlexTVState, users: list[str], **extra: int) -> str:
    return element(
        "MediaContainer",
        {
            "friendlyName": "myPlex",
            "identifier": "com.plexapp.plugins.myplex",
            "machineIdentifier": state.machine_identifier,
            **extra,
            "size": len(users),
        },
        "".join(users),
    )


def users_xml(account: SimAccount, state: PlexTVState) -> str:
    """Return `GET /api/users`: whom the account shares a server with (Home members too)."""
    users = []
    if account.id == state.owner_id:
        for person in state.accounts.values():
            if person.id == account.id:
                continue
            servers = set(state.shares.get(person.id, set()))
            home = person.id in state.home
            if home:
                servers.add(state.machine_identifier)  # Home members see the owner's server
            if servers:
                users.append(_shared_user(person, servers, state, home))
    return _container(state, users, totalSize=len(users))


def home_users_xml(account: SimAccount, state: PlexTVState) -> str:
    """Return `GET /api/home/users`: the profiles of the account's Plex Home."""
    members = list(state.home.values()) if account.id in state.home else []
    users = []
    for member in members:
        person = state.accounts[member.account_id]
        users.append(
            element(
                "User",
                {
                    "id": person.id,
                    "uuid": person.uuid,
                    "admin": member.admin,
                    "guest": False,
                    "restricted": member.managed,
                    "restrictionProfile": "little_kid" if member.managed else "",
                    "hasPassword": not member.managed,
                    "protected": bool(member.pin),
                    "title": person.title,
                    "username": person.username,
                    "email": person.email,
                    "thumb": person.thumb,
                },
            )
        )
    return _container(state, users)


def switch_xml(person: SimAccount, member: SimHomeUser) -> str:
    """Return `POST /api/home/users/{id}/switch`: the profile, with its own token."""
    return element(
        "user",
        {
            "id": person.id,
            "uuid": person.uuid,
            "title": person.title,
            "username": person.username,
            "email": person.email,
            "thumb": person.thumb,
            "authenticationToken": person.token,
            "restricted": member.managed,
            "home": True,
            "homeAdmin": member.admin,
            "protected": bool(member.pin),
        },
    )


# --- watchlists ---------------------------------------------------------------------------


def watch_item_json(item: SimWatchItem, *, guids: bool) -> dict[str, Any]:
    """Return a watchlist title as discover lists it (with its Guid children if asked)."""
    body: dict[str, Any] = {
        "ratingKey": item.rating_key,
        "key": f"/library/metadata/{item.rating_key}",
        "guid": f"plex://{item.type}/{item.rating_key}",
        "type": item.type,
        "title": item.title,
        "year": item.year,
        "thumb": f"https://metadata-static.plex.tv/{item.rating_key}.jpg",
        "publicPagesURL": f"https://watch.plex.tv/{item.type}/{item.rating_key}",
    }
    if item.type == "show":
        body.update(childCount=item.seasons, leafCount=item.seasons * 8, viewedLeafCount=0)
    if guids:
        body["Guid"] = [{"id": guid} for guid in item.guids]
    return body


def items_xml(items: list[dict[str, Any]], container: dict[str, Any]) -> str:
    """Return titles as XML: movies as <Video>, shows as <Directory>, ids as <Guid>."""
    elements = []
    for item in items:
        tag = "Video" if item["type"] == "movie" else "Directory"
        attrs = {k: v for k, v in item.items() if k != "Guid" and v is not None}
        children = "".join(element("Guid", g) for g in item.get("Guid", []))
        elements.append(element(tag, attrs, children))
    return element("MediaContainer", container, "".join(elements))
