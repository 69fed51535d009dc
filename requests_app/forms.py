"""Forms of the kiosk pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from downloads.models import QualityProfile
from requests_app import apprise_client
from requests_app.models import MediaType, WatchlistShows

# The season drop-down's choice that asks for every season Plex lacks.
ALL_MISSING = "missing"


class RequestForm(forms.Form):
    media_type = forms.ChoiceField(choices=MediaType.choices, widget=forms.HiddenInput)
    tmdb_id = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    # A season number, or ALL_MISSING.
    season = forms.CharField(max_length=8, required=False, label=_("Season"))
    follow_show = forms.BooleanField(required=False, label=_("Also ask for new seasons"))

    def clean_season(self) -> int | str | None:
        value = self.cleaned_data["season"].strip()
        if value in ("", ALL_MISSING):
            return value or None
        if not value.isdigit() or int(value) > 1000:
            raise forms.ValidationError(_("Choose a season."))
        return int(value)


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, label=_("Reason"))


class NotificationsForm(forms.Form):
    notify_urls = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        label=_("Where to tell you"),
        help_text=_("Apprise URLs, one a line: ntfy://…, tgram://…, discord://…, mailto://…"),
    )

    def clean_notify_urls(self) -> str:

        lines = [line.strip() for line in self.cleaned_data["notify_urls"].splitlines()]
        errors = [
            f"{n}: {problem}"
            for n, line in enumerate(lines, start=1)
            if line and (problem := apprise_client.validate_url(line))
        ]
        if errors:
            raise forms.ValidationError(errors)
        return "\n".join(line for line in lines if line)


class ProfileForm(NotificationsForm):
    """A member's own settings: where to tell them, and the audio their requests need."""

    quality_profile = forms.ModelChoiceField(
        queryset=QualityProfile.objects.order_by("-is_default", "name"),
        required=False,
        empty_label=_("The household's default"),
        label=_("Audio and quality"),
        help_text=_(
            "The rules your requests are searched with, the audio language first "
            "(“Français”: French audio)."
        ),
    )
    watchlist_enabled = forms.BooleanField(
        required=False,
        label=_("Request what I add to my Plex watchlist"),
        help_text=_("Checked every 10 minutes, within your request limits."),
    )
    watchlist_shows = forms.ChoiceField(
        choices=WatchlistShows.choices,
        initial=WatchlistShows.LATEST_SEASON,
        label=_("A TV show on my watchlist requests"),
    )

    def __init__(self, *args: object, plex_account: bool = False, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        if not plex_account:  # the watchlist is Plex's: nothing to offer without an account
            del self.fields["watchlist_enabled"]
            del self.fields["watchlist_shows"]


class SearchForm(forms.Form):
    # One letter matches half of TMDB: search as you type waits for the second.
    q = forms.CharField(min_length=2, max_length=200, label=_("Search"), strip=True)
