from __future__ import annotations

from django.db import migrations, models
from django.db.models import F

# The statuses whose news is sent (requests_app.notifications), frozen as of this migration.
ANNOUNCED = ("pending", "completed", "failed", "declined")


def mark_old_news_told(apps, schema_editor) -> None:
    """Mark every request already in an announced status as told of it."""
    # Their notices went out (or were lost long ago) before the claim existed: the sweep
    # must not send a household months of old news on the day of the upgrade.
    MediaRequest = apps.get_model("requests_app", "MediaRequest")
    MediaRequest.objects.filter(status__in=ANNOUNCED).update(
        told_status=F("status"), told_at=F("updated_at")
    )


class Migration(migrations.Migration):
    dependencies = [
        ("requests_app", "0012_plex_watchlists_row"),
    ]

    operations = [
        migrations.AddField(
            model_name="mediarequest",
            name="told_status",
            field=models.CharField(
                blank=True,
                choices=[
                    ("pending", "Awaiting approval"),
                    ("approved", "Approved"),
                    ("searching", "Searching"),
                    ("downloading", "Downloading"),
                    ("processing", "Adding to Plex"),
                    ("following", "Following"),
                    ("completed", "Completed"),
                    ("not_found", "Not found yet"),
                    ("failed", "Failed"),
                    ("declined", "Declined"),
                    ("cancelled", "Cancelled"),
                ],
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="mediarequest",
            name="told_at",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.RunPython(mark_old_news_told, migrations.RunPython.noop),
    ]
