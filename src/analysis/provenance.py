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


FOLDER_RECORD = "provenance.json"


def write_folder_record(folder: Path, record: dict[str, Any], pattern: str = "*") -> Path:
    """Write ``provenance.json`` for a folder of project-authored files, with checksums.

    Args:
        folder: The folder (mapping files, the protection codebook, templates...).
        record: Who made the files, how, and under which terms.
        pattern: Which files to list.

    Returns:
        The record's path.
    """
    files = sorted(p for p in folder.glob(pattern)
                   if p.is_file() and p.name != FOLDER_RECORD and not p.name.startswith("."))
    full = dict(record)
    full["files"] = {p.name: {"sha256": sha256(p), "bytes": p.stat().st_size} for p in files}
    path = folder / FOLDER_RECORD
    path.write_text(json.dumps(full, indent=2, ensure_ascii=False) + "\n")
    return path


def verify_folder(folder: Path) -> dict[str, Any]:
    """Check every file listed in a folder's ``provenance.json`` against its checksum.

    Raises:
        ValueError: The record is missing, a listed file is missing or changed, or a file
            in the folder is not listed.
    """
    path = folder / FOLDER_RECORD
    if not path.exists():
        raise ValueError(f"{folder}: no {FOLDER_RECORD}")
    record = json.loads(path.read_text())
    for name, meta in record["files"].items():
        f = folder / name
        if not f.exists() or sha256(f) != meta["sha256"]:
            raise ValueError(f"{f}: missing or changed since {path.name} was written; "
                             f"review the change, then refresh the record "
                             f"(analysis.provenance.write_folder_record)")
    unlisted = sorted(p.name for p in folder.iterdir() if p.is_file()
                      and p.name not in record["files"] and p.name != FOLDER_RECORD)
    if unlisted:
        raise ValueError(f"{folder}: files without provenance: {unlisted}")
    return record
