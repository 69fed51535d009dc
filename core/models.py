"""The job lock, the one model every app shares."""

from __future__ import annotations

from django.db import models

from core.formatting import local_time_text


class JobLock(models.Model):
    """A named lock that keeps periodic jobs from overlapping; it expires if its holder dies."""

    name = models.CharField(max_length=100, unique=True)
    token = models.CharField(max_length=64)
    acquired_at = models.DateTimeField()
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = "job lock"

    def __str__(self) -> str:
        return f"{self.name} (until {local_time_text(self.expires_at, seconds=True)})"
