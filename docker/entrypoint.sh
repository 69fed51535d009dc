#!/bin/sh
# Run migrations first when asked (the web container does), then the given command.
set -e
if [ "${RUN_MIGRATIONS:-0}" = "1" ]; then
    python manage.py migrate --noinput
fi
exec "$@"
