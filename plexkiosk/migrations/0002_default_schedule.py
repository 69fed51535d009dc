"""Create the project-wide maintenance rows of the database schedule."""

from __future__ import annotations

from django.db import migrations

from core.scheduling import ensure_jobs_migration, remove_jobs_migration
from plexkiosk.schedule import JOBS


class Migration(migrations.Migration):
    dependencies = [
        ("plexkiosk", "0001_initial"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(ensure_jobs_migration(JOBS), remove_jobs_migration(JOBS)),
    ]
