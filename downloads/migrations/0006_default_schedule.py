"""Create the downloads rows of the database schedule."""

from __future__ import annotations

from django.db import migrations

from core.scheduling import ensure_jobs_migration, remove_jobs_migration
from downloads.schedule import JOBS


class Migration(migrations.Migration):
    dependencies = [
        ("downloads", "0005_download"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(ensure_jobs_migration(JOBS), remove_jobs_migration(JOBS)),
    ]
