"""factory_boy factories for the downloads models."""

from __future__ import annotations

import factory

from downloads.models import Blocklist, Indexer, QualityProfile


class IndexerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Indexer

    name = factory.Sequence(lambda n: f"indexer-{n}")
    url = "http://127.0.0.1:9/api"
    api_key = "simkey"
    timeout = 3.0


class QualityProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = QualityProfile

    name = factory.Sequence(lambda n: f"profile-{n}")


class BlocklistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Blocklist

    info_hash = factory.Sequence(lambda n: f"{n:040x}")
    reason = "stalled"
