"""Admin for project-wide rows."""

from __future__ import annotations

from django.contrib import admin

from plexkiosk.models import JobLock


@admin.register(JobLock)
class JobLockAdmin(admin.ModelAdmin):
    list_display = ("name", "acquired_at", "expires_at")
    readonly_fields = ("name", "token", "acquired_at", "expires_at")
