"""Template filters for what a person reads: `{% load formatting %}{{ download.size|filesize }}`."""

from __future__ import annotations

from django import template
from django.utils.html import avoid_wrapping

from core.formatting import size_text

register = template.Library()


@register.filter(is_safe=True)
def filesize(size: int | float | None) -> str:
    """Show bytes in decimal units (10⁹ bytes = 1 GB), kept on one line."""
    return avoid_wrapping(size_text(size))
