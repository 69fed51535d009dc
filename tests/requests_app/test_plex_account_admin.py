"""The Plex account admin: everything about the account but its token, not even encrypted."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from requests_app.models import PlexAccount, PlexAccountKind, WatchlistItem, WatchlistOutcome

pytestmark = pytest.mark.django_db

TOKEN = "plex-secret-token-9x8y7z"


@pytest.fixture
def account() -> PlexAccount:
    user = get_user_model().objects.create_user("bob")
    account = PlexAccount(
        user=user, plex_id=1002, username="bob", title="Bob", kind=PlexAccountKind.FRIEND
    )
    account.set_token(TOKEN)
    account.save()
    WatchlistItem.objects.create(
        account=account,
        rating_key="abc",
        title="The Matrix",
        media_type="movie",
        tmdb_id=603,
        outcome=WatchlistOutcome.REQUESTED,
    )
    return account


@pytest.fixture
def staff(client: Client) -> Client:
    admin = get_user_model().objects.create_superuser("root", password="pw-root-123")
    client.force_login(admin)
    return client


def test_the_account_pages_show_the_account_and_never_its_token(
    staff: Client, account: PlexAccount
) -> None:
    pages = [
        reverse("admin:requests_app_plexaccount_changelist"),
        reverse("admin:requests_app_plexaccount_change", args=[account.pk]),
        reverse("admin:requests_app_plexaccount_delete", args=[account.pk]),
        reverse("admin:requests_app_plexaccount_history", args=[account.pk]),
        reverse("admin:auth_user_change", args=[account.user_id]),
    ]
    for url in pages:
        page = staff.get(url)
        assert page.status_code == 200, url
        body = page.content.decode()
        assert TOKEN not in body and account.encrypted_token not in body, url
        assert "encrypted_token" not in body, url
    change = staff.get(pages[1]).content.decode()
    assert "Bob" in change and "The Matrix" in change and "Valid" in change


def test_searching_for_a_token_finds_nobody(staff: Client, account: PlexAccount) -> None:
    url = reverse("admin:requests_app_plexaccount_changelist")
    assert staff.get(url, {"q": TOKEN}).context["cl"].result_count == 0
    assert staff.get(url, {"q": "bob"}).context["cl"].result_count == 1


def test_saving_the_change_form_keeps_the_token(staff: Client, account: PlexAccount) -> None:
    url = reverse("admin:requests_app_plexaccount_change", args=[account.pk])
    form = {
        "user": account.user_id,
        "username": "bob",
        "title": "Bobby",
        "email": "",
        "thumb": "",
        "kind": PlexAccountKind.FRIEND,
        "watchlist_enabled": "on",
        "watchlist_shows": "first_season",
        "watchlist_error": "",
        "watchlist_items-TOTAL_FORMS": "1",
        "watchlist_items-INITIAL_FORMS": "1",
        "watchlist_items-MIN_NUM_FORMS": "0",
        "watchlist_items-MAX_NUM_FORMS": "1000",
        "watchlist_items-0-id": account.watchlist_items.get().pk,
        "watchlist_items-0-account": account.pk,
    }
    answer = staff.post(url, form)
    assert answer.status_code == 302, answer.content.decode()[:2000]
    saved = PlexAccount.objects.get()
    assert saved.title == "Bobby" and saved.watchlist_enabled
    assert saved.token() == TOKEN


def test_accounts_are_not_typed_in_by_hand(staff: Client) -> None:
    assert staff.get(reverse("admin:requests_app_plexaccount_add")).status_code == 403
