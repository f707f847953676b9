"""The one writing path: checked figures and tables, saved atomically with a sidecar."""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from analysis import i18n, provenance
from analysis.disclosure import SUPPRESSED, DisclosureError, check_export
from analysis.errors import InputError
from analysis.i18n import LANGS
from analysis.provenance import code_version

__all__ = ["FORMATS", "MODE", "DisclosureError", "code_version", "export_table", "save",
           "write_text"]

FORMATS = ("pdf", "svg", "png")
#: Every file the project writes is readable by all (mkstemp alone would leave 0600).
MODE = 0o644


class _Stage:
    """Files written to temporary names in their folder, renamed together on commit.

    A reader never sees a half-written file, and a failure leaves the folder as it was:
    nothing is renamed until every file (the sidecar last) is complete.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.temps: dict[Path, Path] = {}

    def __enter__(self) -> _Stage:
        self.folder.mkdir(parents=True, exist_ok=True)
        return self

    def add(self, name: str, write: Callable[[Path], None]) -> Path:
        """Write one file through ``write(temp_path)``; return the temporary path."""
        fd, tmp = tempfile.mkstemp(dir=self.folder, prefix=f".{name}.", suffix=".tmp")
        os.close(fd)
        temp = Path(tmp)
        self.temps[self.folder / name] = temp
        write(temp)
        os.chmod(temp, MODE)
        return temp

    def commit(self) -> list[Path]:
        for final, temp in self.temps.items():
            os.replace(temp, final)
        done = list(self.temps)
        self.temps = {}
        return done

    def __exit__(self, *exc) -> None:
        for temp in self.temps.values():  # not committed: remove the partial files
            temp.unlink(missing_ok=True)


def write_text(path: str | Path, text: str) -> Path:
    """Write a text file atomically (temporary file in the same folder, then rename), 0644."""
    path = Path(path)
    with _Stage(path.parent) as stage:
        stage.add(path.name, lambda p: p.write_text(text, encoding="utf-8"))
        return stage.commit()[0]


def _sidecar(stage: _Stage, name: str, what: dict[str, Any], inputs, params, record,
             notes: str) -> None:
    body = {
        **what,
        "inputs": {Path(i).name: provenance.sha256(Path(i)) for i in inputs if Path(i).exists()},
        "parameters": params or {},
        "disclosure": record,
        "code_version": code_version(),
        "notes": notes,
    }
    text = json.dumps(body, indent=2, sort_keys=True, default=str) + "\n"
    stage.add(f"{name}.json", lambda p: p.write_text(text, encoding="utf-8"))


def save(fig, name: str, *, out_dir: str | Path, kind: str, data: pd.DataFrame | None = None,
         count: str | None = "value_low", allow_small_cells: bool = False,
         inputs: list[str | Path] = (), params: dict | None = None,
         notes: str = "", preset: str | None = None, lang: str = "en") -> list[Path]:
    """Save a figure as PDF, SVG and PNG plus ``<name>.json`` (the sidecar), atomically.

    The data the figure shows is checked first (:func:`analysis.disclosure.check_export`);
    nothing is written when it fails. The figure is then sized for ``preset``
    (:func:`analysis.figures.presets.apply`) and drawn inside
    :func:`analysis.i18n.missing_glyphs_as_errors`; the PDF is read back and the save is
    refused, nothing renamed into place, when any text lies outside its page or (for the
    print presets) the smallest text is under 6 pt at the column width. The same inputs
    give byte-identical files: creation dates are left out of the PDF and SVG metadata and
    the SVG id salt is fixed by the style.

    Args:
        fig: A matplotlib Figure.
        name: File stem, e.g. ``routes-map-all-years`` (``-ja`` is appended for Japanese).
        out_dir: Folder to write to.
        kind: ``case``, ``aggregate`` or ``covariate`` (or a registered source id).
        data: The table the figure shows (``None`` only for covariate figures).
        count: Column of ``data`` holding the shown counts (``None``: a two-way table).
        allow_small_cells: Explicit override of the disclosure rule, written into the sidecar.
        inputs: Data files the figure was made from; their checksums go into the sidecar.
        params: Notebook or function parameters that shaped the figure.
        notes: Caveats to keep with the figure (e.g. detections are not prevalence).
        preset: ``screen``, ``single`` or ``double`` (None: the figure as drawn, checked
            like ``screen``).
        lang: Language of the figure's texts, ``en`` or ``ja``; recorded in the sidecar.

    Returns:
        The written paths, the sidecar last.

    Raises:
        analysis.errors.InputError: The data cannot be checked (unknown kind, no data, no
            such count column), an unknown preset or language, a glyph missing from the
            font, text outside the page, or text under 6 pt at print size.
        DisclosureError: The figure would show or give away a small group.
    """
    from analysis.figures import presets

    record = check_export(data, kind, count, allow_small_cells)
    if lang not in LANGS:
        raise InputError("figure language", f"unknown language {lang!r}",
                         f"use one of: {', '.join(LANGS)}")
    chosen = presets.get(preset or "screen")
    stem = f"{name}-ja" if lang == "ja" else name
    meta = {"pdf": {"CreationDate": None, "ModDate": None}, "svg": {"Date": None}, "png": {}}
    with i18n.missing_glyphs_as_errors(), _Stage(Path(out_dir)) as stage:
        if preset is not None:
            presets.apply(fig, chosen)
        files = {}
        for fmt in FORMATS:
            temp = stage.add(f"{stem}.{fmt}", lambda p, f=fmt: fig.savefig(
                p, format=f, metadata=meta[f]))
            files[fmt] = provenance.sha256(temp)
            if fmt == "pdf":
                smallest = _check_page(temp, stem, chosen)
        what = {"figure": stem, "files": files, "preset": chosen.name, "lang": lang,
                "smallest_font_pt": round(smallest, 2), "legend_colours": legend_colours(fig)}
        _sidecar(stage, stem, what, inputs, params, record, notes)
        return stage.commit()


def _check_page(pdf: Path, stem: str, preset) -> float:
    """Refuse a PDF with text off its page or, for print presets, under 6 pt; return the min.

    Raises:
        analysis.errors.InputError: Text outside the page, or too small at print size.
    """
    from analysis.figures import presets

    outside = presets.text_outside_page(pdf)
    if outside:
        shown = "; ".join(f"{o['text'][:40]!r} at {o['bbox']}" for o in outside[:3])
        raise InputError(f"{stem}.pdf", f"{len(outside)} text(s) lie outside the "
                         f"{outside[0]['page_size']} pt page: {shown}",
                         "draw with layout='constrained' and keep legends and notes inside "
                         "the figure (fig.legend(loc='outside ...'), fig.supxlabel)")
    width_mm = preset.width_mm or (_page_width_pt(pdf) / presets.PT_PER_INCH
                                   * presets.MM_PER_INCH)
    smallest = presets.smallest_font_pt(pdf, width_mm)
    if preset.width_mm is not None and smallest < presets.MIN_PRINT_PT - 0.01:
        raise InputError(f"{stem}.pdf", f"smallest text is {smallest:.2f} pt at "
                         f"{preset.width_mm:g} mm wide (journals need at least "
                         f"{presets.MIN_PRINT_PT:g} pt)",
                         "use a larger font size for that text or draw the figure narrower")
    return smallest


def legend_colours(fig) -> list[list[str]]:
    """Return the colours of each legend's entries, in order, without repeats.

    The entries of one legend are the categories a reader tells apart by colour (groups,
    origins, series); the sidecar keeps them so a test can check every pair under
    simulated colour-vision deficiency. Dark greys up to #999999 are left out: they are ink
    for neutral keys (line widths, bounds, reference lines), never a category (the light
    grey of "Other" is kept).

    Args:
        fig: A matplotlib Figure.

    Returns:
        One list of hex colours per legend that shows any colour.
    """
    legends = [*fig.legends, *(ax.get_legend() for ax in fig.axes)]
    out = []
    for legend in legends:
        if legend is None:
            continue
        shown = []
        for handle in legend.legend_handles:
            colour = _handle_colour(handle)
            if colour is not None and not _neutral(colour) and colour not in shown:
                shown.append(colour)
        if shown:
            out.append(shown)
    return out


def _neutral(colour: str) -> bool:
    r, g, b = (int(colour[i:i + 2], 16) for i in (1, 3, 5))
    return max(r, g, b) - min(r, g, b) <= 8 and 0x20 < r <= 0x99


def _handle_colour(handle) -> str | None:
    """Return the colour a legend key shows (hex), or None for a key that shows none."""
    from matplotlib.colors import to_hex, to_rgba
    from matplotlib.lines import Line2D

    def visible(c) -> bool:
        rgba = to_rgba(c)
        return rgba[3] > 0 and rgba[:3] != (1.0, 1.0, 1.0)

    candidates = []
    if isinstance(handle, Line2D):
        if handle.get_linestyle() not in ("None", "", " ") and handle.get_linewidth() > 0:
            candidates.append(handle.get_color())
        if handle.get_marker() not in (None, "None", "", " "):
            candidates += [handle.get_markerfacecolor(), handle.get_markeredgecolor()]
    elif hasattr(handle, "get_facecolor"):
        for c in (handle.get_facecolor(), handle.get_edgecolor()):
            c = c[0] if getattr(c, "ndim", 1) == 2 and len(c) else c
            if len(c):
                candidates.append(tuple(c))
    for c in candidates:
        if visible(c):
            return to_hex(c, keep_alpha=False)
    return None


def _page_width_pt(pdf: Path) -> float:
    import pypdf

    return float(pypdf.PdfReader(str(pdf)).pages[0].mediabox.width)


def export_table(table: pd.DataFrame, name: str, kind: str, *, out_dir: str | Path,
                 count: str | None = None, allow_small_cells: bool = False,
                 inputs: list[str | Path] = (), params: dict | None = None,
                 notes: str = "", index: bool = True) -> list[Path]:
    """Write a table as CSV plus ``<name>.json`` (sidecar), after the disclosure check.

    The check is the one figures go through (:func:`analysis.disclosure.check_export`).
    Suppressed cells are written as ``suppressed``; whole-number columns as integers.

    Args:
        table: The table to publish (e.g. the output of
            :func:`analysis.disclosure.suppress`, or a long table with one shown count
            per row).
        name: File stem.
        kind: ``case``, ``aggregate`` or ``covariate`` (or a registered source id).
        out_dir: Folder to write to.
        count: Column holding the shown counts in a long table; ``None`` checks every
            cell of a two-way table.
        allow_small_cells: Explicit override, written into the sidecar.
        inputs: Data files the table came from (checksums go into the sidecar).
        params: Parameters that shaped the table.
        notes: Caveats to keep with the table.
        index: Write the row labels.

    Returns:
        The CSV path and the sidecar path.

    Raises:
        analysis.errors.InputError: The table cannot be checked.
        DisclosureError: The table would show or give away a small group.
    """
    record = check_export(table, kind, count, allow_small_cells)
    text = _whole(table).to_csv(index=index, na_rep=SUPPRESSED, lineterminator="\n")
    with _Stage(Path(out_dir)) as stage:
        temp = stage.add(f"{name}.csv", lambda p: p.write_text(text, encoding="utf-8"))
        what = {"table": name, "files": {"csv": provenance.sha256(temp)}}
        _sidecar(stage, name, what, inputs, params, record, notes)
        return stage.commit()


def _whole(table: pd.DataFrame) -> pd.DataFrame:
    """Float columns holding only whole numbers (and hidden cells) as integers, for CSV."""
    out = table.copy()
    for col in out.columns:
        s = out[col]
        if pd.api.types.is_float_dtype(s) and (s.dropna() % 1 == 0).all():
            out[col] = s.astype("Int64")
    return out
