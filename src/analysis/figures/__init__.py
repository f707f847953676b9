"""Figures: one style, one function per figure; saving goes through analysis.export."""

from __future__ import annotations

from pathlib import Path

from analysis.figures.palette import GROUP_COLOURS, GROUP_STYLES

__all__ = ["GROUP_COLOURS", "GROUP_STYLES", "STYLE", "country", "figsize", "group",
           "localised", "source_texts", "text", "use_preset", "use_style", "wrap"]

STYLE = Path(__file__).with_name("styles") / "routes.mplstyle"
#: The journal preset new figures are born for (None: their own screen size). Set once per
#: notebook with :func:`use_preset`, so notes are wrapped for the width they will print at.
_TARGET: dict[str, str | None] = {"preset": None}


def use_preset(preset: str | None = None) -> None:
    """Make new figures born at a preset's column width (None: their screen size).

    :func:`analysis.export.save` with the same ``preset`` then only scales the fonts; a
    figure drawn at screen width and shrunk afterwards would carry notes wrapped for the
    wider page.

    Raises:
        analysis.errors.InputError: Unknown preset name.
    """
    from analysis.figures import presets

    _TARGET["preset"] = None if preset is None else presets.get(preset).name


def figsize(width: float, height: float) -> tuple[float, float]:
    """Return a figure size: as given, or scaled to the active preset's width (same aspect).

    Args:
        width: Width in inches at screen size.
        height: Height in inches at screen size.
    """
    from analysis.figures import presets

    if _TARGET["preset"] is None:
        return (width, height)
    p = presets.get(_TARGET["preset"])
    if p.width_in is None:
        return (width, height)
    tall = height * p.width_in / width
    if p.max_height_mm is not None:
        tall = min(tall, p.max_height_mm / presets.MM_PER_INCH)
    return (p.width_in, tall)


def use_style(lang: str = "en") -> None:
    """Apply the project's figure style (Type 42 fonts, fixed DPI) to matplotlib.

    Args:
        lang: ``ja`` also makes IPAexGothic the font (embedded as TrueType), so Japanese
            text never falls back to a font without its glyphs.

    Raises:
        analysis.errors.InputError: Unknown language.
    """
    import matplotlib

    from analysis import i18n

    matplotlib.use("Agg", force=False) if not _interactive() else None
    import matplotlib.pyplot as plt

    i18n.label("group.japan", lang)  # checks the language before anything changes
    plt.style.use(STYLE)
    if lang == "ja":
        i18n.use_japanese_font()


def text(key: str, lang: str = "en", **fields) -> str:
    """Return a figure text in ``lang`` (see :func:`analysis.i18n.label`)."""
    from analysis import i18n

    return i18n.label(key, lang, **fields)


def country(iso3: str, lang: str = "en") -> str:
    """Return a country's display name in ``lang`` (see :func:`analysis.i18n.country_name`)."""
    from analysis import i18n

    return i18n.country_name(iso3, lang)


def group(name: str, lang: str = "en") -> str:
    """Return a destination group's display name in ``lang``."""
    from analysis import i18n

    return i18n.group_name(name, lang)


def localised(key: str, lang: str, english: str, **fields) -> str:
    """Return ``english`` for English, else the label ``key`` in ``lang`` when the table has it.

    For texts that come from elsewhere in English (a source's record, a caller's argument):
    the English stays exactly as given, and a language without a row keeps the English
    (IPAexGothic has Latin glyphs, so nothing prints as a box).
    """
    from analysis import i18n

    if lang == "en" or key not in i18n.labels().index:
        return english
    return i18n.label(key, lang, **fields)


def source_texts(source: str, lang: str = "en") -> tuple[str, str, str]:
    """Return a registered source's unit, caveat and source line in ``lang``.

    Raises:
        analysis.errors.InputError: The source is not registered.
    """
    from analysis.sources import registry

    record = registry.get(source)
    caveat_key = "caveat.detections" if record.id == "glotip" else f"caveat.{record.id}"
    return (localised(f"unit.{record.id}", lang, record.unit),
            localised(caveat_key, lang, record.caveat),
            localised(f"source.{record.id}", lang, record.note))


def wrap(text_: str, width: int, lang: str = "en") -> str:
    """Wrap a note to ``width`` half-width cells (Japanese has no spaces to break at)."""
    from analysis import i18n

    return i18n.wrap(text_, width)


def _interactive() -> bool:
    try:
        from IPython import get_ipython

        return get_ipython() is not None
    except ImportError:
        return False
