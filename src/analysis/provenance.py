"""Provenance records (JSON beside each data file) and checksums."""

from __future__ import annotations

import hashlib
import json
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from analysis.errors import InputError

#: What a provenance record copies from the source registry, so every table says how to
#: cite its input and how to read it.
CITATION_FIELDS = ("producer", "title", "citation", "url", "licence", "unit", "caveat", "kind")


def citation(source_id: str) -> dict[str, str]:
    """Return a source's citation facts from the registry, as written into provenance records.

    Raises:
        InputError: The source is not registered.
    """
    from analysis.sources import registry  # lazy: keeps ``import analysis`` light

    record = registry.get(source_id)
    return {name: getattr(record, name) for name in CITATION_FIELDS}


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
        InputError: The record is missing or the checksum differs (the command line turns
            it into exit code 2 with the message and the fix).
    """
    path = record_path(data_file)
    if not path.exists():
        raise InputError(str(data_file), f"no provenance record ({path.name}) beside it, so "
                         "where this table came from cannot be checked",
                         "rebuild it with `python -m analysis ingest` (flows) or `python -m "
                         "analysis derive` (3P, TIP), or point the data folder elsewhere")
    record = read_record(data_file)
    actual = sha256(data_file)
    if record.get("sha256") != actual:
        raise InputError(str(data_file), f"checksum {actual[:12]} differs from its provenance "
                         f"record ({str(record.get('sha256'))[:12]}): the file was changed "
                         "after it was written", "rebuild it with `python -m analysis ingest` "
                         "(flows) or `python -m analysis derive` (3P, TIP); do not edit "
                         "processed tables by hand")
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


def code_version() -> str:
    """Return the package version plus the git commit (and ``-dirty``) when available.

    Every export, brief and interactive page records it in its sidecar.
    """
    import analysis
    from analysis import paths

    def git(*cmd: str) -> str:
        try:
            return subprocess.run(["git", "-C", str(paths.ROOT), *cmd], capture_output=True,
                                  text=True, timeout=5).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            return ""

    sha = git("rev-parse", "--short", "HEAD")
    dirty = git("status", "--porcelain", "--untracked-files=no")
    return analysis.__version__ + (f"+{sha}" if sha else "") + ("-dirty" if dirty else "")
