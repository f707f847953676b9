"""Ingest a source file: validate, harmonise, write flows and reports atomically."""

from __future__ import annotations

import importlib
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

import analysis
from analysis import paths, provenance
from analysis.errors import InputError
from analysis.flows import FLOWS_FILE, tidy
from analysis.sources import registry
from analysis.sources.results import ReadResult

#: Files an ingest writes per source, besides the shared flows table.
REPORT_FILES = ("{s}_quarantine.csv", "{s}_harmonisation.csv", "{s}_duplicates.csv",
                "{s}_conservation.csv", "{s}_set_aside.csv", "{s}_report.md")


def reader_names() -> list[str]:
    """Return the names ``ingest`` takes: the registry's readers of flows of people.

    A reader of flows is the reader of an aggregate or case source whose module has no
    ``regenerate`` (modules with one re-derive a table with ``derive``). The template's
    two forms (counts, cases) share one reader, so ``template`` is one name.
    """
    return sorted({module_name(s) for s in registry.SOURCES.values() if _reads_flows(s)})


def reader(name: str):
    """Return the reader function behind an ingest name (imported lazily).

    Raises:
        InputError: No registered source of flows is read by that name.
    """
    for source in registry.SOURCES.values():
        if module_name(source) == name and _reads_flows(source):
            return source.read_function()
    raise InputError("ingest", f"no reader named {name!r}", f"use one of: "
                     f"{', '.join(reader_names())}")


def module_name(source: registry.Source) -> str:
    """Return the short name of a source's reader module (``analysis.sources.ctdc`` -> ctdc)."""
    return source.reader.partition(":")[0].rsplit(".", 1)[-1]


def derives(source: registry.Source) -> bool:
    """Tell whether a source's reader module re-derives a committed table (``regenerate``)."""
    return hasattr(importlib.import_module(source.reader.partition(":")[0]), "regenerate")


def _reads_flows(source: registry.Source) -> bool:
    return source.kind in ("aggregate", "case") and not derives(source)


def ingest(source: str, path: str | Path, data_dir: str | Path | None = None) -> ReadResult:
    """Read ``path`` as ``source`` and write its flows and reports into ``data_dir``.

    The flows of other sources already in the folder are kept; this source's rows are
    replaced. All files are written to a temporary folder first and moved in only when
    everything succeeded; the files they replace move to ``versions/<timestamp>/``.

    Args:
        source: A reader name from :func:`reader_names` (``glotip``, ``ctdc``, ``template``).
        path: The input file.
        data_dir: Target folder (default: the committed ``data/processed``).

    Returns:
        The reader's result.
    """
    data_dir = Path(data_dir or paths.PROCESSED)
    path = Path(path)
    result = reader(source)(path)
    _require_flows(result, path)
    created = not data_dir.exists()
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryDirectory(dir=data_dir, prefix=".ingest-") as tmp:
            staged = _stage(result, path, data_dir, Path(tmp))
            _commit(staged, data_dir)
    except OSError as exc:
        if created and data_dir.exists() and not any(data_dir.iterdir()):
            data_dir.rmdir()
        raise InputError(str(exc.filename or data_dir), f"could not write the ingest's output "
                         f"({type(exc).__name__}: {exc.strerror or exc}); nothing was changed",
                         "check that the data folder is writable, has space and holds no "
                         "folder named like an output file, then run the ingest again") from None
    return result


def _require_flows(result: ReadResult, path: Path) -> None:
    """Refuse to replace a source's flows with nothing when no row could be used."""
    if len(result.flows):
        return
    q = result.quarantine
    reasons = q.groupby("reason", sort=False)["row"].agg(["size", "first"]) if len(q) else None
    examples = "" if reasons is None else "\n".join(
        f"    {n} row(s): {r} (first: row {first})" for r, (n, first) in
        reasons.sort_values("size", ascending=False).head(5).iterrows())
    first = None if reasons is None else int(q["row"].min())
    column = None if reasons is None else str(q.sort_values("row")["column"].iloc[0])
    raise InputError(str(path), f"no row could be used ({result.meta.get('rows_read', 0)} "
                     "read); the data folder was left unchanged",
                     "correct the rows listed (reasons below) and run the ingest again",
                     row=first, column=column, examples=examples)


def _stage(result: ReadResult, path: Path, data_dir: Path, tmp: Path) -> list[Path]:
    """Write every output file into ``tmp``; return their paths."""
    s = result.source
    flows = result.flows
    existing = data_dir / FLOWS_FILE
    if existing.exists():
        old = pd.read_csv(existing, dtype={"origin": str, "destination": str},
                          keep_default_na=False)
        flows = pd.concat([old[old.source != s], flows], ignore_index=True)
    flows = tidy(flows, str(existing))
    out = tmp / FLOWS_FILE
    flows.to_csv(out, index=False, lineterminator="\n")

    record = provenance.read_record(existing) if existing.exists() and \
        provenance.record_path(existing).exists() else {}
    inputs = {k: v for k, v in record.get("inputs", {}).items() if k != s}
    inputs[s] = {**provenance.citation(s), "input_file": path.name,
                 "input_sha256": provenance.sha256(path), "input_bytes": path.stat().st_size,
                 **{k: v for k, v in result.meta.items() if k != "file"},
                 "reader": f"{registry.get(s).reader} {analysis.__version__}",
                 "ingested": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                 "rows_in_flows": int((flows.source == s).sum())}
    provenance.write_record(out, {
        "title": "Tidy flows table (year, origin, destination, indicator, sex, age, "
                 "value_low, value_high, censored, source)",
        "schema": "analysis.schemas.FLOWS",
        "note": "Censored published values (<5) are kept as the interval 1-4.",
        "inputs": inputs})
    files = [out, provenance.record_path(out)]
    tables = {"quarantine": result.quarantine.drop(columns="_label", errors="ignore"),
              "harmonisation": result.harmonisation, "duplicates": result.duplicates,
              "conservation": result.conservation, "set_aside": result.set_aside}
    for name, table in tables.items():
        f = tmp / f"{s}_{name}.csv"
        table.to_csv(f, index=False, lineterminator="\n")
        files.append(f)
    report = tmp / f"{s}_report.md"
    report.write_text(render_report(result))
    files.append(report)
    return files


