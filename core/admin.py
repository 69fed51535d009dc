"""Admin for the job locks: which job holds one, and until when."""

from __future__ import annotations

from django.contrib import admin

from core.models import JobLock


@admin.register(JobLock)
class JobLockAdmin(admin.ModelAdmin):
    list_display = ("name", "acquired_at", "expires_at")
    readonly_fields = ("name", "token", "acquired_at", "expires_at")
