"""Shared machinery for country-year indicator tables (3P index, TIP tiers)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

import analysis
from analysis import countries, paths, provenance, schemas
from analysis.errors import InputError

#: Bump when a reader's output changes; written into the provenance record.
READER_VERSION = "1"
#: Texts the published indicator files use for a missing value.
MISSING = {"", "NA", "NaN", "nan"}


@dataclass
class SourceResult:
    """A reader's output.

    Attributes:
        table: The tidy table (schema in :mod:`analysis.schemas`).
        quarantine: Rows not used: file, row, column, raw_value, reason.
        names: One row per raw name with its ISO3, how it was matched and the file's own
            code (``method`` is ``mapping``, ``converter = file iso``, ``converter only``,
            ``file iso only``, ``conflict`` or ``unmatched``).
        meta: Facts about the input (files, rows read, years).
    """

    table: pd.DataFrame
    quarantine: pd.DataFrame
    names: pd.DataFrame
    meta: dict = field(default_factory=dict)

    @property
    def review(self) -> pd.DataFrame:
        """Names that need a reviewer: unmatched, conflicting or matched by one source only."""
        return self.names[~self.names["method"].isin(["mapping", "converter = file iso"])]


def read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    """Read a published CSV as text with a real CSV parser (quoted commas survive).

    Values are kept as written (no NA guessing, so Namibia's ``NA`` codes would survive)
    and stripped of surrounding spaces; ``_row`` holds the file row number.

    Raises:
        InputError: File missing, empty or lacking a required column.
    """
    if not path.exists():
        raise InputError(str(path), "file not found", "check the path")
    try:
        raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a readable CSV ({exc})",
                         "give the file in its published layout") from None
    missing = [c for c in required if c not in raw.columns]
    if missing:
        raise InputError(str(path), f"required column(s) missing: {missing}; found "
                         f"{list(raw.columns)}", "restore the published header", row=1,
                         column=missing[0])
    frame = raw.apply(lambda s: s.str.strip())
    frame["_row"] = frame.index + 2
    frame["_file"] = path.name
    return frame


def match_countries(frame: pd.DataFrame, source: str, name_col: str = "countryname",
                    iso_col: str = "iso") -> tuple[pd.Series, pd.DataFrame]:
    """Give each row an ISO3 from its name (reviewed mapping, then country_converter).

    The file's own code is a second opinion: where the name matched only through
    country_converter and the file's code disagrees, the row is a conflict and gets no
    ISO3; where the name did not match, a valid file code is used and flagged for review.

    Returns:
        ISO3 per row ("" when none) and one row per distinct raw name saying how it matched.
    """
    harm = countries.harmonise(frame[name_col], source, rows=frame["_row"])
    file_iso = frame[iso_col].where(~frame[iso_col].isin(MISSING), "")
    valid_file = _valid_iso3(file_iso)
    method = harm.method.copy()
    iso3 = harm.iso3.where(harm.kind == "country", "").copy()
    conv = method == "converter"
    method[conv & (iso3 == file_iso)] = "converter = file iso"
    method[conv & (iso3 != file_iso) & (file_iso == "")] = "converter only"
    clash = conv & (iso3 != file_iso) & (file_iso != "")
    method[clash], iso3[clash] = "conflict", ""
    fallback = (method == "unmatched") & valid_file
    method[fallback], iso3[fallback] = "file iso only", file_iso[fallback]
    names = (pd.DataFrame({"raw": frame[name_col], "file_iso": file_iso, "iso3": iso3,
                           "method": method, "converter": harm.iso3, "row": frame["_row"]})
             .groupby(["raw", "file_iso", "iso3", "method", "converter"], as_index=False)
             .agg(n_rows=("row", "size"), first_row=("row", "min")))
    return iso3, names


def _valid_iso3(codes: pd.Series) -> pd.Series:
    uniques = [c for c in codes.unique() if c]
    ok = {c for c, k in zip(uniques, countries.convert(uniques, src="ISO3"), strict=True)
          if k == c}
    return codes.isin(ok)


def quarantine(frame: pd.DataFrame, mask: pd.Series, column: str, reason) -> pd.DataFrame:
    """Quarantine records (file, row, column, raw_value, reason) for the rows in ``mask``."""
    sel = frame[mask]
    return pd.DataFrame({"file": sel["_file"], "row": sel["_row"], "column": column,
                         "raw_value": sel[column] if column in sel else "",
                         "reason": reason[mask] if isinstance(reason, pd.Series) else reason})


def first_of_duplicates(table: pd.DataFrame, frame: pd.DataFrame, key: list[str],
                        value_cols: list[str], column: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Keep the first row per key; later repeats are quarantined, saying if their values differ.

    Args:
        table: Tidy rows (index aligned with ``frame``).
        frame: The raw rows, for the quarantine record.
        key: Key columns of ``table``.
        value_cols: Columns compared between repeats.
        column: Raw column named in the quarantine record.
    """
    dup = table.duplicated(key, keep="first")
    sig = pd.util.hash_pandas_object(table[value_cols], index=False)
    first = sig.groupby([table[k] for k in key]).transform("first")
    reason = pd.Series(np.where(sig == first, "repeated key, same values: counted once",
                                "repeated key, different values: first row kept"),
                       index=table.index).reindex(frame.index)
    mask = pd.Series(frame.index.isin(table.index[dup]), index=frame.index)
    return table[~dup], quarantine(frame, mask, column, reason)


def write_outputs(result: SourceResult, out: Path, inputs: list[Path], citation: dict,
                  schema_name: str, module: str, report: str) -> list[Path]:
    """Write the tidy table, its provenance record and a Markdown report beside it."""
    out.parent.mkdir(parents=True, exist_ok=True)
    result.table.to_csv(out, index=False, lineterminator="\n")
    record = {**citation, "schema": f"analysis.schemas.{schema_name}",
              "inputs": [{"file": p.name, "sha256": provenance.sha256(p),
                          "bytes": p.stat().st_size} for p in inputs],
              "reader": f"{module} {READER_VERSION} (analysis {analysis.__version__})",
              "rows": len(result.table), "rows_quarantined": len(result.quarantine),
              "names_for_review": len(result.review),
              "regenerate": f"python -m analysis derive {module.rsplit('.', 1)[-1]} "
                            f"{' '.join(_shown(p) for p in inputs)}"}
    rec = provenance.write_record(out, record)
    rep = out.with_name(out.stem.split("_")[0] + "_report.md")
    rep.write_text(report)
    return [out, rec, rep]


def _shown(path: Path) -> str:
    """Show a path as the regenerate command gives it: relative to the project root if possible."""
    try:
        return "../" + Path(path).resolve().relative_to(paths.ROOT.parent).as_posix()
    except ValueError:
        return str(path)


def render_report(result: SourceResult, title: str) -> str:
    """Render a short Markdown account: rows read, used, quarantined, names to review."""
    m = result.meta
    lines = [f"# {title}", "", *[f"- {k}: {v}" for k, v in m.items()], "",
             f"- rows in the tidy table: {len(result.table):,}",
             f"- rows quarantined: {len(result.quarantine):,}", "", "## Quarantine by reason",
             ""]
    q = result.quarantine
    if len(q):
        lines += ["| reason | rows |", "|---|---:|"]
        lines += [f"| {r} | {n} |" for r, n in q.groupby("reason").size().items()]
    else:
        lines.append("None.")
    lines += ["", "## Country names", "", "| raw | file iso | iso3 | method | rows |",
              "|---|---|---|---|---:|"]
    lines += [f"| {r.raw} | {r.file_iso} | {r.iso3} | {r.method} | {r.n_rows} |"
              for r in result.names.itertuples() if r.method != "converter = file iso"]
    lines += ["", f"Names matched by country_converter and confirmed by the file's own code: "
              f"{int((result.names.method == 'converter = file iso').sum())}.", ""]
    return "\n".join(lines)


# --------------------------------------------------------------------------- 3P reader


def load_table(path: str | Path | None, name: str, table: str, schema, **read_kw) -> pd.DataFrame:
    """Load a derived indicator table, checking its provenance record and schema.

    Args:
        path: The file; default: the committed copy in ``data/processed`` (a run on
            another data folder passes ``settings.data_file(name)``).
        name: File name under ``data/processed`` (``threep.csv``, ``tip_tiers.csv``).
        table: Short id for messages and the derive command (``threep``, ``tip``).
        schema: The pandera schema to check.
        **read_kw: Extra arguments for :func:`pandas.read_csv` (dtypes, missing values).

    Raises:
        InputError: The table is missing or breaks its schema.
    """
    path = Path(path or paths.PROCESSED / name)
    if not path.exists():
        raise InputError(str(path), f"derived {table} table not found",
                         f"run `python -m analysis derive {table}` to regenerate it")
    provenance.verify(path)
    frame = pd.read_csv(path, keep_default_na=False, **read_kw)
    return schemas.validate(frame, schema, str(path))
