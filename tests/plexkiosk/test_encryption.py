"""Plex tokens at rest: encrypted with a key from PLEX_TOKEN_KEY or SECRET_KEY."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from pytest_django.fixtures import Settings as SettingsWrapper

from core import encryption
from requests_app.models import PlexAccount, PlexAccountKind, TokenState

TOKEN = "plex-token-AbC123xyz"


def test_a_secret_comes_back_from_its_ciphertext_which_does_not_show_it() -> None:
    ciphertext = encryption.encrypt(TOKEN)
    assert TOKEN not in ciphertext
    assert encryption.decrypt(ciphertext) == TOKEN
    assert encryption.encrypt(TOKEN) != ciphertext  # a fresh IV each time


def test_changing_secret_key_makes_old_ciphertexts_unreadable(settings: SettingsWrapper) -> None:
    ciphertext = encryption.encrypt(TOKEN)
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    with pytest.raises(encryption.CannotDecrypt):
        encryption.decrypt(ciphertext)


def test_the_old_secret_key_in_fallbacks_still_reads_old_ciphertexts(
    settings: SettingsWrapper,
) -> None:
    old_key = settings.SECRET_KEY
    ciphertext = encryption.encrypt(TOKEN)
    settings.SECRET_KEY = "the-rotated-secret-key-0123456789abcdef"
    settings.SECRET_KEY_FALLBACKS = [old_key]
    assert encryption.decrypt(ciphertext) == TOKEN


def test_plex_token_key_survives_a_secret_key_change_and_reads_older_tokens(
    settings: SettingsWrapper,
) -> None:
    before = encryption.encrypt(TOKEN)  # made from SECRET_KEY, before the setting existed
    settings.PLEX_TOKEN_KEY = "a-dedicated-plex-token-key-0123456789abcdef"
    assert encryption.decrypt(before) == TOKEN
    ciphertext = encryption.encrypt(TOKEN)
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    assert encryption.decrypt(ciphertext) == TOKEN


@pytest.mark.parametrize("forged", ["", "not-a-ciphertext", "gAAAAAB" + "x" * 80, "é"])
def test_forged_or_damaged_text_cannot_be_decrypted(forged: str) -> None:
    with pytest.raises(encryption.CannotDecrypt) as caught:
        encryption.decrypt(forged)
    assert forged not in str(caught.value) or not forged


def test_a_tampered_ciphertext_cannot_be_decrypted() -> None:
    ciphertext = encryption.encrypt(TOKEN)
    flipped = ciphertext[:-5] + ("A" if ciphertext[-5] != "A" else "B") + ciphertext[-4:]
    with pytest.raises(encryption.CannotDecrypt):
        encryption.decrypt(flipped)


@pytest.mark.django_db
def test_an_account_keeps_its_token_encrypted_and_gives_it_back() -> None:
    user = get_user_model().objects.create_user("ana")
    account = PlexAccount(user=user, plex_id=42, kind=PlexAccountKind.FRIEND)
    assert account.token() is None and account.token_state == TokenState.NONE
    account.set_token(TOKEN)
    account.save()
    stored = PlexAccount.objects.values_list("encrypted_token", flat=True).get()
    assert TOKEN not in stored
    again = PlexAccount.objects.get()
    assert again.token() == TOKEN and again.token_state == TokenState.VALID
    assert again.token_checked_at is not None


@pytest.mark.django_db
def test_an_unreadable_token_is_none_and_marks_the_account_expired(
    settings: SettingsWrapper,
) -> None:
    user = get_user_model().objects.create_user("ana")
    account = PlexAccount(user=user, plex_id=42, kind=PlexAccountKind.FRIEND)
    account.set_token(TOKEN)
    account.save()
    settings.SECRET_KEY = "another-secret-key-entirely-0123456789"
    assert PlexAccount.objects.get().token() is None
    assert PlexAccount.objects.get().token_state == TokenState.EXPIRED
