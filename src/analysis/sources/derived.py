"""What the covariate readers share: quarantine, checks, loader, atomic writer, report."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pandera.pandas as pa

import analysis
from analysis import countries, paths, provenance, schemas
from analysis.errors import InputError

#: Bump when the output of a covariate reader (wdi, cepii, undesa, japan_official) changes;
#: written into the provenance record.
READER_VERSION = "1"
#: Codes the project accepts although ISO 3166 does not assign them (Kosovo, user-assigned).
PROJECT_CODES = {"XKX"}


@dataclass
class Derived:
    """A reader's full output, for ``regenerate``.

    Attributes:
        table: The tidy table.
        quarantine: Rows not used: file, row, column, raw_value, reason.
        meta: Facts for the provenance record and the report (rows read, used...).
        inputs: The files read, for the provenance record.
        source: What was given to the reader (a file or a folder), for the rebuild command.
    """

    table: pd.DataFrame
    quarantine: pd.DataFrame
    meta: dict = field(default_factory=dict)
    inputs: list[Path] = field(default_factory=list)
    source: Path | None = None


QUARANTINE_COLUMNS = ["file", "row", "column", "raw_value", "reason"]


def quarantine(frame: pd.DataFrame, mask: pd.Series, column: str, reason) -> pd.DataFrame:
    """Return quarantine records for the rows of ``frame`` in ``mask``.

    Args:
        frame: Raw rows with ``_file`` and ``_row`` (the row number a spreadsheet shows).
        mask: Rows to quarantine.
        column: The column whose value is the reason.
        reason: One text, or a Series of texts aligned with ``frame``.
    """
    sel = frame[mask]
    why = reason[mask] if isinstance(reason, pd.Series) else reason
    return pd.DataFrame({"file": sel["_file"], "row": sel["_row"], "column": column,
                         "raw_value": sel[column] if column in sel else "", "reason": why},
                        columns=QUARANTINE_COLUMNS)


def collect(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Concatenate quarantine records, sorted by file and row (an empty frame if none)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return pd.DataFrame(columns=QUARANTINE_COLUMNS)
    return pd.concat(parts, ignore_index=True).sort_values(["file", "row"], ignore_index=True)


def require_columns(found: list[str], required: list[str], path: Path, row: int,
                    fix: str) -> None:
    """Raise an InputError naming the first required column the header lacks.

    Raises:
        InputError: A required column is missing (a wrong or shifted header).
    """
    missing = [c for c in required if c not in found]
    if missing:
        raise InputError(str(path), f"required column(s) missing: {missing}; the header row "
                         f"has {found[:8]}{' ...' if len(found) > 8 else ''}", fix, row=row,
                         column=missing[0])


def read_text_csv(path: Path, required: list[str], fix: str, **kw) -> pd.DataFrame:
    """Read a CSV as text (no NA guessing: Namibia's ``NA`` survives), stripped, with row numbers.

    Raises:
        InputError: The file is missing, not a CSV, or lacks a required column.
    """
    if not path.is_file():
        raise InputError(str(path), "file not found", fix)
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, **kw)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a readable CSV ({exc})", fix) from None
    header_row = 1 + kw.get("skiprows", 0)
    require_columns(list(raw.columns), required, path, header_row, fix)
    frame = raw.apply(lambda s: s.str.strip())
    frame["_row"] = frame.index + header_row + 1
    frame["_file"] = path.name
    return frame


def valid_iso3(codes: pd.Series) -> pd.Series:
    """Return True where a code is an ISO 3166-1 alpha-3 code (or the project's XKX)."""
    uniques = [c for c in codes.unique() if isinstance(c, str) and len(c) == 3]
    found = countries.convert(uniques, src="ISO3") if uniques else []
    ok = {c for c, k in zip(uniques, found, strict=True) if k == c} | PROJECT_CODES
    return codes.isin(ok)


def load_derived(data_dir: str | Path | None, name: str, derive: str,
                 schema: pa.DataFrameSchema, **read_kw) -> pd.DataFrame:
    """Load a derived table, checking its provenance record and schema.

    Args:
        data_dir: Folder holding the table (default: the committed ``data/processed``).
        name: File name (``wdi.csv``...).
        derive: The ``python -m analysis derive`` argument that rebuilds it.
        schema: The pandera schema to check.
        **read_kw: Extra arguments for :func:`pandas.read_csv`.

    Raises:
        InputError: The table is missing, changed since its record, or breaks its schema.
    """
    path = Path(data_dir or paths.PROCESSED) / name
    fix = f"run `python -m analysis derive {derive}` to regenerate it"
    if not path.exists():
        raise InputError(str(path), "derived table not found", fix)
    try:
        provenance.verify(path)
    except ValueError as exc:
        raise InputError(str(path), str(exc), fix) from None
    frame = pd.read_csv(path, **read_kw)
    return schemas.validate(frame, schema, str(path))


def registry_facts(source_id: str) -> dict[str, str]:
    """Return what the source registry says about a source, as provenance records carry it."""
    from analysis.sources import registry  # lazy: the registry imports readers lazily too

    record = registry.get(source_id)
    return {k: getattr(record, k) for k in ("producer", "title", "citation", "url", "licence",
                                            "unit", "caveat", "kind")}


def write_derived(result: Derived, out_dir: Path, name: str, module: str, citation: dict,
                  schema: str, report_title: str) -> list[Path]:
    """Write a table, its provenance record and (if rows were quarantined) a report, atomically.

    The record holds the registry's facts about the source, overridden by ``citation`` (the
    table's own title and caveat), the inputs' checksums, the reader and the row counts.

    Everything is written into a temporary folder beside the targets first; only when all of
    it is written are the files moved into place with :func:`os.replace`, so a failure never
    leaves a half-written table or a record that does not match its table.

    Returns:
        The paths written (table, record and, if any rows were quarantined, the report).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = name.removesuffix(".csv")
    report = out_dir / f"{stem}_report.md"
    tmp = Path(tempfile.mkdtemp(prefix=f".{stem}-", dir=out_dir))
    try:
        table = tmp / name
        result.table.to_csv(table, index=False, lineterminator="\n")
        record = {**registry_facts(citation["source"]), **citation,
                  "schema": f"{module}.{schema}",
                  "inputs": [{"file": p.name, "sha256": provenance.sha256(p),
                              "bytes": p.stat().st_size} for p in result.inputs],
                  "reader": f"{module} {READER_VERSION} (analysis {analysis.__version__})",
                  "rows": len(result.table), "rows_quarantined": len(result.quarantine),
                  **{k: v for k, v in result.meta.items() if isinstance(v, int | str)},
                  "regenerate": f"python -m analysis derive {module.rsplit('.', 1)[-1]} "
                                f"{_shown(result.source or result.inputs[0])}"}
        moves = [(table, out_dir / name),
                 (provenance.write_record(table, record), provenance.record_path(out_dir / name))]
        if len(result.quarantine):
            (tmp / report.name).write_text(render_report(result, report_title,
                                                         citation.get("caveat", "")))
            moves.append((tmp / report.name, report))
        for src, dst in moves:
            os.replace(src, dst)
        if not len(result.quarantine):
            report.unlink(missing_ok=True)  # a report from an older run would mislead
        return [dst for _, dst in moves]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _shown(path: Path) -> str:
    """Show a path as the rebuild command takes it: relative to the project root if possible."""
    try:
        return "../" + Path(path).resolve().relative_to(paths.ROOT.parent).as_posix()
    except ValueError:
        return str(path)


def render_report(result: Derived, title: str, caveat: str = "", examples: int = 5) -> str:
    """Render a short Markdown account: inputs, rows read, used, quarantined by reason."""
    lines = [f"# {title}", "", *([f"> {caveat}", ""] if caveat else [])]
    lines += [f"- input `{p.name}`: sha256 `{provenance.sha256(p)}`" for p in result.inputs]
    lines += [f"- {k}: {v}" for k, v in result.meta.items()]
    lines += ["", f"- rows in the tidy table: {len(result.table):,}",
              f"- rows quarantined: {len(result.quarantine):,}", "", "## Quarantine by reason",
              "", "| reason | rows | examples (row: value) |", "|---|---:|---|"]
    for reason, grp in result.quarantine.groupby("reason", sort=True):
        grp = grp.drop_duplicates(["row", "raw_value"])  # one line of two WDI files
        shown = ", ".join(f"{r}: {v}" for r, v in zip(grp["row"][:examples],
                                                       grp["raw_value"][:examples], strict=True))
        n = int((result.quarantine["reason"] == reason).sum())
        lines.append(f"| {reason} | {n:,} | {shown} |")
    return "\n".join(lines) + "\n"
