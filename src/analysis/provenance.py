"""Provenance records (JSON beside each data file) and checksums."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any


def sha256(path: Path) -> str:
    """Return the SHA-256 hex digest of a file, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def record_path(data_file: Path) -> Path:
    """Return the provenance record's path for a data file (``<name>.provenance.json``)."""
    return data_file.with_name(data_file.name + ".provenance.json")


def write_record(data_file: Path, record: dict[str, Any]) -> Path:
    """Write the provenance record for ``data_file``, adding its own checksum and size."""
    full = dict(record)
    full["file"] = data_file.name
    full["sha256"] = sha256(data_file)
    full["bytes"] = data_file.stat().st_size
    full.setdefault("created", datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))
    path = record_path(data_file)
    path.write_text(json.dumps(full, indent=2, ensure_ascii=False, default=str) + "\n")
    return path


def read_record(data_file: Path) -> dict[str, Any]:
    """Read a data file's provenance record."""
    return json.loads(record_path(data_file).read_text())


def verify(data_file: Path) -> dict[str, Any]:
    """Check a data file against its provenance record.

    Raises:
        ValueError: The record is missing or the checksum differs.
    """
    path = record_path(data_file)
    if not path.exists():
        raise ValueError(f"{data_file}: no provenance record ({path.name}) beside it")
    record = read_record(data_file)
    actual = sha256(data_file)
    if record.get("sha256") != actual:
        raise ValueError(
            f"{data_file}: checksum {actual[:12]} differs from its provenance record "
            f"({str(record.get('sha256'))[:12]}); rebuild it with `python -m analysis ingest`"
        )
    return record
