"""Library settings: bad values stop with an error naming the variable."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured

from library import conf


@pytest.mark.parametrize(
    ("name", "value", "reader"),
    [
        ("PLEX_PAGE_SIZE", "lots", conf.plex_page_size),
        ("PLEX_PAGE_SIZE", "0", conf.plex_page_size),
        ("PLEX_TIMEOUT", "-1", conf.plex_timeout),
        ("PLEX_PATH_MAP", "/only/one/side", conf.plex_path_map),
    ],
)
def test_a_bad_value_is_refused_naming_the_variable(
    settings: object, name: str, value: str, reader: object
) -> None:
    setattr(settings, name, value)
    with pytest.raises(ImproperlyConfigured, match=name):
        reader()


def test_values_are_read_from_the_environment_when_settings_lack_them(
    settings: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    if hasattr(settings, "PLEX_PAGE_SIZE"):
        del settings.PLEX_PAGE_SIZE
    monkeypatch.setenv("PLEX_PAGE_SIZE", "250")
    assert conf.plex_page_size() == 250
