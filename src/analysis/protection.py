"""Victim-protection law: codebook, coding, as-of state, indices, weight sensitivity, regions."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from analysis import countries, paths
from analysis.errors import InputError

CODEBOOK_FILE = paths.PROTECTION / "codebook.yml"
CODING_FILE = paths.PROTECTION / "coding.csv"
PARTS_DIR = paths.PROTECTION / "parts"
COLUMNS = ["iso3", "provision", "valid_from", "valid_to", "score", "legal_basis", "source",
           "confidence", "note"]
#: Every entity x provision must be coded from this date on, without gaps, to an open end.
START = pd.Timestamp("2000-01-01")
#: The coding entity holding the EU minimum standard (not a country).
EU_FLOOR = "EU"
FORCES = ("mandatory", "qualified", "optional", "soft", "absent")
#: The three Protocol groups the NGOs asked about, from each clause's force in the Protocol.
PROTOCOL_GROUPS = {"mandatory": "protocol_mandatory", "qualified": "protocol_optional",
                   "optional": "protocol_optional", "soft": "protocol_optional",
                   "absent": "beyond_protocol"}
GROUP_LABELS = {"protocol_mandatory": "Mandatory in the Protocol",
                "protocol_optional": "Optional, qualified or soft in the Protocol",
                "beyond_protocol": "Beyond the Protocol"}
#: Entities the coding must cover (the issue's list).
REQUIRED_ENTITIES = ("JPN", EU_FLOOR, *countries.EU27, "GBR", "NOR", "CHE", "KOR", "THA", "MYS",
                     "SGP", "IDN", "USA", "CAN", "AUS", "ISR", "ARE", "BHR", "QAT", "SAU", "JOR")
#: Regions shown in the figures, in display order ("EU Member States" depends on the year).
REGION_ORDER = ("Japan", "EU floor", "EU Member States", "Europe outside the EU",
                "East & Southeast Asia", "Middle East", "North America & Oceania")
REGION_COLOURS = {"Japan": "#c0392b", "EU floor": "#0b2e59", "EU Member States": "#1f5fa8",
                  "Europe outside the EU": "#6fa8dc", "East & Southeast Asia": "#2a9d5c",
                  "Middle East": "#8e44ad", "North America & Oceania": "#5d6d7e"}
_FIXED_REGIONS = {"Japan": ("JPN",), "EU floor": (EU_FLOOR,),
                  "East & Southeast Asia": ("KOR", "THA", "MYS", "SGP", "IDN"),
                  "Middle East": ("ARE", "BHR", "QAT", "SAU", "JOR", "ISR"),
                  "North America & Oceania": ("USA", "CAN", "AUS")}

#: Policy events marked on the timeline (dates from ../shared/reference/victim-protection-law.md
#: and, for the Action Plan, the coding's own legal basis).
POLICY_EVENTS = pd.DataFrame([
    ("2004-12-07", "Japan: Action Plan of Measures to Combat Trafficking in Persons", "Japan"),
    ("2005-07-12", "Japan: Penal Code Art 226-2 and Immigration Control Act amendments "
                   "in force", "Japan"),
    ("2017-08-10", "Japan: UN Trafficking Protocol in force after ratification", "Japan"),
    ("2004-04-29", "EU: Directive 2004/81/EC (residence for cooperating victims; "
                   "transposition by Aug 2006)", "EU"),
    ("2011-04-05", "EU: Directive 2011/36/EU (transposition by Apr 2013)", "EU"),
    ("2024-06-13", "EU: Directive (EU) 2024/1712 amending 2011/36/EU", "EU"),
], columns=["date", "label", "actor"]).assign(date=lambda d: pd.to_datetime(d["date"]))


# --------------------------------------------------------------------------- codebook


def load_codebook(path: str | Path | None = None) -> pd.DataFrame:
    """Load the codebook as one row per provision.

    Args:
        path: The YAML codebook (default ``data/protection/codebook.yml``).

    Returns:
        A frame indexed by provision id with columns ``dimension``, ``description``,
        ``para`` (Protocol paragraph or empty), ``force`` and ``protocol_group``; its
        ``attrs["dimensions"]`` holds the dimensions in codebook order.

    Raises:
        InputError: A provision lacks a field, repeats an id, names an unknown dimension
            or an unknown Protocol force.
    """
    path = Path(path or CODEBOOK_FILE)
    book = yaml.safe_load(path.read_text())
    dims = list(book.get("dimensions", []))
    rows = []
    for i, p in enumerate(book.get("provisions", []), 1):
        force = (p.get("protocol") or {}).get("force")
        for key, ok, allowed in (("dimension", p.get("dimension") in dims, dims),
                                 ("protocol.force", force in FORCES, FORCES)):
            if not ok:
                raise InputError(str(path), f"provision {i} ({p.get('id')}): {key} is not one "
                                 f"of {list(allowed)}", f"fix {key} in the codebook",
                                 column=key)
        para = (p.get("protocol") or {}).get("para")
        rows.append({"id": p["id"], "dimension": p["dimension"],
                     "description": p.get("description", ""), "para": para or "",
                     "force": force, "protocol_group": PROTOCOL_GROUPS[force]})
    table = pd.DataFrame(rows).set_index("id")
    if table.index.duplicated().any():
        dup = sorted(set(table.index[table.index.duplicated()]))
        raise InputError(str(path), f"provision id(s) repeated: {dup}", "give each one id",
                         column="id")
    table.attrs["dimensions"] = dims
    return table


# --------------------------------------------------------------------------- coding table


def merge_parts(parts_dir: str | Path | None = None, out: str | Path | None = None) -> Path:
    """Concatenate the coders' part files into the one coding table.

    Rows are sorted by iso3, provision and valid_from; text is written as read (no NA
    conversion), so the merge is lossless.

    Args:
        parts_dir: Folder of ``*.csv`` parts (default ``data/protection/parts``).
        out: Target file (default ``data/protection/coding.csv``).

    Returns:
        The written path.

    Raises:
        InputError: No part found, or a part's columns differ from the coding layout.
    """
    parts_dir, out = Path(parts_dir or PARTS_DIR), Path(out or CODING_FILE)
    files = sorted(parts_dir.glob("*.csv"))
    if not files:
        raise InputError(str(parts_dir), "no *.csv part files", "point at the parts folder")
    frames = []
    for f in files:
        part = pd.read_csv(f, dtype=str, keep_default_na=False)
        if list(part.columns) != COLUMNS:
            raise InputError(str(f), f"columns {list(part.columns)} differ from {COLUMNS}",
                             "use the coding.csv header", row=1)
        frames.append(part)
    table = pd.concat(frames, ignore_index=True)
    table = table.sort_values(["iso3", "provision", "valid_from"], kind="stable")
    table.to_csv(out, index=False, lineterminator="\n")
    return out


def load_coding(path: str | Path | None = None, codebook: pd.DataFrame | None = None,
                check: bool = True) -> pd.DataFrame:
    """Read and check the coding table.

    Args:
        path: The coding CSV (default ``data/protection/coding.csv``).
        codebook: The codebook (loaded when None), for the provision ids.
        check: Run the schema and interval checks (see :func:`check_coding`).

    Returns:
        The table with ``valid_from``/``valid_to`` as timestamps (``NaT`` = in force) and
        ``score`` as int; the index is the 0-based data row (file row = index + 2).

    Raises:
        InputError: Naming file, row and column of the first problem found.
    """
    path = Path(path or CODING_FILE)
    if not path.exists():
        raise InputError(str(path), "coding table not found",
                         "create it with analysis.protection.merge_parts()")
    raw = pd.read_csv(path, dtype=str, keep_default_na=False)
    table = raw.copy()
    for col in ("valid_from", "valid_to"):
        table[col] = pd.to_datetime(raw[col].replace("", None), format="%Y-%m-%d",
                                    errors="coerce")
    table["score"] = pd.to_numeric(raw["score"], errors="coerce")
    if check:
        _check_parsed(raw, table, path)
        check_coding(table, codebook if codebook is not None else load_codebook(), str(path))
    table["score"] = table["score"].astype(int)
    return table


def _check_parsed(raw: pd.DataFrame, table: pd.DataFrame, path: Path) -> None:
    """Raise on dates and scores that did not parse, naming the row."""
    for col in ("valid_from", "valid_to", "score"):
        if col not in raw:
            raise InputError(str(path), f"column '{col}' missing", f"restore {COLUMNS}",
                             row=1, column=col)
        bad = table[col].isna() & (raw[col] != "" if col == "valid_to" else True)
        if col == "score":
            bad |= table[col] % 1 != 0  # 1.5 would otherwise be truncated to 1
        if bad.any():
            i = int(bad.idxmax())
            raise InputError(str(path), f"'{raw.at[i, col]}' is not a valid "
                             f"{'date (YYYY-MM-DD)' if col != 'score' else 'score (0, 1 or 2)'}",
                             "correct the value", row=i + 2, column=col)


def check_coding(table: pd.DataFrame, codebook: pd.DataFrame, file: str = "coding.csv") -> None:
    """Check the coding table: schema, codebook ids, ISO3 codes and the interval rules.

    Rules: the pandera schema :data:`analysis.schemas.CODING` (scores 0/1/2, confidence
    high/medium/low, legal_basis and source non-empty, valid_from < valid_to); provision
    ids from the codebook; iso3 a real ISO3 code or ``EU``; per entity x provision the
    intervals start on 2000-01-01, touch without gap or overlap, and the last is open.

    Args:
        table: The table as :func:`load_coding` parses it.
        codebook: The codebook (:func:`load_codebook`).
        file: File name used in messages.

    Raises:
        InputError: Naming file, row (as in the file) and column of the first problem.
    """
    from analysis import schemas

    schemas.validate(table[COLUMNS], schemas.CODING, file)
    unknown = ~table["provision"].isin(codebook.index)
    if unknown.any():
        i = int(unknown.idxmax())
        raise InputError(file, f"provision '{table.at[i, 'provision']}' is not in the codebook",
                         f"use one of {list(codebook.index)}", row=i + 2, column="provision")
    _check_iso3(table, file)
    for problem, fix, i, col in interval_problems(table):
        raise InputError(file, problem, fix, row=i + 2, column=col)


def _check_iso3(table: pd.DataFrame, file: str) -> None:
    codes = [c for c in table["iso3"].unique() if c != EU_FLOOR]
    known = dict(zip(codes, countries.convert(codes, to="ISO3", src="ISO3"), strict=True))
    bad = [c for c, k in known.items() if k != c]
    if bad:
        i = int((table["iso3"] == bad[0]).idxmax())
        raise InputError(file, f"iso3 '{bad[0]}' is not an ISO 3166 alpha-3 code",
                         "use the ISO3 code (or EU for the EU floor)", row=i + 2, column="iso3")


def interval_problems(table: pd.DataFrame) -> list[tuple[str, str, int, str]]:
    """List interval problems per entity x provision (start, gaps, overlaps, open end).

    Args:
        table: Parsed coding rows (index = 0-based data row).

    Returns:
        ``(problem, fix, index, column)`` tuples, in file order; empty when all is well.
    """
    out = []
    ordered = table.sort_values(["iso3", "provision", "valid_from"], kind="stable")
    for (iso3, prov), grp in ordered.groupby(["iso3", "provision"], sort=False):
        key = f"{iso3} x {prov}"
        first, last = grp.index[0], grp.index[-1]
        if grp.at[first, "valid_from"] != START:
            out.append((f"{key}: first interval starts {grp.at[first, 'valid_from']:%Y-%m-%d}, "
                        f"not {START:%Y-%m-%d}", "code the state from 2000-01-01", first,
                        "valid_from"))
        ends, starts = grp["valid_to"].iloc[:-1], grp["valid_from"].iloc[1:]
        for (i_prev, end), (i_next, start) in zip(ends.items(), starts.items(), strict=True):
            if pd.isna(end) or start < end:
                out.append((f"{key}: interval overlaps the one before it (row {i_prev + 2} "
                            f"runs to {'open end' if pd.isna(end) else f'{end:%Y-%m-%d}'})",
                            "end the earlier interval where this one starts", i_next,
                            "valid_from"))
            elif start > end:
                out.append((f"{key}: gap from {end:%Y-%m-%d} to {start:%Y-%m-%d}",
                            "make valid_to of the earlier row equal valid_from of this one",
                            i_next, "valid_from"))
        if pd.notna(grp.at[last, "valid_to"]):
            out.append((f"{key}: last interval ends {grp.at[last, 'valid_to']:%Y-%m-%d}; "
                        "the state after it is not coded", "leave valid_to empty on the "
                        "interval in force", last, "valid_to"))
    return sorted(out, key=lambda p: p[2])


def missing_entities(coding: pd.DataFrame, required: Iterable[str] = REQUIRED_ENTITIES
                     ) -> list[str]:
    """Return the required entities that have no row in the coding (in required order)."""
    have = set(coding["iso3"])
    return [e for e in required if e not in have]


# --------------------------------------------------------------------------- as of a date


def reference_date(when: int | str | dt.date | pd.Timestamp) -> pd.Timestamp:
    """Return the date a state is read on.

    A year means 31 December of that year: the law as it stood at the end of the year, so
    a reform that took effect during the year counts for it (the convention of annual
    indices such as the 3P index). A date is used as given.
    """
    if isinstance(when, int | np.integer):
        return pd.Timestamp(year=int(when), month=12, day=31)
    return pd.Timestamp(when)


def as_of(coding: pd.DataFrame, when: int | str | dt.date | pd.Timestamp,
          value: str = "score") -> pd.DataFrame:
    """Return the state of every entity x provision on one date.

    ``valid_from`` is inclusive and ``valid_to`` exclusive: on the day a new interval
    starts the new value applies.

    Args:
        coding: The coding table (:func:`load_coding`).
        when: A year (read on 31 December, see :func:`reference_date`) or a date.
        value: The column to return (``score`` or ``confidence``).

    Returns:
        Entities as rows (sorted), provisions as columns (sorted).
    """
    date = reference_date(when)
    in_force = (coding["valid_from"] <= date) & (coding["valid_to"].isna()
                                                 | (date < coding["valid_to"]))
    state = coding.loc[in_force, ["iso3", "provision", value]]
    wide = state.pivot(index="iso3", columns="provision", values=value)
    wide.columns.name, wide.index.name = "provision", "iso3"
    return wide.sort_index().sort_index(axis=1)


def latest_year(coding: pd.DataFrame, today: dt.date | None = None) -> int:
    """Return the latest coded year: the year of the last change that has taken effect.

    Changes dated after ``today`` (e.g. a future transposition deadline) do not count.
    """
    today = pd.Timestamp(today or dt.date.today())
    dates = pd.concat([coding["valid_from"], coding["valid_to"]]).dropna()
    return int(dates[dates <= today].max().year)


def last_change(coding: pd.DataFrame, when) -> pd.Timestamp:
    """Return the date of the last coded change on or before a reference date (or year)."""
    date = reference_date(when)
    starts = coding.loc[coding["valid_from"] > START, "valid_from"]
    starts = starts[starts <= date]
    return starts.max() if len(starts) else START


def low_confidence_share(coding: pd.DataFrame, when, entities: Iterable[str] | None = None
                         ) -> float:
    """Share of entity x provision cells coded with ``low`` confidence on a date."""
    conf = as_of(coding, when, value="confidence")
    if entities is not None:
        conf = conf.loc[conf.index.intersection(list(entities))]
    return float((conf == "low").to_numpy().mean())


# --------------------------------------------------------------------------- weights, indices


def weights(codebook: pd.DataFrame, scheme: str | dict = "equal") -> pd.Series:
    """Return provision weights summing to 1.

    Args:
        codebook: The codebook.
        scheme: ``equal`` (each provision the same), ``dimension`` (each dimension the same
            total, split equally among its provisions) or a dict provision -> weight
            (provisions left out get 0; need not sum to 1).

    Returns:
        Weights indexed by provision id, in codebook order.

    Raises:
        ValueError: Unknown scheme, unknown provision id, or negative/zero-total weights.
    """
    ids = codebook.index
    if isinstance(scheme, dict):
        unknown = sorted(set(scheme) - set(ids))
        if unknown:
            raise ValueError(f"weights for unknown provision(s): {unknown}")
        w = pd.Series(scheme, dtype=float).reindex(ids, fill_value=0.0)
        if (w < 0).any() or w.sum() <= 0:
            raise ValueError("weights must be non-negative with a positive total")
    elif scheme == "equal":
        w = pd.Series(1.0, index=ids)
    elif scheme == "dimension":
        w = 1.0 / codebook.groupby("dimension")["dimension"].transform("size")
    else:
        raise ValueError(f"unknown weighting scheme {scheme!r} (equal, dimension or a dict)")
    w.index.name = "provision"
    return w / w.sum()


def index(scores: pd.DataFrame, w: pd.Series, subset: Iterable[str] | None = None) -> pd.Series:
    """Weighted protection index, 0-100: score/2 averaged with weights, times 100.

    Args:
        scores: Entities x provisions (0/1/2), as :func:`as_of` returns.
        w: Provision weights (:func:`weights`).
        subset: Provisions to use; the weights are renormalised over them.

    Returns:
        One value per entity; NaN where a used provision has no score.
    """
    cols = list(subset) if subset is not None else list(w.index)
    sub = w.reindex(cols).fillna(0.0)
    if sub.sum() <= 0:
        return pd.Series(np.nan, index=scores.index)
    values = scores.reindex(columns=cols).astype(float) / 2.0
    out = 100.0 * (values * sub).sum(axis=1, min_count=1) / sub.sum()
    return out.where(values.notna().all(axis=1))


def indices(scores: pd.DataFrame, codebook: pd.DataFrame, scheme: str | dict = "equal"
            ) -> pd.DataFrame:
    """Overall index, one index per dimension and the three Protocol subscores.

    Args:
        scores: Entities x provisions (:func:`as_of`).
        codebook: The codebook.
        scheme: Weighting (see :func:`weights`); within a dimension or Protocol group the
            same weights are renormalised.

    Returns:
        Entities as rows; columns ``overall``, ``protocol_mandatory``,
        ``protocol_optional``, ``beyond_protocol`` and one per dimension.
    """
    w = weights(codebook, scheme)
    out = {"overall": index(scores, w)}
    for group in GROUP_LABELS:
        out[group] = index(scores, w, codebook.index[codebook.protocol_group == group])
    for dim in codebook.attrs.get("dimensions", sorted(codebook.dimension.unique())):
        out[dim] = index(scores, w, codebook.index[codebook.dimension == dim])
    return pd.DataFrame(out)


def implementation_shares(scores: pd.DataFrame, codebook: pd.DataFrame,
                          group: str = "protocol_optional") -> pd.DataFrame:
    """Share of a Protocol group's clauses scored 2, 1 and 0 per entity.

    Returns:
        Columns ``in_law`` (2), ``partial`` (1), ``absent`` (0), each a share 0-1.
    """
    cols = codebook.index[codebook.protocol_group == group]
    sub = scores[cols]
    return pd.DataFrame({"in_law": (sub == 2).mean(axis=1), "partial": (sub == 1).mean(axis=1),
                         "absent": (sub == 0).mean(axis=1)})


def timeline(coding: pd.DataFrame, codebook: pd.DataFrame, years: Iterable[int],
             scheme: str | dict = "equal", column: str = "overall") -> pd.DataFrame:
    """Japan, the EU floor and the EU Member States (membership of each year) over time.

    Returns:
        One row per year: ``Japan``, ``EU floor``, ``EU median``, ``EU q1``, ``EU q3``,
        ``EU min``, ``EU max`` and ``EU n`` (Member States coded that year).
    """
    rows = []
    for year in years:
        ind = indices(as_of(coding, year), codebook, scheme)[column]
        eu = ind.reindex(countries.eu_members(year)).dropna()
        rows.append({"year": year, "Japan": ind.get("JPN", np.nan),
                     "EU floor": ind.get(EU_FLOOR, np.nan), "EU median": eu.median(),
                     "EU q1": eu.quantile(0.25), "EU q3": eu.quantile(0.75),
                     "EU min": eu.min(), "EU max": eu.max(), "EU n": len(eu)})
    return pd.DataFrame(rows).set_index("year")


# --------------------------------------------------------------------------- sensitivity


def sensitivity(scores: pd.DataFrame, n_draws: int = 10_000, seed: int = 20241,
                alpha: float = 1.0, interval: tuple[float, float] = (5.0, 95.0)
                ) -> pd.DataFrame:
    """Rank stability under random weights (Dirichlet over provisions).

    All draws are evaluated with one matrix product (entities x provisions times
    provisions x draws). Rank 1 is the most protective; ties share the best rank.

    Args:
        scores: Entities x provisions (0/1/2), no missing values; pass countries only
            (the EU floor is not a country).
        n_draws: Number of weight vectors.
        seed: Seed of numpy's default generator: the same seed gives the same result.
        alpha: Dirichlet concentration (1 = uniform over all weightings).
        interval: Percentiles of the rank distribution reported.

    Returns:
        Per entity: ``rank_lo``, ``rank_median``, ``rank_hi`` (the percentiles),
        ``index_lo``, ``index_median``, ``index_hi`` (the index under the draws) and
        ``rank_equal`` (rank with equal weights), sorted by median rank.
    """
    values = scores.to_numpy(dtype=float) / 2.0 * 100.0
    if np.isnan(values).any():
        raise ValueError("sensitivity() needs complete scores; drop entities with gaps")
    rng = np.random.default_rng(seed)
    draws = rng.dirichlet(np.full(values.shape[1], alpha), size=n_draws)
    sims = values @ draws.T  # entities x draws
    ranks = competition_ranks(sims)
    q = [interval[0], 50.0, interval[1]]
    r_lo, r_med, r_hi = np.percentile(ranks, q, axis=1)
    i_lo, i_med, i_hi = np.percentile(sims, q, axis=1)
    equal = competition_ranks(values.mean(axis=1, keepdims=True))[:, 0]
    out = pd.DataFrame({"rank_lo": r_lo, "rank_median": r_med, "rank_hi": r_hi,
                        "index_lo": i_lo, "index_median": i_med, "index_hi": i_hi,
                        "rank_equal": equal}, index=scores.index)
    return out.sort_values(["rank_median", "rank_equal"], kind="stable")


def competition_ranks(values: np.ndarray) -> np.ndarray:
    """Rank each column's rows, highest value = 1, ties sharing the best rank (1, 1, 3)."""
    values = np.round(values, 9)  # float noise must not break ties between equal profiles
    order = np.argsort(-values, axis=0, kind="stable")
    sorted_vals = np.take_along_axis(values, order, axis=0)
    new = np.ones_like(sorted_vals, dtype=bool)
    new[1:] = sorted_vals[1:] != sorted_vals[:-1]
    pos = np.arange(1, values.shape[0] + 1)[:, None]
    best = np.maximum.accumulate(np.where(new, pos, 0), axis=0)
    ranks = np.empty_like(best)
    np.put_along_axis(ranks, order, best, axis=0)
    return ranks


