from django.db import migrations

from core.scheduling import ensure_jobs_migration, remove_jobs_migration
from requests_app.schedule import JOBS

WATCHLISTS = [job for job in JOBS if job.name == "plex-watchlists"]


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0011_plex_accounts"),
        ("django_celery_beat", "0019_alter_periodictasks_options"),
    ]

    operations = [
        migrations.RunPython(ensure_jobs_migration(WATCHLISTS), remove_jobs_migration(WATCHLISTS)),
    ]
