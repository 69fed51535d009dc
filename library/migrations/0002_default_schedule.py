"""Create the library's rows of the database schedule (hourly sync, nightly full sync, cleanup)."""

from __future__ import annotations

from django.db import migrations

from core.scheduling import ensure_jobs_migration, remove_jobs_migration
from library.schedule import JOBS


class Migration(migrations.Migration):
    dependencies = [
        ("library", "0001_mirror"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(ensure_jobs_migration(JOBS), remove_jobs_migration(JOBS)),
    ]