# --------------------------------------------------------------------------- regions


def regions(year: int) -> dict[str, tuple[str, ...]]:
    """Return the comparison regions of a year, in display order.

    "EU Member States" are those of that year (:func:`analysis.countries.eu_members`:
    the UK until 2019, Croatia from 2013...); "Europe outside the EU" is Norway,
    Switzerland and, from 2020, the United Kingdom.
    """
    eu = countries.eu_members(year)
    outside = tuple(c for c in ("GBR", "NOR", "CHE") if c not in eu)
    found = {**_FIXED_REGIONS, "EU Member States": eu, "Europe outside the EU": outside}
    return {name: found[name] for name in REGION_ORDER}


def region_of(iso3: str, year: int) -> str:
    """Return the region of an entity in a year ("Other" when in none)."""
    for name, members in regions(year).items():
        if iso3 in members:
            return name
    return "Other"


def aggregates(values: pd.Series, year: int) -> pd.DataFrame:
    """Summarise an index by region: n, median, quartiles, min and max.

    Args:
        values: One index value per entity.
        year: The year the regions are drawn for (EU membership changes).

    Returns:
        One row per region (display order) with ``n``, ``median``, ``q1``, ``q3``, ``min``,
        ``max`` and ``members`` (the coded entities used).
    """
    rows = []
    for name, members in regions(year).items():
        sel = values.reindex(members).dropna()
        rows.append({"region": name, "n": len(sel), "median": sel.median(),
                     "q1": sel.quantile(0.25), "q3": sel.quantile(0.75), "min": sel.min(),
                     "max": sel.max(), "members": " ".join(sel.index)})
    return pd.DataFrame(rows).set_index("region")


