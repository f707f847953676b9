"""Small-cell protection: primary and secondary suppression of count tables, safe table export."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

#: CTDC's k-anonymity threshold: no group from case records below it may be shown.
K_CASE = 11
#: UNODC's practice for published aggregates: flows below it are not drawn.
K_AGGREGATE = 5
#: How a suppressed cell is written in exported CSV files.
SUPPRESSED = "suppressed"


def suppress(table: pd.DataFrame | pd.Series, k: int = K_CASE, margins: bool = True,
             total: str = "Total") -> pd.DataFrame:
    """Suppress small cells of a 2-D count table, then enough others that none can be derived.

    Primary suppression hides every cell (totals included) with ``0 < count < k``.
    Secondary suppression: when totals are shown, each row and each column is an
    equation (its cells sum to its total); an equation with exactly one hidden term
    gives that term away, so the smallest other positive cell of that row or column
    (else a zero, else its total) is hidden too, until no equation has exactly one.

    Args:
        table: Counts, rows x columns, without totals (a Series is one column).
        k: Smallest group that may be shown (11 for case records, 5 for aggregates).
        margins: Add and show a total row and column (they make secondary suppression
            necessary); ``False`` applies primary suppression only.
        total: Label of the total row and column.

    Returns:
        The table as Int64 with suppressed cells as ``<NA>``; ``attrs`` holds ``k``,
        ``margins``, ``total``, and the number of ``primary`` and ``secondary`` cells.

    Raises:
        ValueError: A cell is negative or not a whole number.
    """
    frame = table.to_frame() if isinstance(table, pd.Series) else table.copy()
    values = frame.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    if np.isnan(values).any() or (values < 0).any() or (values % 1 != 0).any():
        raise ValueError("suppress() needs whole, non-negative counts in every cell")
    if margins:
        values = _with_margins(values)
    hidden = (values > 0) & (values < k)
    primary = int(hidden.sum())
    if margins:
        hidden = _secondary(values, hidden)
    out = pd.DataFrame(values.astype(np.int64), columns=_labels(frame.columns, margins, total),
                       index=_labels(frame.index, margins, total)).astype("Int64")
    out = out.mask(hidden)
    out.attrs.update({"k": k, "margins": margins, "total": total, "primary": primary,
                      "secondary": int(hidden.sum()) - primary})
    return out


def _with_margins(values: np.ndarray) -> np.ndarray:
    """Append the row totals, column totals and grand total."""
    rows = np.column_stack([values, values.sum(axis=1)])
    return np.vstack([rows, rows.sum(axis=0)])


def _labels(index: pd.Index, margins: bool, total: str) -> pd.Index:
    return pd.Index([*index, total], name=index.name) if margins else index


def _secondary(values: np.ndarray, hidden: np.ndarray) -> np.ndarray:
    """Hide more cells until no row or column equation has exactly one hidden term."""
    hidden = hidden.copy()
    changed = True
    while changed:
        changed = False
        for axis in (0, 1):
            view_v = values if axis == 0 else values.T
            view_h = hidden if axis == 0 else hidden.T  # a view: writes reach ``hidden``
            for line in range(view_v.shape[0]):
                if view_h[line].sum() == 1:
                    view_h[line, _complement(view_v[line], view_h[line])] = True
                    changed = True
    return hidden


def _complement(values: np.ndarray, hidden: np.ndarray) -> int:
    """Pick the cell to hide beside a lone hidden one: smallest positive, then zero, then total."""
    inner = np.arange(len(values) - 1)  # the last cell is the line's total
    open_inner = inner[~hidden[:-1]]
    positive = open_inner[values[open_inner] > 0]
    if len(positive):
        return int(positive[np.argmin(values[positive])])
    if len(open_inner):
        return int(open_inner[0])
    return len(values) - 1


def audit(table: pd.DataFrame, k: int, margins: bool | None = None) -> list[str]:
    """List what a table would disclose: shown cells under ``k``, and derivable hidden cells.

    Args:
        table: A table whose hidden cells are missing values (as :func:`suppress` returns).
        k: Threshold.
        margins: Whether the last row and column are totals (default: ``table.attrs``).

    Returns:
        Problems found, one sentence each (empty when the table is safe to show).
    """
    margins = table.attrs.get("margins", False) if margins is None else margins
    numeric = table.apply(pd.to_numeric, errors="coerce")
    values = numeric.to_numpy(dtype=float)
    problems = [f"cell ({r}, {c}) shows {int(v)}, below {k}" for r, c, v in
                _cells(numeric) if 0 < v < k]
    if margins:
        hidden = np.isnan(values)
        for axis, labels in ((0, numeric.index), (1, numeric.columns)):
            counts = hidden.sum(axis=1 - axis)
            problems += [f"{'row' if axis == 0 else 'column'} {labels[i]!r} has one hidden "
                         "cell, which its total gives away" for i in np.flatnonzero(counts == 1)]
    return problems


def _cells(numeric: pd.DataFrame):
    stacked = numeric.stack(future_stack=True).dropna()
    return [(r, c, v) for (r, c), v in stacked.items()]


def export_table(table: pd.DataFrame, name: str, kind: str, *, count: str | None = None,
                 allow_small_cells: bool = False, inputs: list[str | Path] = (),
                 params: dict | None = None, out_dir: str | Path | None = None,
                 notes: str = "", index: bool = True) -> list[Path]:
    """Write a table as CSV plus ``<name>.json`` (sidecar), after the disclosure check.

    The check is the one figures go through (:func:`analysis.export.check_disclosure`):
    for ``case`` data no shown cell may be under 11 and, when the table has totals, no
    hidden cell may be derivable from them; ``aggregate`` data keeps the at-least-5 rule.
    Nothing is written when the check fails. Suppressed cells are written as
    ``suppressed``.

    Args:
        table: The table to publish (e.g. the output of :func:`suppress`, or a long table
            with one shown count per row).
        name: File stem.
        kind: ``case`` or ``aggregate``.
        count: Column holding the shown counts in a long table; ``None`` checks every
            numeric cell.
        allow_small_cells: Explicit override, written into the sidecar.
        inputs: Data files the table came from (checksums go into the sidecar).
        params: Parameters that shaped the table.
        out_dir: Folder (default :func:`analysis.paths.figures_dir`).
        notes: Caveats to keep with the table.
        index: Write the row labels.

    Returns:
        The CSV path and the sidecar path.

    Raises:
        analysis.export.DisclosureError: The table would show a small group.
    """
    from analysis import export, paths, provenance

    record = export.check_disclosure(table, kind, count=count,
                                     allow_small_cells=allow_small_cells)
    for key in ("primary", "secondary"):
        if key in table.attrs:
            record[f"suppressed_{key}"] = table.attrs[key]
    out = Path(out_dir or paths.figures_dir())
    out.mkdir(parents=True, exist_ok=True)
    csv_path = out / f"{name}.csv"
    _write_atomic(csv_path, table.to_csv(index=index, na_rep=SUPPRESSED, lineterminator="\n"))
    sidecar = {
        "table": name,
        "files": {"csv": provenance.sha256(csv_path)},
        "inputs": {Path(i).name: provenance.sha256(Path(i)) for i in inputs if Path(i).exists()},
        "parameters": params or {},
        "disclosure": record,
        "code_version": export.code_version(),
        "notes": notes,
    }
    side = out / f"{name}.json"
    _write_atomic(side, json.dumps(sidecar, indent=2, sort_keys=True, default=str) + "\n")
    return [csv_path, side]


def _write_atomic(path: Path, text: str) -> None:
    """Write through a temporary file in the same folder, then rename (never a half file)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
