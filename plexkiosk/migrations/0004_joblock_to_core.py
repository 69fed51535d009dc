"""Hand the job lock to the core app: rename its table, and its admin permissions' type."""

from __future__ import annotations

from typing import Any

from django.db import migrations


def _move_content_type(old: str, new: str):
    """Build a step that relabels the job lock's content type, keeping its permissions."""

    def move(apps: Any, schema_editor: Any) -> None:
        content_type = apps.get_model("contenttypes", "ContentType")
        # A fresh database has no content type yet (post_migrate creates it later).
        if not content_type.objects.filter(app_label=new, model="joblock").exists():
            content_type.objects.filter(app_label=old, model="joblock").update(app_label=new)

    return move


class Migration(migrations.Migration):
    dependencies = [
        ("plexkiosk", "0003_beat_heartbeat"),
        ("core", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.AlterModelTable("JobLock", "core_joblock")],
            state_operations=[migrations.DeleteModel("JobLock")],
        ),
        migrations.RunPython(
            _move_content_type("plexkiosk", "core"), _move_content_type("core", "plexkiosk")
        ),
    ]
