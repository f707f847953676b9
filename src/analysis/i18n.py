"""Japanese for figures: country names (CLDR), fixed labels, the IPAexGothic font, glyph checks."""

from __future__ import annotations

import contextlib
import re
import warnings
from functools import cache
from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.errors import InputError

LANGS = ("en", "ja")
I18N = paths.DATA / "i18n"
LABELS_FILE = I18N / "labels_ja.csv"
NAMES_FILE = paths.MAPPINGS / "names_ja.csv"
LABEL_COLUMNS = ["key", "en", "ja", "status", "note"]
NAME_COLUMNS = ["iso3", "name_en", "name_ja", "source", "review", "note"]
STATUSES = ("reviewed", "unverified")
REVIEWS = ("cldr", "needs review")
#: The font matplotlib-fontja ships (IPA Font License), embedded as TrueType (Type 42).
JA_FONT = "IPAexGothic"
#: IPAexGothic alone, Latin included: with a fallback chain matplotlib 3.11 draws a missing
#: glyph as an empty box without its "missing from font" warning, so nothing would catch it.
JA_FAMILY = [JA_FONT]
#: Display-group names (``analysis.countries.DESTINATION_GROUPS``) to their label keys.
GROUP_KEYS = {
    "Japan": "group.japan",
    "Europe (EU27, UK, EFTA)": "group.europe",
    "East Asia (excl. Japan)": "group.east_asia",
    "Southeast Asia": "group.southeast_asia",
    "Gulf": "group.gulf",
    "North America": "group.north_america",
    "Oceania": "group.oceania",
    "Other": "group.other",
}
_FIELD = re.compile(r"{(\w+)")


def _fields(text: str) -> set[str]:
    return set(_FIELD.findall(text))


def _check_lang(lang: str) -> None:
    if lang not in LANGS:
        raise InputError("language", f"unknown language {lang!r}", f"use one of {LANGS}")


@cache
def labels(path: Path = LABELS_FILE) -> pd.DataFrame:
    """Read and check the label table (``key, en, ja, status, note``), indexed by key.

    Raises:
        InputError: Missing columns, a repeated or empty key, an empty translation, an
            unknown status, or placeholders that differ between ``en`` and ``ja``.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in LABEL_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(str(path), f"missing columns {missing}",
                         f"the header must be {','.join(LABEL_COLUMNS)}")
    for i, row in enumerate(table.itertuples(), start=2):  # row 1 is the header
        _check_label_row(path, i, row)
    if table.key.duplicated().any():
        dup = table.key[table.key.duplicated()].iloc[0]
        raise InputError(str(path), f"key {dup!r} appears twice", "keep one row per key",
                         column="key")
    return table.set_index("key")


def _check_label_row(path: Path, i: int, row) -> None:
    if not row.key or not row.en or not row.ja:
        raise InputError(str(path), "empty key, en or ja", "fill in the cell", row=i)
    if row.status not in STATUSES:
        raise InputError(str(path), f"status {row.status!r} is not one of {STATUSES}",
                         "write reviewed (checked by a Japanese reader) or unverified",
                         row=i, column="status")
    if _fields(row.en) != _fields(row.ja):
        raise InputError(str(path), f"placeholders of ja {sorted(_fields(row.ja))} differ "
                         f"from en {sorted(_fields(row.en))}",
                         "use the same {names} in both columns", row=i, column="ja")


def label(key: str, lang: str = "en", **fields) -> str:
    """Return a fixed figure text in ``lang``, with ``{placeholders}`` filled from ``fields``.

    Args:
        key: Row key in ``data/i18n/labels_ja.csv`` (e.g. ``mix.title``).
        lang: ``en`` or ``ja``.
        **fields: Values for the placeholders.

    Raises:
        InputError: Unknown language or key, or a placeholder without a value.
    """
    _check_lang(lang)
    table = labels()
    if key not in table.index:
        raise InputError(str(LABELS_FILE), f"no label {key!r}",
                         "add a row (key, en, ja, status, note) to the label table")
    text = table.at[key, lang]
    try:
        return text.format(**fields) if _fields(text) else text
    except KeyError as err:
        raise InputError(str(LABELS_FILE), f"label {key!r} needs a value for {err}",
                         f"pass {err.args[0]}=... to label()", column=lang) from None


def unverified(key: str) -> bool:
    """Whether the Japanese of a label still awaits a Japanese reader's check."""
    return labels().at[key, "status"] == "unverified"


def group_name(group: str, lang: str = "en") -> str:
    """Return a destination group's display name in ``lang`` (unknown groups unchanged)."""
    key = GROUP_KEYS.get(group)
    return label(key, lang) if key else group


@cache
def names(path: Path = NAMES_FILE) -> pd.DataFrame:
    """Read and check the reviewed Japanese country names, indexed by ISO3.

    Raises:
        InputError: Missing columns, a repeated ISO3, an empty name or an unknown review.
    """
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in NAME_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(str(path), f"missing columns {missing}",
                         f"the header must be {','.join(NAME_COLUMNS)}")
    for i, row in enumerate(table.itertuples(), start=2):
        if not row.iso3 or not row.name_ja:
            raise InputError(str(path), "empty iso3 or name_ja", "fill in the cell", row=i)
        if row.review not in REVIEWS:
            raise InputError(str(path), f"review {row.review!r} is not one of {REVIEWS}",
                             "write cldr (read, no concern) or needs review (say why in note)",
                             row=i, column="review")
    if table.iso3.duplicated().any():
        raise InputError(str(path), f"ISO3 {table.iso3[table.iso3.duplicated()].iloc[0]!r} "
                         "appears twice", "keep one row per country", column="iso3")
    return table.set_index("iso3")