# --------------------------------------------------------------------------- validity vs 3P


def compare_threep(coding: pd.DataFrame, codebook: pd.DataFrame, threep: pd.DataFrame,
                   scheme: str | dict = "equal") -> pd.DataFrame:
    """Pair the project's overall index with the 3P protection score, per country-year.

    The 3P year is compared with the coding's state on 31 December of that year.

    Args:
        coding: The coding table.
        codebook: The codebook.
        threep: The tidy 3P table (:func:`analysis.sources.threep.load`).
        scheme: Weighting of the project's index.

    Returns:
        Rows ``iso3``, ``year``, ``index``, ``threep_protection``, and the pooled
        percentile ranks of both (``rank_index``, ``rank_threep``) and their difference
        ``rank_gap`` (index rank minus 3P rank: positive = law scores higher than 3P).
    """
    coded = sorted(set(coding["iso3"]) - {EU_FLOOR})
    have = threep[threep["iso3"].isin(coded) & threep["protection"].notna()]
    rows = []
    for year, grp in have.groupby("year"):
        ind = indices(as_of(coding, int(year)), codebook, scheme)["overall"]
        rows.append(pd.DataFrame({"iso3": grp["iso3"].to_numpy(), "year": int(year),
                                  "index": ind.reindex(grp["iso3"]).to_numpy(),
                                  "threep_protection": grp["protection"].to_numpy()}))
    pairs = pd.concat(rows, ignore_index=True).dropna()
    pairs["rank_index"] = pairs["index"].rank(pct=True)
    pairs["rank_threep"] = pairs["threep_protection"].rank(pct=True)
    pairs["rank_gap"] = pairs["rank_index"] - pairs["rank_threep"]
    return pairs


