"""Forms of the kiosk pages."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from requests_app.models import MediaType


class RequestForm(forms.Form):
    media_type = forms.ChoiceField(choices=MediaType.choices, widget=forms.HiddenInput)
    tmdb_id = forms.IntegerField(min_value=1, max_value=2_000_000_000, widget=forms.HiddenInput)
    season = forms.IntegerField(min_value=0, max_value=1000, required=False, label=_("Season"))


class DeclineForm(forms.Form):
    reason = forms.CharField(max_length=500, required=False, label=_("Reason"))


class SearchForm(forms.Form):
    q = forms.CharField(max_length=200, label=_("Search"), strip=True)
