"""Content encryption: `python -m bench.content [--mib 256] [--upload-mib 50]` (also part of `make bench`).

- content_encrypt_mib_s: 1 MiB blobs stored through the content store's own path (a fresh data key,
  SHA-256 fingerprint, AES-256-GCM in chunks, the data key wrapped), into memory so that the disk
  does not stand in for the cipher;
- content_decrypt_mib_s: the same blobs opened (data key unwrapped) and read back;
- upload_50mib_peak_growth_mb: the real upload path: `registrum serve` with one worker, and a clerk
  uploading a 50 MiB text through POST /api/v1/documents/{id}/versions; the worker's peak resident
  memory (VmHWM) after the upload minus its resident memory at idle after a small warm-up upload.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import shutil
import tempfile
import time
from pathlib import Path

import requests

from bench import load, procs, server
from bench.procs import Target

BLOB_MIB = 1


def fingerprint_rate(total_mib: int = 256) -> float:
    """SHA-256 alone in MiB/s: the part of storing content that is not encryption (the fingerprint
    was computed before encryption at rest, and the benchmark's plain store computes it too)."""
    data = os.urandom(BLOB_MIB << 20)
    started = time.perf_counter()
    for _ in range(max(1, total_mib // BLOB_MIB)):
        hashlib.sha256(data).hexdigest()
    return max(1, total_mib // BLOB_MIB) * BLOB_MIB / (time.perf_counter() - started)


def cipher_rates(total_mib: int = 256) -> tuple[float, float]:
    """(encrypt, decrypt) in MiB/s over `total_mib` blobs of 1 MiB each, through the store's whole
    path (the SHA-256 fingerprint included). The store keeps the last few blobs only, so the figure
    is the cipher's, not the page faults of a growing heap."""
    import base64

    from registrum.storage import MemoryContentStore, StoredBlob
    from registrum.storage.keyring import EnvKeyring

    store = MemoryContentStore(keyring=EnvKeyring(base64.b64encode(os.urandom(32)).decode()))
    data = os.urandom(BLOB_MIB << 20)
    count = max(1, total_mib // BLOB_MIB)
    kept: list[StoredBlob] = []
    store.put(io.BytesIO(data))  # warm-up: imports, first allocations
    started = time.perf_counter()
    for _ in range(count):
        kept.append(store.put(io.BytesIO(data)))
        if len(kept) > 8:
            store.delete(kept.pop(0).blob_id)
    encrypt_s = time.perf_counter() - started
    started = time.perf_counter()
    for i in range(count):
        blob = kept[i % len(kept)]
        with store.open(blob.blob_id, blob.kek_id, blob.wrapped_key) as stream:
            stream.read()
    decrypt_s = time.perf_counter() - started
    with store.open(kept[-1].blob_id, kept[-1].kek_id, kept[-1].wrapped_key) as stream:
        if stream.read() != data:
            raise procs.CommandFailed("content read back differs from what was stored")
    return count * BLOB_MIB / encrypt_s, count * BLOB_MIB / decrypt_s


def _status_kb(pid: int, key: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name == key:
            return int(value.split()[0])
    return 0


def _document_id(site: server.Server, session: requests.Session) -> str:
    """A document the clerk registers for the purpose (he may add versions to what he registered)."""
    body = load.registration_body(0, 0, "HQ-CR") | {"subject": "Benchmark upload target"}
    reply = session.post(f"{site.base}/api/v1/registrations", json=body, timeout=120)
    if reply.status_code != 201:
        raise procs.CommandFailed(f"registering the upload target failed: HTTP {reply.status_code} {reply.text[:300]}")
    return str(reply.json()["document"]["id"])


def _upload(session: requests.Session, url: str, path: Path) -> None:
    with path.open("rb") as content:
        reply = session.post(url, files={"content": (path.name, content, "text/plain")}, timeout=600)
    if reply.status_code != 201:
        raise procs.CommandFailed(f"upload of {path.name} failed: HTTP {reply.status_code} {reply.text[:300]}")
    expected = hashlib.sha256(path.read_bytes()).hexdigest()
    if reply.json()["sha256"] != expected:
        raise procs.CommandFailed(f"upload of {path.name}: the stored fingerprint differs")


def upload_peak_growth_mb(target: Target, logs: Path, token: str, work: Path, mib: int = 50) -> float:
    """The one worker's memory growth (MiB) for an upload of `mib` MiB, over its idle memory."""
    work.mkdir(parents=True, exist_ok=True)
    small, big = work / "warm-up.txt", work / f"upload-{mib}mib.txt"
    small.write_bytes(b"NATO UNCLASSIFIED warm-up\n" * 40_000)
    line = b"NATO UNCLASSIFIED text of a large annex, line after line after line.\n"
    with big.open("wb") as out:
        block = line * ((1 << 20) // len(line) + 1)
        for _ in range(mib):
            out.write(block[: 1 << 20])
    with server.serving(target, logs, workers=1) as site:
        site.wait_ready()
        session = server.api_session(token)
        url = f"{site.base}/api/v1/documents/{_document_id(site, session)}/versions"
        _upload(session, url, small)
        (worker,) = site.worker_pids()
        idle_kb = _status_kb(worker, "VmRSS")
        _upload(session, url, big)
        peak_kb = _status_kb(worker, "VmHWM")
        session.close()
    for path in (small, big):
        path.unlink()
    return max(0, peak_kb - idle_kb) / 1024


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.content", description=__doc__.split("\n\n")[0])
    parser.add_argument("--mib", type=int, default=256, help="MiB sealed and opened, in 1 MiB blobs (default 256)")
    parser.add_argument("--upload-mib", type=int, default=50, help="size of the measured upload (default 50)")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="registrum-bench-content-"))
    os.environ["DJANGO_SETTINGS_MODULE"] = "registrum.settings"
    os.environ["REGISTRUM_HOME"] = str(work / "django")
    os.environ.pop("REGISTRUM_DATABASE_URL", None)
    import django

    django.setup()
    from registrum.demo.builder import DEMO_PASSWORD

    try:
        encrypt, decrypt = cipher_rates(args.mib)
        print(f"content_encrypt_mib_s  {encrypt:,.0f}")
        print(f"content_decrypt_mib_s  {decrypt:,.0f}")
        print(f"(SHA-256 fingerprint alone: {fingerprint_rate(args.mib):,.0f} MiB/s)")
        target = Target("content", work / "site")
        logs = work / "logs"
        procs.run(target, "init", logs=logs)
        procs.run(target, "demo", "--registrations", "0", logs=logs)
        token = (
            procs.run(
                target, "token", "jsmith", "--name", "bench", "--password-stdin", logs=logs, stdin=DEMO_PASSWORD + "\n"
            )
            .stdout.strip()
            .splitlines()[-1]
        )
        growth = upload_peak_growth_mb(target, logs, token, work / "uploads", args.upload_mib)
        print(f"upload_{args.upload_mib}mib_peak_growth_mb  {growth:.1f}")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
