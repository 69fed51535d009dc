"""Add the beat heartbeat row, which the service checks read."""

from __future__ import annotations

from django.db import migrations

from core.scheduling import ensure_jobs_migration, remove_jobs_migration
from plexkiosk.schedule import JOBS

HEARTBEAT = [job for job in JOBS if job.name == "beat-heartbeat"]


class Migration(migrations.Migration):
    dependencies = [("plexkiosk", "0002_default_schedule")]

    operations = [
        migrations.RunPython(ensure_jobs_migration(HEARTBEAT), remove_jobs_migration(HEARTBEAT)),
    ]
