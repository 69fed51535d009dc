"""Encrypt small secrets kept in the database (Plex tokens) with Fernet.

The key is PLEX_TOKEN_KEY when set, else one derived from SECRET_KEY with HKDF, so an
installation needs no new setting. Decryption also tries the keys derived from
SECRET_KEY and SECRET_KEY_FALLBACKS, so setting PLEX_TOKEN_KEY later, or rotating
SECRET_KEY the way Django documents it (old key in SECRET_KEY_FALLBACKS), keeps every
stored token readable; new ciphertexts always use the first key. Changing SECRET_KEY
with no fallback and no PLEX_TOKEN_KEY makes the stored tokens unreadable:
`CannotDecrypt`, and everyone signs in with Plex again.
"""

from __future__ import annotations

import base64
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

# Changing this string changes every derived key: it names what the key is for, so the
# same SECRET_KEY never yields the same key for two purposes.
_HKDF_INFO = b"plexkiosk:plex-token-encryption:v1"


class CannotDecrypt(Exception):
    """The text was encrypted with another key, or is not one of our ciphertexts."""


def _derive(secret: str) -> bytes:
    """Return a Fernet key derived from a secret string with HKDF-SHA256."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(
        secret.encode()
    )
    return base64.urlsafe_b64encode(raw)


@lru_cache(maxsize=8)
def _fernet(secrets: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(_derive(secret)) for secret in secrets])


def _current() -> MultiFernet:
    """Return the keys to use now: the first encrypts, any of them decrypts."""
    secrets = [settings.PLEX_TOKEN_KEY] if getattr(settings, "PLEX_TOKEN_KEY", "") else []
    secrets += [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    # Keys are derived once per set of settings (HKDF is cheap, but tokens are read in loops).
    return _fernet(tuple(dict.fromkeys(s for s in secrets if s)))


def encrypt(plaintext: str) -> str:
    """Return `plaintext` encrypted (and authenticated) as URL-safe text."""
    return _current().encrypt(plaintext.encode()).decode("ascii")


def decrypt(ciphertext: str) -> str:
    """Return the text `encrypt` was given; raise CannotDecrypt if the key or text changed."""
    try:
        return _current().decrypt(ciphertext.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError, TypeError):
        raise CannotDecrypt("the stored secret cannot be read with the current key") from None
