"""Add the refresh-airing-episodes row of the database schedule."""

from __future__ import annotations

from django.db import migrations

from core.scheduling import ensure_jobs_migration, remove_jobs_migration
from requests_app.schedule import JOBS

EPISODES = [job for job in JOBS if job.name == "refresh-airing-episodes"]


class Migration(migrations.Migration):
    dependencies = [("requests_app", "0006_request_episodes")]

    operations = [
        migrations.RunPython(ensure_jobs_migration(EPISODES), remove_jobs_migration(EPISODES)),
    ]
