"""Settings for the test run: the project's settings, with test defaults for what is unset."""

from __future__ import annotations

import os
import tempfile

os.environ.setdefault("SECRET_KEY", "tests-only-not-a-secret")
os.environ.setdefault("DATA_DIR", tempfile.mkdtemp(prefix="plexkiosk-tests-"))
# Tests never read the developer's .env: what is not given here comes from the defaults.
os.environ.setdefault("PLEXKIOSK_SKIP_DOTENV", "1")

from plexkiosk.settings import *  # noqa: F403

# MD5 keeps the many users tests make cheap; users that the app's own processes (e2e)
# log in must be hashed with PBKDF2, which is all those processes know.
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.MD5PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
STORAGES["staticfiles"] = {  # noqa: F405
    "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
}
STATIC_ROOT.mkdir(parents=True, exist_ok=True)  # noqa: F405 - whitenoise warns without it
