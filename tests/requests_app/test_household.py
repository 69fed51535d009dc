"""Importing the household from plex.tv: who is listed, the accounts made, the admin page."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import reverse
from pytest_django.fixtures import Settings as SettingsWrapper

from downloads.models import QualityProfile
from library import server_identity
from plexkiosk.simulators.plextv import OWNER_TOKEN, PLEX_SIM_MACHINE_ID, PlexTVSimulator
from requests_app import household, plex_access, plextv
from requests_app.models import PlexAccount, Profile
from tests.requests_app.plextv_helpers import plextv as plextv_sim  # noqa: F401

pytestmark = pytest.mark.django_db

User = get_user_model()
IMPORT_URL = "/admin/requests_app/plexaccount/import/"


@pytest.fixture
def sim(plextv_sim: PlexTVSimulator, settings: SettingsWrapper) -> PlexTVSimulator:  # noqa: F811
    """The seeded household (owner alice, friend bob, Home dana, managed Kids, stranger
    mallory), the owner's token as PLEX_TOKEN and the server's identity as a sync stored it."""
    settings.PLEX_TOKEN = OWNER_TOKEN
    server_identity.remember({"machine_identifier": PLEX_SIM_MACHINE_ID, "name": "Plex"})
    return plextv_sim


@pytest.fixture
def admin_client(db: None) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("root", password="pw-root-1234"))
    return client


def names(candidates: list[household.Candidate]) -> list[tuple[str, str, bool]]:
    return [(c.name, c.kind, c.imported) for c in candidates]


def test_the_household_is_the_home_users_and_the_friends_sharing_this_server(
    sim: PlexTVSimulator,
) -> None:
    people = household.plex_household()
    # Not alice (the owner herself), not mallory (shares nothing with her).
    assert names(people) == [
        ("dana", "home", False),
        ("Kids", "managed", False),
        ("bob", "friend", False),
    ]
    kids = next(c for c in people if c.kind == "managed")
    assert kids.email == "" and kids.username == ""  # managed users have no plex.tv login


def test_a_friend_sharing_only_another_server_is_not_listed(sim: PlexTVSimulator) -> None:
    sim.unshare(1002)
    sim.share(1002, "someone-elses-server")
    assert "bob" not in [c.name for c in household.plex_household()]


def test_import_makes_members_without_passwords_or_tokens_with_the_defaults(
    sim: PlexTVSimulator,
) -> None:
    profile = QualityProfile.objects.create(name="French audio")
    result = household.import_members(
        household.plex_household(),
        auto_approve=True,
        movie_quota=3,
        season_quota=2,
        quality_profile=profile,
        watchlist_enabled=True,
    )
    assert sorted(a.user.username for a in result.created) == ["Kids", "bob", "dana"]
    for account in PlexAccount.objects.select_related("user"):
        assert not account.user.has_usable_password()
        assert not account.user.is_staff
        assert account.encrypted_token == "" and account.token_state == "none"
        assert account.watchlist_enabled
        mine = Profile.objects.get(user=account.user)
        assert (mine.auto_approve, mine.movie_quota, mine.season_quota) == (True, 3, 2)
        assert mine.quality_profile == profile
    kids = PlexAccount.objects.get(plex_id=1005)
    assert (kids.kind, kids.title, kids.email, kids.user.email) == ("managed", "Kids", "", "")
    assert kids.user.first_name == "Kids"
    bob = PlexAccount.objects.get(plex_id=1002)
    assert (bob.kind, bob.username, bob.email) == ("friend", "bob", "bob@example.com")


def test_importing_twice_creates_nothing_more_and_marks_them_imported(
    sim: PlexTVSimulator,
) -> None:
    household.import_members(household.plex_household())
    again = household.plex_household()
    assert all(c.imported for c in again)
    result = household.import_members(again)
    assert result.created == [] and len(result.already_here) == 3
    assert User.objects.count() == 3 and PlexAccount.objects.count() == 3


def test_a_username_already_taken_gets_a_number_whatever_its_case(sim: PlexTVSimulator) -> None:
    User.objects.create_user("Bob", password="pw-bob-local")
    User.objects.create_user("bob-2", password="pw-bob-local")
    household.import_members([c for c in household.plex_household() if c.name == "bob"])
    assert PlexAccount.objects.get(plex_id=1002).user.username == "bob-3"
    # The local Bob keeps his password and gets no Plex account.
    assert User.objects.get(username="Bob").check_password("pw-bob-local")


def test_a_name_with_spaces_and_emoji_becomes_a_usable_username() -> None:
    candidate = household.Candidate(
        plex_id=7, uuid="", username="", title="Zoé 🎬 la grande", email="", thumb="",
        kind="managed", imported=False,
    )  # fmt: skip
    assert household.username_base(candidate) == "Zoé-la-grande"


def test_plex_tv_down_lists_nobody_and_raises_a_temporary_error(sim: PlexTVSimulator) -> None:
    sim.down = True
    with pytest.raises(plextv.PlexTVTemporaryError):
        household.plex_household()


# --- the admin page ------------------------------------------------------------------------


def test_the_plex_account_list_links_to_the_import_page(admin_client: Client) -> None:
    page = admin_client.get(reverse("admin:requests_app_plexaccount_changelist"))
    assert page.status_code == 200
    assert f'href="{IMPORT_URL}"' in page.content.decode()
    assert "Import from Plex" in page.content.decode()


def test_the_import_page_lists_the_household_with_checkboxes(
    sim: PlexTVSimulator, admin_client: Client
) -> None:
    household.import_members([c for c in household.plex_household() if c.name == "dana"])
    page = admin_client.get(IMPORT_URL)
    text = page.content.decode()
    assert page.status_code == 200
    assert 'name="members" value="1002"' in text  # bob
    assert 'name="members" value="1005"' in text  # Kids, managed
    assert 'name="members" value="1004"' not in text  # dana is here already
    assert "already here" in text
    assert "mallory" not in text
    assert 'name="movie_quota"' in text and 'name="watchlist_enabled"' in text
    # Each help text is where its field's aria-describedby points.
    assert 'aria-describedby="id_movie_quota_helptext"' in text
    assert 'id="id_movie_quota_helptext"' in text


def test_ticking_people_imports_them_with_the_defaults_chosen(
    sim: PlexTVSimulator, admin_client: Client
) -> None:
    response = admin_client.post(
        IMPORT_URL,
        {"members": ["1002", "1005"], "auto_approve": "on", "season_quota": "4"},
        follow=True,
    )
    assert "Imported 2 people: Kids, bob." in response.content.decode()
    assert sorted(PlexAccount.objects.values_list("plex_id", flat=True)) == [1002, 1005]
    bob = Profile.objects.get(user__username="bob")
    assert (bob.auto_approve, bob.movie_quota, bob.season_quota) == (True, None, 4)
    assert not PlexAccount.objects.get(plex_id=1002).watchlist_enabled


def test_someone_plex_tv_does_not_list_cannot_be_imported_by_a_forged_post(
    sim: PlexTVSimulator, admin_client: Client
) -> None:
    response = admin_client.post(IMPORT_URL, {"members": ["1003"]})  # mallory
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not PlexAccount.objects.exists() and User.objects.count() == 1


def test_plex_tv_down_on_import_says_so_and_creates_nothing(
    sim: PlexTVSimulator, admin_client: Client
) -> None:
    sim.down = True
    response = admin_client.post(IMPORT_URL, {"members": ["1002"]}, follow=True)
    text = response.content.decode()
    assert response.redirect_chain[-1][0] == reverse("admin:requests_app_plexaccount_changelist")
    assert "Plex is not answering, so nobody was imported" in text
    assert OWNER_TOKEN not in text
    assert not PlexAccount.objects.exists() and User.objects.count() == 1


def test_staff_who_may_not_add_users_cannot_import(sim: PlexTVSimulator) -> None:
    clerk = User.objects.create_user("clerk", password="pw-clerk-123", is_staff=True)
    clerk.user_permissions.add(Permission.objects.get(codename="view_plexaccount"))
    client = Client()
    client.force_login(clerk)
    assert client.get(IMPORT_URL).status_code == 403
    assert client.post(IMPORT_URL, {"members": ["1002"]}).status_code == 403
    assert not PlexAccount.objects.exists()


def test_the_import_page_needs_a_staff_login(sim: PlexTVSimulator) -> None:
    response = Client().get(IMPORT_URL)
    assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_an_imported_friend_signing_in_with_plex_is_the_member_made_for_them(
    sim: PlexTVSimulator,
) -> None:
    household.import_members(
        [c for c in household.plex_household() if c.name == "bob"], movie_quota=2
    )
    user = plex_access.sign_in("sim-bob-token")
    account = PlexAccount.objects.get(plex_id=1002)
    assert user == account.user and User.objects.count() == 1
    assert (account.kind, account.token_state) == ("friend", "valid")
    assert Profile.objects.get(user=user).movie_quota == 2  # the import's defaults stand
