"""Journal presets (screen, single 89 mm, double 183 mm) and checks for clipped or tiny text."""

from __future__ import annotations

import contextlib
import functools
import math
from dataclasses import dataclass
from pathlib import Path

MM_PER_INCH = 25.4
PT_PER_INCH = 72.0
#: Smallest text journals accept at print size (Nature, Science, Elsevier ask for 5-7 pt;
#: 6 pt is the floor the project holds itself to).
MIN_PRINT_PT = 6.0


@dataclass(frozen=True)
class Preset:
    """A target size for figures.

    Attributes:
        name: ``screen``, ``single`` or ``double``.
        width_mm: Printed width; ``None`` keeps the figure's own width (screen).
        font_scale: Factor applied to every font size (large figures shrink their
            titles more than their notes, see ``min_pt``).
        min_pt: Smallest font size after scaling, in points at print size.
        max_pt: Largest font size after scaling.
        max_height_mm: Tallest figure the journal page allows.
    """

    name: str
    width_mm: float | None
    font_scale: float
    min_pt: float
    max_pt: float
    max_height_mm: float | None = None

    @property
    def width_in(self) -> float | None:
        """Printed width in inches (``None`` for screen)."""
        return None if self.width_mm is None else self.width_mm / MM_PER_INCH


#: Single and double column widths are the common ones (Nature: 89 and 183 mm; Elsevier
#: 90 and 190 mm; the smaller is used). Page height 247 mm is Nature's maximum.
PRESETS = {
    "screen": Preset("screen", None, 1.0, 7.5, 14.0),
    "single": Preset("single", 89.0, 0.7, MIN_PRINT_PT, 8.0, 247.0),
    "double": Preset("double", 183.0, 0.8, MIN_PRINT_PT, 9.0, 247.0),
}


def get(preset: str | Preset) -> Preset:
    """Return a preset by name (or the preset itself).

    Raises:
        analysis.errors.InputError: Unknown preset name.
    """
    if isinstance(preset, Preset):
        return preset
    if preset not in PRESETS:
        from analysis.errors import InputError

        raise InputError("figure preset", f"unknown preset {preset!r}",
                         f"use one of: {', '.join(PRESETS)}")
    return PRESETS[preset]


def _texts(fig) -> list:
    """Every non-empty Text a draw of the figure actually renders (tick labels included).

    ``findobj`` would also return stale tick labels outside the view limits and the tick
    labels of axes drawn with ``set_axis_off``, which never reach the page; recording the
    texts during a real draw gives exactly what is printed.
    """
    from matplotlib.text import Text

    drawn = []
    original = Text.draw

    def record(self, renderer):
        if self.get_visible() and self.get_text().strip():
            drawn.append(self)
        return original(self, renderer)

    Text.draw = record
    try:
        fig.canvas.draw()
    finally:
        Text.draw = original
    return list(dict.fromkeys(drawn))


def _scaled(size: float, p: Preset) -> float:
    return float(min(p.max_pt, max(p.min_pt, size * p.font_scale)))


def apply(fig, preset: str | Preset = "double"):
    """Resize a finished figure to a preset and scale its text to stay readable in print.

    The width becomes the preset's column width, the height keeps the aspect ratio (capped
    at the page height), and every font size is scaled and then clamped to
    ``[min_pt, max_pt]``, so the smallest text is at least 6 pt at print size.

    Args:
        fig: A matplotlib Figure (drawn or not).
        preset: A name from :data:`PRESETS` or a :class:`Preset`.

    Returns:
        The same figure, for chaining.
    """
    p = get(preset)
    if p.width_in is not None:
        w, h = fig.get_size_inches()
        height = h * p.width_in / w
        if p.max_height_mm is not None:
            height = min(height, p.max_height_mm / MM_PER_INCH)
        fig.set_size_inches(p.width_in, height)
    texts = _texts(fig)
    ticks = set()
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            labels = axis.get_ticklabels() + axis.get_ticklabels(minor=True)
            ticks.update(id(t) for t in labels)
            if labels:
                # tick_params, not the Text objects: ticks made at a later redraw keep it.
                axis.set_tick_params(labelsize=_scaled(labels[0].get_fontsize(), p))
    for text in texts:
        if id(text) not in ticks:
            text.set_fontsize(_scaled(text.get_fontsize(), p))
    # Notes wrapped for the old width would now run off the page: let matplotlib re-wrap
    # them at the figure's edge when drawing.
    for item in text_outside_figure(fig):
        item["artist"].set_wrap(True)
    return fig