def country_name(iso3: str, lang: str = "en") -> str:
    """Return a country's display name: the project's English name or the reviewed Japanese.

    Japanese names come from ``data/mappings/names_ja.csv`` (CLDR via babel, read through
    by the project); a code not in it falls back to CLDR directly, then to the code.

    Args:
        iso3: ISO 3166-1 alpha-3 code (``XKX`` for Kosovo).
        lang: ``en`` or ``ja``.
    """
    from analysis import countries

    _check_lang(lang)
    if lang == "en":
        return countries.name(iso3)
    table = names()
    if iso3 in table.index:
        return table.at[iso3, "name_ja"]
    return cldr_name(iso3) or iso3


def cldr_name(iso3: str, locale: str = "ja") -> str | None:
    """Return CLDR's name of a territory (via babel), or None when CLDR has none.

    Args:
        iso3: ISO3 code; converted to the ISO2 code CLDR uses.
        locale: CLDR locale.
    """
    from babel import Locale

    iso2 = iso2_code(iso3)
    return Locale(locale).territories.get(iso2) if iso2 else None


def iso2_code(iso3: str) -> str | None:
    """ISO3 -> ISO2 (country_converter; ``XKX`` -> ``XK``, CLDR's code for Kosovo)."""
    from analysis import countries

    if iso3 == "XKX":
        return "XK"
    return countries.convert([iso3], to="ISO2", src="ISO3")[0]


def cldr_source() -> str:
    """Return the provenance string for names taken from CLDR, e.g. "CLDR 49 via babel 2.19.0"."""
    import babel
    from babel.core import get_cldr_version

    return f"CLDR {get_cldr_version()} via babel {babel.__version__}"


#: Characters a Japanese line must not start with (a minimal kinsoku rule).
_NO_LINE_START = set("、。，．・：；？！）」』】〕〉》”’ー々ぁぃぅぇぉっゃゅょァィゥェォッャュョ")


def text_width(text: str) -> int:
    """Width of a text in half-width cells: full-width (Japanese) characters count 2."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(c) in "FW" else 1 for c in text)


def wrap(text: str, width: int) -> str:
    """Wrap text to ``width`` half-width cells: at spaces for English, anywhere for Japanese.

    matplotlib's own wrapping (``Text.set_wrap``) breaks only at spaces, so a Japanese
    note, which has none, would run off the page. A line never starts with closing
    punctuation or a small kana (basic kinsoku).

    Args:
        text: The text (existing line breaks are kept).
        width: Cells per line (a Japanese character takes 2).
    """
    import textwrap

    lines = []
    for para in text.split("\n"):
        if text_width(para) == len(para):  # no full-width characters: ordinary wrapping
            lines.extend(textwrap.wrap(para, width) or [""])
            continue
        line = ""
        for char in para:
            if line and text_width(line + char) > width and char not in _NO_LINE_START:
                lines.append(line.rstrip())
                line = char.lstrip()
            else:
                line += char
        lines.append(line)
    return "\n".join(lines)


def font_path() -> Path:
    """Return IPAexGothic's file in matplotlib-fontja, without importing the package.

    Importing ``matplotlib_fontja`` switches matplotlib's font family globally as a side
    effect; the project sets its fonts explicitly instead.

    Raises:
        InputError: matplotlib-fontja is not installed.
    """
    import importlib.util

    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        raise InputError("matplotlib-fontja", "the Japanese font package is not installed",
                         "install the project's pinned dependencies (make test creates .venv)")
    return Path(next(iter(spec.submodule_search_locations))) / "fonts" / "ipaexg.ttf"


def use_japanese_font() -> str:
    """Register IPAexGothic with matplotlib and make it the font family (call after use_style).

    PDFs then embed it as TrueType (Type 42, the project style's ``pdf.fonttype``), so a
    reader without the font sees the same glyphs. IPAexGothic has no bold: bold titles
    are drawn in its regular weight.

    Returns:
        The font's family name.
    """
    import matplotlib as mpl
    from matplotlib import font_manager

    path = str(font_path())
    if not any(f.fname == path for f in font_manager.fontManager.ttflist):
        font_manager.fontManager.addfont(path)
    mpl.rcParams["font.family"] = JA_FAMILY
    mpl.rcParams["pdf.fonttype"] = 42
    mpl.rcParams["ps.fonttype"] = 42
    return JA_FONT


@contextlib.contextmanager
def missing_glyphs_as_errors():
    """Turn matplotlib's "Glyph ... missing from font(s)" warning into an InputError.

    A missing glyph prints as an empty box in the saved file; inside this block it stops
    the save instead. Use it around ``savefig`` or ``export.save``.

    Raises:
        InputError: A text needs a glyph that no font in the family has.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=r"Glyph .* missing from font",
                                category=UserWarning)
        try:
            yield
        except UserWarning as warning:
            if "missing from font" not in str(warning):
                raise
            raise InputError("figure text", str(warning),
                             "call analysis.i18n.use_japanese_font() before drawing, or "
                             "remove the character from the label") from warning
