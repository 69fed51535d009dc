"""Per-person request quotas: N movies and M seasons in a rolling window."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone
from django.utils.translation import gettext as _

from requests_app.models import MediaRequest, MediaType, Profile, Status


@dataclass(frozen=True)
class Quota:
    limit: int | None  # None: no limit
    used: int
    days: int

    @property
    def remaining(self) -> int | None:
        return None if self.limit is None else max(self.limit - self.used, 0)


def quota_for(user: AbstractBaseUser, media_type: str) -> Quota:
    """Tell how many requests of this type the person may still make in the window."""
    days = settings.REQUEST_QUOTA_DAYS
    if user.is_staff:
        return Quota(limit=None, used=0, days=days)
    profile = Profile.objects.filter(user=user).first()
    if media_type == MediaType.MOVIE:
        custom = profile.movie_quota if profile else None
        limit = custom if custom is not None else settings.REQUEST_QUOTA_MOVIES
    else:
        custom = profile.season_quota if profile else None
        limit = custom if custom is not None else settings.REQUEST_QUOTA_SEASONS
    since = timezone.now() - timedelta(days=days)
    used = (
        MediaRequest.objects.filter(requested_by=user, media_type=media_type, created_at__gte=since)
        .exclude(status__in=[Status.DECLINED, Status.CANCELLED])
        .count()
    )
    return Quota(limit=limit, used=used, days=days)


def quota_message(quota: Quota, media_type: str) -> str:
    what = _("movies") if media_type == MediaType.MOVIE else _("TV seasons")
    return _("You have reached your limit of %(limit)s %(what)s per %(days)s days.") % {
        "limit": quota.limit,
        "what": what,
        "days": quota.days,
    }