def rc_params(preset: str | Preset = "double", aspect: float = 0.6) -> dict:
    """Return rcParams that make new figures born at a preset's width and font sizes.

    Args:
        preset: A name from :data:`PRESETS` or a :class:`Preset`.
        aspect: Height as a share of the width for the default figure size.
    """
    import matplotlib as mpl

    p = get(preset)
    out = {}
    if p.width_in is not None:
        out["figure.figsize"] = (p.width_in, p.width_in * aspect)
    for key in ("font.size", "axes.titlesize", "axes.labelsize", "legend.fontsize",
                "xtick.labelsize", "ytick.labelsize", "figure.titlesize"):
        size = mpl.font_manager.FontProperties(size=mpl.rcParams[key]).get_size_in_points()
        out[key] = _scaled(size, p)
    return out


@contextlib.contextmanager
def use(preset: str | Preset = "double", aspect: float = 0.6):
    """Context manager: figures created inside are sized and lettered for ``preset``.

    Args:
        preset: A name from :data:`PRESETS` or a :class:`Preset`.
        aspect: Height as a share of the width for the default figure size.
    """
    import matplotlib.pyplot as plt

    with plt.rc_context(rc_params(preset, aspect)):
        yield get(preset)


def text_outside_figure(fig, tolerance_pt: float = 0.5) -> list[dict]:
    """Texts whose drawn box leaves the figure (what a saved page would clip).

    Uses matplotlib's own renderer, so the extents are exact. Valid for
    ``savefig.bbox: standard`` (the project's style), where the page is the figure.

    Args:
        fig: A matplotlib Figure.
        tolerance_pt: Overhang ignored, in points.

    Returns:
        One dict per offending text: ``text``, ``bbox`` (x0, y0, x1, y1 in points from the
        lower-left corner), ``page`` (width, height in points) and ``artist`` (the Text).
    """
    texts = _texts(fig)
    renderer = fig.canvas.get_renderer()
    scale = PT_PER_INCH / fig.dpi
    page = (fig.bbox.width * scale, fig.bbox.height * scale)
    out = []
    for t in texts:
        b = t.get_window_extent(renderer)
        box = (b.x0 * scale, b.y0 * scale, b.x1 * scale, b.y1 * scale)
        if _outside(box, page, tolerance_pt):
            out.append({"text": t.get_text(), "bbox": tuple(round(float(v), 1) for v in box),
                        "page": tuple(round(float(v), 1) for v in page), "artist": t})
    return out


def _outside(box, page, tol) -> bool:
    x0, y0, x1, y1 = box
    return x0 < -tol or y0 < -tol or x1 > page[0] + tol or y1 > page[1] + tol


#: Share of the font size a glyph box reaches above (cap height) and below (descender) the
#: baseline, and an average advance used only for a font matplotlib does not know (kept
#: low, so the estimate errs towards missing a clip rather than inventing one).
_ASCENT, _DESCENT, _ADVANCE = 0.72, 0.22, 0.45
#: Content-stream tokens pypdf may read per page when checking a figure.
PDF_TOKEN_BUDGET = 100_000_000


def _pdf_runs(pdf_path: str | Path) -> list[dict]:
    """Text runs of every page with their position, direction and size in PDF points."""
    import pypdf

    reader = pypdf.PdfReader(str(pdf_path))
    runs = []
    for number, page in enumerate(reader.pages, start=1):
        box = page.mediabox
        origin = (float(box.left), float(box.bottom))
        size = (float(box.width), float(box.height))

        def visit(text, cm, tm, font_dict, font_size, number=number, origin=origin, size=size):
            if not text.strip():
                return
            m = _multiply(tm, cm)
            scale = math.sqrt(abs(m[0] * m[3] - m[1] * m[2]))
            font = str((font_dict or {}).get("/BaseFont", ""))
            runs.append({"page": number, "text": text.strip(), "x": m[4] - origin[0],
                         "y": m[5] - origin[1], "dir": (m[0], m[1]), "up": (m[2], m[3]),
                         "size": font_size * scale, "scale": scale, "page_size": size,
                         "font": font.rsplit("+", 1)[-1].lstrip("/")})

        # A world map is millions of path tokens; pypdf's default budget (2 million, a guard
        # against hostile files) stops there. These are the project's own figures.
        with pypdf.apply_configuration(stream_parsing_work_maximum_count=PDF_TOKEN_BUDGET):
            page.extract_text(visitor_text=visit)
    return runs


