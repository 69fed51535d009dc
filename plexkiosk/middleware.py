"""Project-wide middleware: each response's server time, and compressed pages."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponseBase
from django.middleware.gzip import GZipMiddleware


class ServerTimingMiddleware:
    """Say in `Server-Timing: app;dur=<ms>, cpu;dur=<ms>` how long the app took to answer.

    Browsers show it in their developer tools beside the network time, so an admin can
    tell a slow server from a slow network; the page benchmark reads it too. `app` is the
    time from the request to the response, `cpu` the processor time the request's thread
    used: far less than `app` means waiting (the database, TMDB, or a busy machine). It is
    the outermost middleware, so the times cover every other one.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        started, cpu = time.perf_counter(), time.thread_time()
        response = self.get_response(request)
        spent = (
            f"app;dur={(time.perf_counter() - started) * 1000:.1f}, "
            f"cpu;dur={(time.thread_time() - cpu) * 1000:.1f}"
        )
        earlier = response.headers.get("Server-Timing")
        response.headers["Server-Timing"] = f"{earlier}, {spent}" if earlier else spent
        return response


class PageGZipMiddleware(GZipMiddleware):
    """Compress pages and fragments, but not JPEG or PNG images, which gzip cannot shrink.

    Django's GZipMiddleware pads each answer with random bytes against BREACH, and the
    CSRF token in the pages is masked afresh at each render, so a page that echoes a
    search beside the token does not leak the token through its compressed size.
    """

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        kind = response.headers.get("Content-Type", "")
        if kind.startswith(("image/jpeg", "image/png", "image/webp")):
            return response
        return super().process_response(request, response)
