"""The one export path: disclosure control, then PDF/SVG/PNG plus a sidecar."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

import pandas as pd

import analysis
from analysis import paths, provenance
from analysis.disclosure import K_AGGREGATE, K_CASE, audit

FORMATS = ("pdf", "svg", "png")


def threshold(kind: str) -> int:
    """Return the smallest count an export may show for data of this kind."""
    return K_CASE if kind == "case" else K_AGGREGATE


class DisclosureError(ValueError):
    """An export would reveal a group small enough to identify someone."""


def check_disclosure(data: pd.DataFrame | None, kind: str, count: str | None = "value_low",
                     allow_small_cells: bool = False) -> dict[str, Any]:
    """Refuse an export whose data shows a group below the threshold for its kind.

    Args:
        data: The table a figure or table export shows (one row per shown cell), or None.
        kind: ``case`` (from case records: k = 11) or ``aggregate`` (published counts:
            flows below 5 are not drawn).
        count: The column holding each shown cell's count (suppressed cells are NaN);
            ``None`` checks every numeric cell of a 2-D table (see
            :func:`analysis.disclosure.suppress`), and for case data with totals also
            that no hidden cell can be derived from them.
        allow_small_cells: Explicit override; it is recorded in the sidecar.

    Returns:
        The disclosure record for the sidecar.

    Raises:
        DisclosureError: A shown cell is positive and below the threshold.
    """
    k = threshold(kind)
    record = {"kind": kind, "threshold": k, "override": bool(allow_small_cells)}
    if data is not None and count is None:
        return _check_wide(data, kind, k, record)
    if data is None or count not in getattr(data, "columns", []):
        record["checked"] = False
        return record
    values = pd.to_numeric(data[count], errors="coerce")
    small = data[(values > 0) & (values < k)]
    record.update({"checked": True, "cells": int(values.notna().sum()),
                   "small_cells": int(len(small))})
    if len(small) and not allow_small_cells:
        raise DisclosureError(
            f"{len(small)} shown cell(s) below {k} ({kind} data); suppress them first "
            f"(analysis.disclosure) or pass allow_small_cells=True to override on record. "
            f"First: {small.head(3).to_dict('records')}")
    return record


def _check_wide(data: pd.DataFrame, kind: str, k: int, record: dict) -> dict[str, Any]:
    """Check every numeric cell of a 2-D table (and, for case data, its totals' equations)."""
    problems = audit(data, k, margins=data.attrs.get("margins", False) and kind == "case")
    numeric = data.apply(pd.to_numeric, errors="coerce")
    record.update({"checked": True, "cells": int(numeric.notna().sum().sum()),
                   "hidden_cells": int(numeric.isna().sum().sum()),
                   "small_cells": sum("below" in p for p in problems),
                   "derivable_cells": sum("gives away" in p for p in problems)})
    if problems and not record["override"]:
        raise DisclosureError(
            f"{len(problems)} disclosure problem(s) ({kind} data, k = {k}): "
            f"{'; '.join(problems[:3])}. Suppress with analysis.disclosure.suppress(table, "
            f"k={k}) or pass allow_small_cells=True to override on record.")
    return record


def code_version() -> str:
    """Return the package version plus the git commit (and ``+dirty``) when available."""
    try:
        sha = subprocess.run(["git", "-C", str(paths.ROOT), "rev-parse", "--short", "HEAD"],
                             capture_output=True, text=True, timeout=5).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(paths.ROOT), "status", "--porcelain",
                                "--untracked-files=no"], capture_output=True, text=True,
                               timeout=5).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        sha, dirty = "", ""
    return f"{analysis.__version__}" + (f"+{sha}" if sha else "") + ("-dirty" if dirty else "")


def save(fig, name: str, *, inputs: list[str | Path] = (), params: dict | None = None,
         data: pd.DataFrame | None = None, kind: str = "aggregate", count: str = "value_low",
         allow_small_cells: bool = False, out_dir: str | Path | None = None,
         notes: str = "") -> list[Path]:
    """Save a figure as PDF, SVG and PNG plus ``<name>.json`` (the sidecar).

    The same inputs give byte-identical files: creation dates are left out of the PDF
    and SVG metadata and the SVG id salt is fixed by the style.

    Args:
        fig: A matplotlib Figure.
        name: File stem, e.g. ``routes-map-all-years``.
        inputs: Data files the figure was made from; their checksums go into the sidecar.
        params: Notebook or function parameters that shaped the figure.
        data: The table the figure shows, checked for small cells before anything is written.
        kind: ``aggregate`` or ``case`` (see :func:`check_disclosure`).
        count: Column of ``data`` holding the shown counts.
        allow_small_cells: Explicit override of the disclosure rule, written into the sidecar.
        out_dir: Folder (default :func:`analysis.paths.figures_dir`).
        notes: Caveats to keep with the figure (e.g. detections are not prevalence).

    Returns:
        The written paths, the sidecar last.
    """
    disclosure = check_disclosure(data, kind, count, allow_small_cells)
    out = Path(out_dir or paths.figures_dir())
    out.mkdir(parents=True, exist_ok=True)
    written = []
    meta = {"pdf": {"CreationDate": None, "ModDate": None}, "svg": {"Date": None},
            "png": {}}
    for fmt in FORMATS:
        path = out / f"{name}.{fmt}"
        fig.savefig(path, format=fmt, metadata=meta[fmt])
        written.append(path)
    sidecar = {
        "figure": name,
        "files": {p.suffix[1:]: provenance.sha256(p) for p in written},
        "inputs": {str(Path(i).name): provenance.sha256(Path(i)) for i in inputs
                   if Path(i).exists()},
        "parameters": params or {},
        "disclosure": disclosure,
        "code_version": code_version(),
        "notes": notes,
    }
    side = out / f"{name}.json"
    side.write_text(json.dumps(sidecar, indent=2, sort_keys=True, default=str) + "\n")
    written.append(side)
    return written
