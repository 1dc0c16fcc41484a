"""The benchmark's no-op comparison: its plain store keeps the content store's contract, so the
same registration runs with encryption replaced; the application itself has no such switch."""

from __future__ import annotations

import io

from bench.plain import PlainContentStore
from registrum import storage
from registrum.policy import Level
from registrum.records import services


def test_the_benchmarks_plain_store_runs_the_same_registration(world, sample_pdf, tmp_path):
    storage.set_store(PlainContentStore(tmp_path / "plain"))
    registration = world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf)))
    version = registration.document.versions.get()
    assert services.open_version(world.reader, registration.document.public_id, 1)[1].read() == sample_pdf
    assert (
        tmp_path / "plain" / version.blob_id[:2] / version.blob_id[2:4] / version.blob_id
    ).read_bytes() == sample_pdf


def test_the_application_stores_nothing_in_plain(world, sample_pdf):
    registration = world.register(level=Level.NS, upload=services.Upload("a.pdf", io.BytesIO(sample_pdf)))
    version = registration.document.versions.get()
    store = storage.get_store()
    assert isinstance(store, storage.LocalContentStore)
    assert sample_pdf[:200] not in store._path(version.blob_id).read_bytes()
