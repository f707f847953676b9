"""Reader for the treaty-date tables (UN Trafficking Protocol, CETS 197, ILO P029) as published.

The three CSVs in ``../shared/data/treaty_dates/`` give dates that are day-exact,
month-only or not found. The reader keeps that precision explicit: every treaty x entity x
event gets one row, with ``date_precision`` ``day``, ``month``, ``unknown`` (not found:
never dropped) or ``not applicable`` (e.g. no signature before an accession, no
ratification by a State the source says is not a party).
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

import analysis
from analysis import paths, provenance
from analysis.errors import InputError

SOURCE = "treaty_dates"
READER_VERSION = "1"
SHARED_DIR = "treaty_dates"
EVENTS_FILE = "treaties.csv"
STATUS_FILE = "treaties_status.csv"
FILES = {"palermo_protocol": "palermo_tip_protocol_asem.csv",
         "cets197": "coe_cets197_europe_asem.csv",
         "ilo_p029": "ilo_p029_forced_labour_protocol.csv"}
TREATY_LABELS = {"palermo_protocol": "UN Trafficking Protocol (2000)",
                 "cets197": "Council of Europe Convention, CETS No. 197 (2005)",
                 "ilo_p029": "ILO Protocol of 2014 to the Forced Labour Convention (P029)"}
REQUIRED = {
    "palermo_protocol": ["country", "iso3", "asem_group", "signature_date", "consent_type",
                         "consent_date", "consent_month", "entry_into_force_reported",
                         "entry_into_force_computed", "date_basis", "source", "cross_check",
                         "note"],
    "cets197": ["country", "iso3", "signature_date", "signature_month", "ratification_date",
                "entry_into_force", "status_2008_01_23", "date_basis", "source", "note"],
    "ilo_p029": ["country", "iso3", "ratification_date", "entry_into_force", "date_basis",
                 "source", "note"],
}
EVENTS = ("signature", "consent", "entry_into_force")
PRECISIONS = ("day", "month", "unknown", "not applicable")
EVENT_COLUMNS = ["treaty", "iso3", "country", "event", "consent_type", "date", "month",
                 "date_precision", "date_basis", "source", "note"]
STATUS_COLUMNS = ["treaty", "iso3", "country", "asem_group", "in_source", "party",
                  "known_party_on", "known_not_party_on", "note"]
#: The CoE press release of 23 January 2008 gives each State's status on that day.
COE_STATUS_DATE = "2008-01-23"
_COE_PARTY = ("party (among first ten ratifications)", "ratified, in force 1 May 2008")
_COE_NOT_PARTY = ("signed, not ratified", "not signed")
CITATION = {
    "producer": "Depositaries: UN Secretary-General (UNTC), Council of Europe Treaty Office, "
                "ILO (NORMLEX); dates compiled for the ASEM members in "
                "../shared/data/treaty_dates (see its SOURCE.md)",
    "title": "Treaty dates for the ASEM members: UN Trafficking Protocol (UNTC XVIII-12-a), "
             "CoE Convention CETS No. 197, ILO Protocol of 2014 to the Forced Labour "
             "Convention",
    "citation": "United Nations Treaty Collection, Chapter XVIII-12-a; Council of Europe "
                "Treaty Office, CETS No. 197; ILO NORMLEX, P029. Each row names the source "
                "its dates were read in.",
    "licence": "public facts of the depositaries (dates only); cite UNTC, the CoE Treaty "
               "Office and ILO NORMLEX as the authorities",
    "caveat": "An empty date means not found, not no action. CETS 197 dates were found for "
              "few States; ILO P029 for two. Derived rows (Bangladesh, Brunei, the Czech "
              "CETS ratification day) should be checked against the depositary.",
}


@dataclass
class TreatyTables:
    """The reader's output.

    Attributes:
        events: One row per treaty x entity x event (:data:`EVENT_COLUMNS`).
        status: One row per treaty x entity of the union of the three files
            (:data:`STATUS_COLUMNS`); ``party`` is ``yes``, ``no`` or ``unknown``.
        meta: Input files, rows read per file.
    """

    events: pd.DataFrame
    status: pd.DataFrame
    meta: dict = field(default_factory=dict)


def read(folder: str | Path | None = None) -> TreatyTables:
    """Read the three treaty-date CSVs in their published layout.

    Args:
        folder: The folder holding the three files (default ``../shared/data/treaty_dates``).

    Returns:
        The events and status tables.

    Raises:
        InputError: A file is missing or unreadable, lacks a column, repeats an iso3, or
            holds a date that is not ``YYYY-MM-DD`` (a month that is not ``YYYY-MM``).
    """
    folder = Path(folder) if folder is not None else paths.shared_file(SHARED_DIR)
    frames = {t: _read_csv(folder / f, REQUIRED[t]) for t, f in FILES.items()}
    events = pd.concat([_palermo(frames["palermo_protocol"]), _cets(frames["cets197"]),
                        _ilo(frames["ilo_p029"])], ignore_index=True)
    status = _status(frames)
    meta = {"folder": str(folder), **{f"rows in {f}": len(frames[t]) for t, f in FILES.items()}}
    return TreatyTables(events[EVENT_COLUMNS], status[STATUS_COLUMNS], meta)


def _read_csv(path: Path, required: list[str]) -> pd.DataFrame:
    """Read one file as text; check header, iso3 codes, dates and repeated entities."""
    if not path.exists():
        raise InputError(str(path), "file not found", "check the folder: it must hold "
                         f"{sorted(FILES.values())}")
    try:
        frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise InputError(str(path), f"not a readable CSV ({exc})",
                         "give the file in its published layout") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise InputError(str(path), f"required column(s) missing: {missing}",
                         "restore the published header", row=1, column=missing[0])
    frame = frame.apply(lambda s: s.str.strip())
    bad = ~frame["iso3"].str.fullmatch(r"[A-Z]{3}")
    if bad.any():
        i = int(bad.idxmax())
        raise InputError(str(path), f"iso3 '{frame.at[i, 'iso3']}' is not three capital "
                         "letters", "use the ISO 3166 alpha-3 code (EUU for the EU)",
                         row=i + 2, column="iso3")
    dup = frame["iso3"].duplicated()
    if dup.any():
        i = int(dup.idxmax())
        raise InputError(str(path), f"iso3 '{frame.at[i, 'iso3']}' appears twice",
                         "keep one row per entity", row=i + 2, column="iso3")
    for col in required:
        if col.endswith("_date") or col.startswith("entry_into_force"):
            _check_dates(frame, col, "%Y-%m-%d", "YYYY-MM-DD", path)
        elif col.endswith("_month"):
            _check_dates(frame, col, "%Y-%m", "YYYY-MM", path)
    return frame


def _check_dates(frame: pd.DataFrame, col: str, fmt: str, shown: str, path: Path) -> None:
    """Raise on a non-empty value that is not a real date in the given format."""
    given = frame[col] != ""
    parsed = pd.to_datetime(frame[col].where(given), format=fmt, errors="coerce")
    bad = given & (parsed.isna() | (frame[col].str.len() != len(shown)))
    if bad.any():
        i = int(bad.idxmax())
        raise InputError(str(path), f"'{frame.at[i, col]}' is not a date ({shown})",
                         "correct the value or leave it empty when not found",
                         row=i + 2, column=col)


def _event(treaty: str, row: pd.Series, event: str, day: str = "", month: str = "",
           basis: str = "", applicable: bool = True, consent_type: str = "") -> dict:
    """One event row; the precision says what is known."""
    if day:
        precision, month = "day", day[:7]
    elif month:
        precision = "month"
    else:
        precision = "unknown" if applicable else "not applicable"
    return {"treaty": treaty, "iso3": row["iso3"], "country": row["country"], "event": event,
            "consent_type": consent_type, "date": day, "month": month,
            "date_precision": precision, "date_basis": basis if precision in ("day", "month")
            else "", "source": row["source"], "note": row["note"]}


def _palermo(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in frame.iterrows():
        t, basis = "palermo_protocol", r["date_basis"]
        # An accession is consent without signature: no signature date is then not missing.
        rows.append(_event(t, r, "signature", r["signature_date"], basis="reported",
                           applicable=r["consent_type"] != "accession"))
        rows.append(_event(t, r, "consent", r["consent_date"], r["consent_month"], basis,
                           consent_type=r["consent_type"]))
        eif, eif_basis = r["entry_into_force_reported"], "reported"
        if not eif and r["entry_into_force_computed"]:
            eif, eif_basis = r["entry_into_force_computed"], "computed (Protocol art. 17)"
        rows.append(_event(t, r, "entry_into_force", eif, basis=eif_basis))
    return pd.DataFrame(rows)


def _cets(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in frame.iterrows():
        t, basis = "cets197", r["date_basis"] or "reported"
        party = _cets_party(r) != "no"
        rows.append(_event(t, r, "signature", r["signature_date"], r["signature_month"],
                           "reported", applicable=party))
        rows.append(_event(t, r, "consent", r["ratification_date"], basis=basis,
                           applicable=party, consent_type="ratification"))
        rows.append(_event(t, r, "entry_into_force", r["entry_into_force"], basis="reported",
                           applicable=party))
    return pd.DataFrame(rows)


def _cets_party(r: pd.Series) -> str:
    """Party status per the source: yes, no (never signed; the EU), or unknown."""
    if r["ratification_date"] or r["entry_into_force"] or r["note"].startswith("Party"):
        return "yes"
    if r["note"].startswith(("Never signed", "Not a party")):
        return "no"
    return "unknown"


def _ilo(frame: pd.DataFrame) -> pd.DataFrame:
    rows = []
    for _, r in frame.iterrows():
        t, basis = "ilo_p029", r["date_basis"] or "reported"
        rows.append(_event(t, r, "signature", applicable=False))  # ILO protocols are ratified
        rows.append(_event(t, r, "consent", r["ratification_date"], basis=basis,
                           consent_type="ratification"))
        rows.append(_event(t, r, "entry_into_force", r["entry_into_force"], basis="reported"))
    return pd.DataFrame(rows)


def _status(frames: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """One row per treaty x entity of any file: in the source or not, party or not."""
    entities = pd.concat([f[["iso3", "country"]] for f in frames.values()])
    entities = entities.drop_duplicates("iso3").set_index("iso3")["country"]
    group = frames["palermo_protocol"].set_index("iso3")["asem_group"]
    rows = []
    for treaty, frame in frames.items():
        by = frame.set_index("iso3")
        for iso3, country in entities.items():
            row = {"treaty": treaty, "iso3": iso3, "country": country,
                   "asem_group": group.get(iso3, ""), "in_source": iso3 in by.index,
                   "party": "unknown", "known_party_on": "", "known_not_party_on": "",
                   "note": ""}
            if iso3 not in by.index:
                row["note"] = f"not in {FILES[treaty]}: status unknown, not absent"
            else:
                row.update(_party(treaty, by.loc[iso3]))
            rows.append(row)
    return pd.DataFrame(rows)


def _party(treaty: str, r: pd.Series) -> dict:
    if treaty == "palermo_protocol":
        known = bool(r["consent_date"] or r["consent_month"])
        return {"party": "yes" if known else "unknown", "note": r["note"]}
    if treaty == "ilo_p029":  # the file lists ratifications only
        return {"party": "yes", "note": r["note"]}
    status = r["status_2008_01_23"]
    return {"party": _cets_party(r), "note": r["note"],
            "known_party_on": COE_STATUS_DATE if status in _COE_PARTY else "",
            "known_not_party_on": COE_STATUS_DATE if status in _COE_NOT_PARTY else ""}


# --------------------------------------------------------------------------- write, load


def write(folder: str | Path | None = None, out_dir: str | Path | None = None) -> list[Path]:
    """Read the source and write both tidy tables with their provenance records, atomically.

    The tables and records are first written to a temporary folder beside the targets and
    then moved into place, so an error never leaves half-written output.

    Args:
        folder: The source folder (default ``../shared/data/treaty_dates``).
        out_dir: Target folder (default ``data/processed``).

    Returns:
        The written paths (tables, then records).
    """
    folder = Path(folder) if folder is not None else paths.shared_file(SHARED_DIR)
    out_dir = Path(out_dir) if out_dir is not None else paths.PROCESSED
    tables = read(folder)
    inputs = [{"file": f, "sha256": provenance.sha256(folder / f),
               "bytes": (folder / f).stat().st_size} for f in FILES.values()]
    out_dir.mkdir(parents=True, exist_ok=True)
    moved = []
    with tempfile.TemporaryDirectory(dir=out_dir, prefix=".treaties-") as tmp:
        for name, table in ((EVENTS_FILE, tables.events), (STATUS_FILE, tables.status)):
            staged = Path(tmp) / name
            table.to_csv(staged, index=False, lineterminator="\n")
            provenance.write_record(staged, {
                **CITATION, "inputs": inputs, "reader": f"analysis.sources.treaties "
                f"{READER_VERSION} (analysis {analysis.__version__})", "rows": len(table),
                "columns": list(table.columns),
                "regenerate": "python -c 'from analysis.sources import treaties; "
                              "treaties.write()'"})
            moved += [staged, provenance.record_path(staged)]
        written = []
        for staged in moved:
            os.replace(staged, out_dir / staged.name)
            written.append(out_dir / staged.name)
    return written


def load(path: str | Path | None = None) -> pd.DataFrame:
    """Load the committed events table, checked against its provenance record.

    Args:
        path: ``treaties.csv`` (default: ``data/processed``; a run on another data folder
            passes ``settings.data_file(EVENTS_FILE)``).

    Returns:
        The events with ``date`` as timestamps (``NaT`` unless day-exact) and ``month``
        as a monthly period (``NaT`` when unknown).

    Raises:
        InputError: The table is missing, its checksum differs from its record, or a
            column or precision is wrong.
    """
    frame = _load(path, EVENTS_FILE, EVENT_COLUMNS)
    bad = ~frame["date_precision"].isin(PRECISIONS)
    if bad.any():
        raise InputError(str(path or EVENTS_FILE), f"date_precision "
                         f"'{frame.loc[bad, 'date_precision'].iloc[0]}' is not one of "
                         f"{list(PRECISIONS)}", "regenerate the table",
                         row=int(bad.idxmax()) + 2, column="date_precision")
    frame["date"] = pd.to_datetime(frame["date"].replace("", None), format="%Y-%m-%d")
    frame["month"] = pd.PeriodIndex(frame["month"].replace("", None), freq="M")
    return frame


def load_status(path: str | Path | None = None) -> pd.DataFrame:
    """Load the committed status table (one row per treaty x entity), provenance checked."""
    frame = _load(path, STATUS_FILE, STATUS_COLUMNS)
    frame["in_source"] = frame["in_source"].eq("True")
    for col in ("known_party_on", "known_not_party_on"):
        frame[col] = pd.to_datetime(frame[col].replace("", None), format="%Y-%m-%d")
    return frame


def _load(path: str | Path | None, name: str, columns: list[str]) -> pd.DataFrame:
    path = Path(path or paths.PROCESSED / name)
    if not path.exists():
        raise InputError(str(path), "treaty table not found", "regenerate it: "
                         "python -c 'from analysis.sources import treaties; treaties.write()'")
    try:
        provenance.verify(path)
    except ValueError as exc:
        raise InputError(str(path), str(exc), "regenerate the table from the source") from None
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    if list(frame.columns) != columns:
        raise InputError(str(path), f"columns {list(frame.columns)} differ from {columns}",
                         "regenerate the table", row=1)
    return frame


def regenerate(src: str | Path | None = None, out: str | Path | None = None) -> list[Path]:
    """Re-derive the treaty tables from the published folder (``python -m analysis derive``).

    Args:
        src: The ``treaty_dates`` folder (default: the copy in ``../shared/data``).
        out: Output folder (default ``data/processed``).

    Returns:
        The files written.
    """
    return write(src, out)
