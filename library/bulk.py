"""Insert-or-update many rows keyed by `rating_key` in a constant number of statements.

On PostgreSQL the rows are streamed with COPY into a temporary table and merged with one
`INSERT … ON CONFLICT DO UPDATE`: Django's `bulk_create` spends most of a 50,000-item sync
preparing parameters in Python, COPY skips that. Other databases use `bulk_create`.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.db import connection, models
from django.utils import timezone

# Tests switch this off to run the portable path on PostgreSQL too.
USE_COPY = True


def _columns(model: type[models.Model]) -> list[models.Field]:
    return [f for f in model._meta.concrete_fields if not f.primary_key]


def _copy_value(field: models.Field, row: dict[str, Any], now: Any) -> Any:
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return now
    value = row.get(field.attname, field.get_default())
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    return value


def _upsert_copy(
    model: type[models.Model], rows: list[dict[str, Any]], update_fields: list[str]
) -> list[int]:
    fields = _columns(model)
    table = connection.ops.quote_name(model._meta.db_table)
    stage = connection.ops.quote_name(f"stage_{model._meta.db_table}")
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    by_name = {f.name: f for f in fields} | {f.attname: f for f in fields}
    updates = ", ".join(
        f"{connection.ops.quote_name(by_name[name].column)} = EXCLUDED."
        f"{connection.ops.quote_name(by_name[name].column)}"
        for name in update_fields
    )
    # Identifiers come from model metadata, quoted; values travel through COPY.
    create = f"CREATE TEMPORARY TABLE IF NOT EXISTS {stage} AS SELECT {columns} FROM {table} WITH NO DATA"  # noqa: S608, E501
    merge = (
        f"INSERT INTO {table} ({columns}) SELECT {columns} FROM {stage} "  # noqa: S608
        f'ON CONFLICT ("rating_key") DO UPDATE SET {updates} '
        # xmax is 0 on a row this statement inserted, not on one it updated.
        'RETURNING "id", (xmax = 0)'
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        # A temporary table lives as long as the connection; it is emptied after each use.
        cursor.execute(create)
        copy_sql = f"COPY {stage} ({columns}) FROM STDIN"
        started = time.monotonic()
        with cursor.cursor.copy(copy_sql) as copy:
            for row in rows:
                copy.write_row([_copy_value(f, row, now) for f in fields])
        if connection.queries_logged:
            # COPY bypasses Django's cursor wrapper; log it so query counts stay honest.
            connection.queries_log.append(
                {
                    "sql": f"{copy_sql} -- {len(rows)} rows",
                    "time": f"{time.monotonic() - started:.3f}",
                }
            )
        cursor.execute(merge)
        inserted = [pk for pk, is_new in cursor.fetchall() if is_new]
        cursor.execute(f"TRUNCATE {stage}")
    return inserted


def upsert_rows(
    model: type[models.Model],
    rows: list[dict[str, Any]],
    update_fields: list[str],
    *,
    new_keys: set[int],
) -> list[int]:
    """Insert rows, or update `update_fields` of those whose rating key exists; return new pks.

    `new_keys` are the rating keys expected to be new (used where the database cannot say).
    """
    if not rows:
        return []
    if USE_COPY and connection.vendor == "postgresql":
        return _upsert_copy(model, rows, update_fields)
    objs = [model(**row) for row in rows]
    model.objects.bulk_create(
        objs,
        update_conflicts=True,
        unique_fields=["rating_key"],
        update_fields=update_fields,
        batch_size=1000,
    )
    return [obj.pk for obj in objs if obj.rating_key in new_keys and obj.pk]
