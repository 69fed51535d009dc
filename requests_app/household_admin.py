"""The admin's "Import from Plex" page: the household's Plex users become members at once."""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from core.errors import ServiceError
from downloads.models import QualityProfile
from requests_app import household


class HouseholdImportForm(forms.Form):
    """Who to import, and the settings each new member starts with."""

    members = forms.MultipleChoiceField(
        widget=forms.CheckboxSelectMultiple, label=gettext_lazy("Who gets an account")
    )
    auto_approve = forms.BooleanField(
        required=False,
        label=gettext_lazy("Requests start without waiting for approval"),
    )
    movie_quota = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=1000,
        label=gettext_lazy("Movies per quota period"),
        help_text=gettext_lazy("Empty: the site default (REQUEST_QUOTA_MOVIES)."),
    )
    season_quota = forms.IntegerField(
        required=False,
        min_value=0,
        max_value=1000,
        label=gettext_lazy("TV seasons per quota period"),
        help_text=gettext_lazy("Empty: the site default (REQUEST_QUOTA_SEASONS)."),
    )
    quality_profile = forms.ModelChoiceField(
        queryset=QualityProfile.objects.order_by("-is_default", "name"),
        required=False,
        empty_label=gettext_lazy("The household's default"),
        label=gettext_lazy("Quality profile"),
    )
    watchlist_enabled = forms.BooleanField(
        required=False,
        label=gettext_lazy("Request what they add to their Plex watchlist"),
        help_text=gettext_lazy("Starts once they sign in with Plex; each may turn it off."),
    )

    def __init__(self, *args: object, candidates: list[household.Candidate], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = [
            (str(c.plex_id), c.name) for c in candidates if not c.imported
        ]


class HouseholdImportMixin:
    """Adds the import page to the Plex account admin, linked from its list."""

    def get_urls(self) -> list[URLPattern]:
        own = [
            path(
                "import/",
                self.admin_site.admin_view(self.import_household_view),
                name="requests_app_plexaccount_import",
            )
        ]
        return own + super().get_urls()

    def import_household_view(self, request: HttpRequest) -> HttpResponse:
        """List the household on plex.tv; import those ticked with the chosen defaults."""
        if not request.user.has_perm("auth.add_user"):
            raise PermissionDenied
        changelist = "admin:requests_app_plexaccount_changelist"
        if not settings.PLEX_TOKEN:
            messages.error(
                request, _("Set PLEX_TOKEN (the server owner's Plex token) to import from Plex.")
            )
            return redirect(changelist)
        try:
            # Read again on a POST: the ids ticked must be people plex.tv lists now.
            candidates = household.plex_household()
        except ServiceError as exc:
            messages.error(
                request,
                _("Plex is not answering, so nobody was imported: %(why)s") % {"why": exc},
            )
            return redirect(changelist)
        form = HouseholdImportForm(request.POST or None, candidates=candidates)
        if request.method == "POST" and form.is_valid():
            chosen = set(form.cleaned_data["members"])
            result = household.import_members(
                [c for c in candidates if str(c.plex_id) in chosen],
                auto_approve=form.cleaned_data["auto_approve"],
                movie_quota=form.cleaned_data["movie_quota"],
                season_quota=form.cleaned_data["season_quota"],
                quality_profile=form.cleaned_data["quality_profile"],
                watchlist_enabled=form.cleaned_data["watchlist_enabled"],
            )
            names = ", ".join(a.user.get_username() for a in result.created)
            messages.success(
                request,
                ngettext(
                    "Imported %(count)s person: %(names)s.",
                    "Imported %(count)s people: %(names)s.",
                    len(result.created),
                )
                % {"count": len(result.created), "names": names or "–"},
            )
            return redirect(changelist)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import from Plex"),
            "form": form,
            "candidates": candidates,
        }
        return TemplateResponse(
            request, "admin/requests_app/plexaccount/import_household.html", context
        )