def _commit(staged: list[Path], data_dir: Path) -> None:
    """Move staged files in; keep the files they replace under ``versions/<timestamp>/``.

    Each rename is atomic; if one fails midway (a full disk, a folder in the way), the
    files already moved are put back from the copies, so the folder is left as it was.
    """
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    versions = data_dir / "versions"
    had_versions = versions.exists()
    backup = versions / stamp
    moved: list[Path] = []
    try:
        for f in staged:
            target = data_dir / f.name
            if target.is_file():
                backup.mkdir(parents=True, exist_ok=True)
                shutil.copy2(target, backup / f.name)
        for f in staged:
            target = data_dir / f.name
            f.replace(target)  # same filesystem: each rename is atomic
            moved.append(target)
    except OSError:
        _roll_back(moved, backup, versions, had_versions)
        raise


def _roll_back(moved: list[Path], backup: Path, versions: Path, had_versions: bool) -> None:
    """Undo a partial commit: restore replaced files, remove new ones and the backup."""
    for target in moved:
        saved = backup / target.name
        if saved.exists():
            saved.replace(target)
        else:
            target.unlink(missing_ok=True)
    if backup.exists():
        shutil.rmtree(backup)
    if not had_versions and versions.exists() and not any(versions.iterdir()):
        versions.rmdir()


def _md_table(columns: list[str], rows: list[tuple]) -> list[str]:
    """Return the lines of a Markdown table."""
    out = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    return out + ["| " + " | ".join(str(v) for v in row) + " |" for row in rows]


def render_report(result: ReadResult) -> str:
    """Render a readable ingest report (Markdown)."""
    c = result.conservation
    tot = c.sum(numeric_only=True)
    q = result.quarantine
    lines = [f"# Ingest report: {result.source}", "",
             f"- input: `{Path(result.meta.get('file', '')).name}`",
             f"- unit: {registry.get(result.source).unit}",
             *[f"- {k}: {v}" for k, v in result.meta.items() if k != "file"], "",
             "## Every row accounted for", "",
             "| outcome | rows | counts (low-high) |", "|---|---:|---:|"]
    for name in ("read", "used", "quarantined", "set_aside"):
        lines.append(f"| {name.replace('_', ' ')} | {int(tot[f'rows_{name}']):,} | "
                     f"{int(tot[f'low_{name}']):,}-{int(tot[f'high_{name}']):,} |")
    ok = all(int(tot[f"{m}_read"]) == sum(int(tot[f"{m}_{n}"]) for n in
                                            ("used", "quarantined", "set_aside"))
             for m in ("rows", "low", "high"))
    lines += ["", f"Conservation (read = used + quarantined + set aside): "
                  f"{'holds' if ok else 'BROKEN'}.", ""]
    fl = result.flows
    cens = int(fl.censored.sum())
    lines += ["## Flows", "", f"- rows: {len(fl):,}; years {fl.year.min()}-{fl.year.max()}"
              if len(fl) else "- rows: 0",
              f"- censored values kept as intervals: {cens:,}", ""]
    lines += ["## Quarantined rows by reason", ""]
    if len(q):
        counts = q.groupby("reason")["row"].agg(
            rows="size", first=lambda r: ", ".join(map(str, r.iloc[:5])))
        counts = counts.sort_values("rows", ascending=False)
        lines += ["| reason | rows | first rows |", "|---|---:|---|"]
        lines += [f"| {r} | {n:,} | {first} |" for r, (n, first) in counts.iterrows()]
        lines += ["", f"Every quarantined row, with its value and column: "
                      f"`{result.source}_quarantine.csv`."]
    else:
        lines.append("None.")
    h = result.harmonisation
    lines += ["", "## Country names needing review", ""]
    if len(h):
        lines += _md_table(["raw", "method", "iso3", "rows", "first rows", "suggestion"],
                           [(r.raw, r.method, r.iso3, r.n_rows, r.rows, r.suggestion or (
                               "none found" if r.method == "unmatched" else ""))
                            for r in h.itertuples()])
    else:
        lines.append("None: every name was in the reviewed mapping file or is a standard "
                     "ISO code.")
    d = result.duplicates
    lines += ["", "## Repeated keys", ""]
    if len(d):
        lines += _md_table(["year", "origin", "destination", "raw names", "values", "action"],
                           [(r.year, r.origin, r.destination, r.raw_names, r.values, r.action)
                            for r in d.itertuples()])
    else:
        lines.append("None.")
    lines += ["", registry.get(result.source).caveat, ""]  # the registry's caveat per source
    return "\n".join(lines)
