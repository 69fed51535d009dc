"""Create a first admin account when there is none, and print its password once."""

from __future__ import annotations

import secrets
from typing import Any

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandParser


class Command(BaseCommand):
    help = "Create an admin user with a random password if no superuser exists yet."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--username", default="admin")

    def handle(self, *args: Any, username: str, **options: Any) -> None:
        users = get_user_model()
        if users.objects.filter(is_superuser=True).exists():
            return
        if users.objects.filter(username=username).exists():
            self.stderr.write(f"a user named {username!r} exists but is not a superuser")
            raise SystemExit(1)
        password = secrets.token_urlsafe(12)
        users.objects.create_superuser(username=username, password=password)
        # Printed to the terminal of the person setting up, never logged.
        self.stdout.write(
            self.style.SUCCESS(f"Created admin user {username!r} with password {password}")
            + "\nChange it in the admin (top right, 'Change password')."
        )