def _multiply(a, b) -> list[float]:
    """Product of two PDF matrices [a b c d e f] (a applied first)."""
    return [a[0] * b[0] + a[1] * b[2], a[0] * b[1] + a[1] * b[3],
            a[2] * b[0] + a[3] * b[2], a[2] * b[1] + a[3] * b[3],
            a[4] * b[0] + a[5] * b[2] + b[4], a[4] * b[1] + a[5] * b[3] + b[5]]


def text_outside_page(pdf_path: str | Path, tolerance_pt: float = 0.5) -> list[dict]:
    """Texts of a PDF that fall (partly) outside their page, read back with pypdf.

    Each run's box is its baseline origin and direction from the text and current
    matrices, ``_ASCENT``/``_DESCENT`` of the size above and below, and its advance along
    the baseline measured with the embedded font (matplotlib's copy of it; an estimate on
    the low side for a font matplotlib does not have).

    Args:
        pdf_path: The PDF to check.
        tolerance_pt: Overhang ignored, in points.

    Returns:
        One dict per offending run: ``page``, ``text``, ``bbox`` (points), ``page_size``.
    """
    out = []
    for r in _pdf_runs(pdf_path):
        unit_dir = _unit(r["dir"])
        unit_up = _unit(r["up"])
        length = _advance(r["text"], r["font"], r["size"])
        corners = []
        for along in (0.0, length):
            for up in (-_DESCENT * r["size"], _ASCENT * r["size"]):
                corners.append((r["x"] + along * unit_dir[0] + up * unit_up[0],
                                r["y"] + along * unit_dir[1] + up * unit_up[1]))
        xs, ys = zip(*corners, strict=True)
        box = (min(xs), min(ys), max(xs), max(ys))
        if _outside(box, r["page_size"], tolerance_pt):
            out.append({"page": r["page"], "text": r["text"],
                        "bbox": tuple(round(v, 1) for v in box), "page_size": r["page_size"]})
    return out


@functools.cache
def _font_files() -> dict[str, str]:
    """PostScript name -> file of every font matplotlib knows (what its PDFs embed)."""
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    out = {}
    for entry in font_manager.fontManager.ttflist:
        try:
            out.setdefault(FT2Font(entry.fname).postscript_name, entry.fname)
        except (OSError, RuntimeError):  # a font file matplotlib lists but cannot open
            continue
    return out


def _advance(text: str, font: str, size: float) -> float:
    """Width in points of a run: measured with the embedded font when matplotlib has it."""
    from matplotlib.ft2font import FT2Font

    path = _font_files().get(font)
    if path is None:
        return _ADVANCE * size * len(text)
    face = FT2Font(path)
    face.set_size(size, PT_PER_INCH)
    face.set_text(text, 0.0)
    return face.get_width_height()[0] / 64.0  # 26.6 fixed point


def _unit(v) -> tuple[float, float]:
    n = math.hypot(*v) or 1.0
    return v[0] / n, v[1] / n


def smallest_font_pt(source, width_mm: float) -> float:
    """Smallest font size, in points, once the figure is printed ``width_mm`` wide.

    Args:
        source: A matplotlib Figure, or the path of a PDF it was saved to.
        width_mm: Printed width (e.g. 183 for a double column).

    Returns:
        The smallest text size at that print width.

    Raises:
        analysis.errors.InputError: The PDF has no text to measure.
    """
    if isinstance(source, str | Path):
        runs = _pdf_runs(source)
        if not runs:
            from analysis.errors import InputError

            raise InputError(str(source), "no text found in the PDF",
                             "save the figure with text as text (pdf.fonttype 42), not paths")
        return min(r["size"] * (width_mm / MM_PER_INCH * PT_PER_INCH) / r["page_size"][0]
                   for r in runs)
    factor = (width_mm / MM_PER_INCH) / source.get_figwidth()
    return min(t.get_fontsize() for t in _texts(source)) * factor
