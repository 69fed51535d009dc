"""Write `.env` from `.env.example` with a fresh SECRET_KEY, unless `.env` exists."""

from __future__ import annotations

import secrets
import sys
from pathlib import Path

root = Path(__file__).resolve().parent.parent
target = root / ".env"
if target.exists():
    sys.exit(0)
text = (root / ".env.example").read_text()
text = text.replace("SECRET_KEY=change-me", f"SECRET_KEY={secrets.token_urlsafe(50)}")
target.write_text(text)
target.chmod(0o600)
print("wrote .env with a new SECRET_KEY (edit it to configure Plex Kiosk)")