def spearman(pairs: pd.DataFrame) -> tuple[float, float, int]:
    """Spearman's rho (scipy) between the index and the 3P protection score: rho, p, n."""
    from scipy.stats import spearmanr

    res = spearmanr(pairs["index"], pairs["threep_protection"])
    return float(res.statistic), float(res.pvalue), len(pairs)


def spearman_by_year(pairs: pd.DataFrame) -> pd.Series:
    """Spearman's rho between the index and the 3P protection score within each year."""
    from scipy.stats import spearmanr

    return pairs.groupby("year").apply(
        lambda g: float(spearmanr(g["index"], g["threep_protection"]).statistic),
        include_groups=False)


def disagreements(pairs: pd.DataFrame, coding: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """Countries whose index and 3P score disagree most, averaged over their years.

    Args:
        pairs: :func:`compare_threep` output.
        coding: The coding table, to describe how each country's protection is coded.
        n: How many countries to return.

    Returns:
        Per country: mean ``rank_gap`` (positive: the law scores higher than 3P's reading
        of practice), ``direction``, mean ``index`` and ``threep_protection``, ``years``
        compared, ``share_partial`` (share of its cells scored 1: partial, discretionary or
        practice only) and ``share_low`` (share coded with low confidence), both averaged
        over the compared years; the ``n`` largest by absolute gap.
    """
    by = pairs.groupby("iso3").agg(rank_gap=("rank_gap", "mean"), index=("index", "mean"),
                                   threep_protection=("threep_protection", "mean"),
                                   years=("year", "size"))
    by["direction"] = np.where(by["rank_gap"] > 0, "law above 3P", "3P above law")
    top = by.reindex(by["rank_gap"].abs().sort_values(ascending=False).index).head(n)
    partial, low = {}, {}
    for iso3 in top.index:
        years = pairs.loc[pairs["iso3"] == iso3, "year"]
        partial[iso3] = np.mean([(as_of(coding, int(y)).loc[iso3] == 1).mean() for y in years])
        low[iso3] = np.mean([(as_of(coding, int(y), "confidence").loc[iso3] == "low").mean()
                             for y in years])
    return top.assign(share_partial=pd.Series(partial), share_low=pd.Series(low))
