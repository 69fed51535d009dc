"""The job lock, moved from the plexkiosk app: its table is renamed by plexkiosk's 0004."""

from django.db import migrations, models


class Migration(migrations.Migration):
    initial = True

    dependencies = []

    operations = [
        # State only: plexkiosk 0001 created the table and plexkiosk 0004 renames it to
        # core_joblock, keeping the locks held while the migration runs.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="JobLock",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("name", models.CharField(max_length=100, unique=True)),
                        ("token", models.CharField(max_length=64)),
                        ("acquired_at", models.DateTimeField()),
                        ("expires_at", models.DateTimeField()),
                    ],
                    options={"verbose_name": "job lock"},
                ),
            ],
        ),
    ]
