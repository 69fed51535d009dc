"""The pages a person sees: the auth app (approve a PIN), plex.tv/link, and the PIN's QR image.

A person (or a browser test) picks one of the simulated accounts and approves; the auth
app then sends the browser back to the app's `forwardUrl`, as Plex's does.
"""

from __future__ import annotations

import html

import segno

from plexkiosk.simulators.plextv.world import SimAccount


def page(body: str) -> str:
    """Return a whole HTML page around `body`."""
    return (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>Plex (simulated)</title></head><body>{body}</body></html>"
    )


def _account_choices(accounts: list[SimAccount]) -> str:
    # Managed Home users have no username: they cannot sign in on plex.tv themselves.
    people = [a for a in accounts if a.username]
    return "".join(
        f"<label><input type='radio' name='account' value='{a.id}'"
        f"{' checked' if n == 0 else ''}> {html.escape(a.title)} "
        f"({html.escape(a.username)})</label><br>"
        for n, a in enumerate(people)
    )


def auth_page(accounts: list[SimAccount]) -> str:
    """Return the auth app: the PIN's code and the way back come in the URL's fragment."""
    # The fragment (`#?code=…`) never reaches the server; a script copies it into the
    # form, as Plex's app reads it in the browser.
    return page(
        "<h1>Sign in to Plex (simulated)</h1>"
        "<p id='product'></p>"
        "<form method='post' action='/auth/approve' id='approve'>"
        "<input type='hidden' name='code' id='code'>"
        "<input type='hidden' name='forwardUrl' id='forwardUrl'>"
        f"<fieldset><legend>Account</legend>{_account_choices(accounts)}</fieldset>"
        "<button type='submit'>Approve</button></form>"
        "<script>"
        "const raw = (location.hash.replace(/^#!?\\??/, '') || location.search.slice(1));"
        "const q = new URLSearchParams(raw);"
        "document.getElementById('code').value = q.get('code') || '';"
        "document.getElementById('forwardUrl').value = q.get('forwardUrl') || '';"
        "document.getElementById('product').textContent ="
        " 'Sign in to ' + (q.get('context[device][product]') || 'an app');"
        "</script>"
    )


def link_page(accounts: list[SimAccount], code: str = "") -> str:
    """Return plex.tv/link: type the short code (filled in from a scanned QR code)."""
    typed = html.escape(code[:4], quote=True)
    return page(
        "<h1>Link a device</h1><form method='post' action='/link'>"
        f"<label>Code <input name='code' value='{typed}' autocomplete='off' "
        "maxlength='4'></label><br>"
        f"{_account_choices(accounts)}<button type='submit'>Link</button></form>"
    )


def qr_svg(link_url: str) -> bytes:
    """Return the QR image plex.tv's `qr` address serves: the link page for the code."""
    return segno.make(link_url).svg_inline(scale=4).encode()


CHOOSE_AN_ACCOUNT = page("<h1>Choose an account</h1>")
CODE_NOT_FOUND = page("<h1>Code not found or expired</h1>")
APPROVED = page("<h1>Approved</h1><p>You can go back to the app now.</p>")
NOT_FOUND = page("<h1>Not found</h1>")
