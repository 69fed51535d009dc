"""Add the recover-requests row of the database schedule."""

from __future__ import annotations

from django.db import migrations

from core.scheduling import ensure_jobs_migration, remove_jobs_migration
from requests_app.schedule import JOBS

RECOVERY = [job for job in JOBS if job.name == "recover-requests"]


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0004_request_aliases")]

    operations = [
        migrations.RunPython(ensure_jobs_migration(RECOVERY), remove_jobs_migration(RECOVERY)),
    ]
