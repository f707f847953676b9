"""Practice beside law: evidence of what happens to victims, kept apart from the law index."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import paths
from analysis.errors import InputError
from analysis.protection.coding import as_of

PRACTICE_DIR = paths.PROTECTION / "practice"
COLUMNS = ["iso3", "provision", "year", "direction", "what_happened", "count", "source",
           "locator", "quote"]
DIRECTIONS = ("supports", "contradicts")
#: Provisions where practice matters most (issue: law spine), in display order.
PROVISIONS = ("identification_referral", "no_removal_during_identification",
              "no_immigration_detention", "reflection_period", "residence_cooperation",
              "residence_humanitarian", "shelter", "non_punishment", "compensation_offender",
              "compensation_state", "free_legal_aid")
FIRST_YEAR, LAST_YEAR = 2015, 2024
MAX_QUOTE_WORDS = 40


def load(folder: str | Path | None = None, codebook: pd.DataFrame | None = None
         ) -> pd.DataFrame:
    """Read every part of the practice table (``practice/*.csv``) and check it.

    Args:
        folder: The folder of parts (default ``data/protection/practice``).
        codebook: When given, provision ids must be the codebook's.

    Returns:
        One row per piece of evidence, with ``year`` and ``count`` as nullable integers and
        ``part`` naming the file it came from.

    Raises:
        InputError: No part, a missing column, or a row breaking a rule (named by file, row
            and column).
    """
    folder = Path(folder or PRACTICE_DIR)
    parts = sorted(folder.glob("*.csv"))
    if not parts:
        raise InputError(str(folder), "no practice table (*.csv) in this folder",
                         "add evidence rows in the layout of data/protection/practice/")
    frames = [_read_part(p, codebook) for p in parts]
    return pd.concat(frames, ignore_index=True)


def _read_part(path: Path, codebook: pd.DataFrame | None) -> pd.DataFrame:
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in COLUMNS if c not in raw.columns]
    if missing:
        raise InputError(str(path), f"missing column(s) {missing}",
                         f"a practice table has the columns {', '.join(COLUMNS)}")
    table = raw[COLUMNS].copy()
    table["year"] = pd.to_numeric(raw["year"], errors="coerce").astype("Int64")
    table["count"] = pd.to_numeric(raw["count"].str.replace(",", ""), errors="coerce"
                                   ).astype("Int64")
    known = set(codebook.index) if codebook is not None else set(PROVISIONS) | set(
        raw["provision"])
    checks = [
        ("provision", ~raw["provision"].isin(known), "not a codebook provision id",
         "use the ids in data/protection/codebook.yml"),
        ("year", table["year"].isna() | ~table["year"].between(FIRST_YEAR, LAST_YEAR),
         f"year missing or outside {FIRST_YEAR}-{LAST_YEAR}", "give the year the practice "
         "refers to"),
        ("direction", ~raw["direction"].isin(DIRECTIONS), "direction is not supports or "
         "contradicts", "say whether practice delivers the law's promise"),
        ("count", (raw["count"] != "") & table["count"].isna(), "count is not a whole number",
         "leave it empty unless the source gives a number"),
        ("source", raw["source"].str.strip() == "", "no source", "name the document and URL"),
        ("quote", raw["quote"].str.split().str.len() > MAX_QUOTE_WORDS,
         f"quote longer than {MAX_QUOTE_WORDS} words", "shorten the quote"),
        ("iso3", ~raw["iso3"].str.fullmatch(r"[A-Z]{3}"), "not an ISO3 code",
         "use the coding's entity codes"),
    ]
    for column, bad, problem, fix in checks:
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise InputError(str(path), problem, fix, row=i + 2, column=column,
                             examples=str(raw.at[i, column])[:120])
    return table.assign(part=path.name)


def beside_law(practice: pd.DataFrame, coding: pd.DataFrame, year: int,
               provisions=PROVISIONS) -> pd.DataFrame:
    """Put each entity x provision's law score beside the practice evidence up to ``year``.

    The index stays law: practice is counted beside it, never folded into a score.

    Returns:
        One row per entity with evidence x provision: iso3, provision, law_score,
        law_confidence, supports, contradicts, latest_year, latest (what happened, latest).
    """
    scores = as_of(coding, year).stack().rename("law_score")
    conf = as_of(coding, year, value="confidence").stack().rename("law_confidence")
    seen = practice[(practice.year <= year) & practice.provision.isin(provisions)]
    counts = (seen.groupby(["iso3", "provision", "direction"]).size()
              .unstack("direction").reindex(columns=list(DIRECTIONS)).fillna(0).astype(int))
    last = seen.sort_values("year").groupby(["iso3", "provision"]).tail(1).set_index(
        ["iso3", "provision"])
    entities = sorted(set(seen.iso3))
    grid = pd.MultiIndex.from_product([entities, list(provisions)],
                                      names=["iso3", "provision"])
    out = pd.DataFrame(index=grid).join(scores).join(conf).join(counts)
    out[list(DIRECTIONS)] = out[list(DIRECTIONS)].fillna(0).astype(int)
    out["latest_year"] = last["year"].reindex(grid)
    out["latest"] = last["what_happened"].reindex(grid)
    return out.reset_index()


def gaps_between_law_and_practice(table: pd.DataFrame) -> pd.DataFrame:
    """Cells where the law grants an entitlement (score 2) but the evidence contradicts it."""
    return table[(table.law_score == 2) & (table.contradicts > 0)].sort_values(
        ["contradicts", "iso3"], ascending=[False, True]).reset_index(drop=True)
