"""How a person reads sizes and times: decimal units (10⁹ bytes = 1 GB) and local time."""

from __future__ import annotations

from datetime import datetime

from django.utils import formats, timezone
from django.utils.translation import npgettext, pgettext

# Decimal (SI) units, as the README and the quality profiles define a GB; Django's own
# filesizeformat divides by 1024 and would call 9.2·10⁹ bytes "8.6 GB".
_UNITS = [
    (10**15, lambda: pgettext("decimal size", "%s PB")),
    (10**12, lambda: pgettext("decimal size", "%s TB")),
    (10**9, lambda: pgettext("decimal size", "%s GB")),
    (10**6, lambda: pgettext("decimal size", "%s MB")),
    (10**3, lambda: pgettext("decimal size", "%s kB")),
]


def size_text(size: int | float | None) -> str:
    """Say a number of bytes in decimal units with one decimal, e.g. 9_200_000_000 → "9.2 GB"."""
    try:
        value = int(size or 0)
    except (TypeError, ValueError):
        value = 0
    sign, value = ("-", -value) if value < 0 else ("", value)
    for factor, unit in _UNITS if value >= 1000 else ():
        # Decide on the rounded figure, so 999_960 bytes reads "1.0 MB", not "1000.0 kB".
        if round(value / factor, 1) >= 1:
            return sign + unit() % formats.number_format(round(value / factor, 1), 1)
    return sign + npgettext("decimal size", "%(size)d byte", "%(size)d bytes", value) % {
        "size": value
    }


def local_time_text(moment: datetime | None, *, seconds: bool = False) -> str:
    """Say an instant as the household's clock reads it (TIME_ZONE), e.g. "2026-01-15 13:00"."""
    if moment is None:
        return "–"
    if timezone.is_aware(moment):
        moment = timezone.localtime(moment)
    return moment.strftime("%Y-%m-%d %H:%M:%S" if seconds else "%Y-%m-%d %H:%M")
