"""Run every benchmark module (`python -m tests.benchmarks [name ...]`)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys

import django


def main(selected: list[str]) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    django.setup()
    package = importlib.import_module("tests.benchmarks")
    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("bench_"):
            continue
        if selected and info.name.removeprefix("bench_") not in selected:
            continue
        print(f"\n== {info.name} ==", flush=True)
        importlib.import_module(f"tests.benchmarks.{info.name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
