"""Treaties and the law: who had ratified on a date, the coding around ratification, events."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from analysis.protection.coding import EU_FLOOR, START, as_of, coded_up_to, reference_date
from analysis.protection.indices import indices

#: Treaty tables code the EU as EUU; the coding's EU floor is what binds Member States.
CODING_IDS = {"EUU": EU_FLOOR}
CONSENT_VERBS = {"ratification": "ratifies", "acceptance": "accepts", "approval": "approves",
                 "accession": "accedes to"}
TREATY_SHORT = {"palermo_protocol": "the UN Trafficking Protocol", "cets197": "CETS No. 197",
                "ilo_p029": "the ILO Forced Labour Protocol (P029)"}

#: Policy events marked on the timeline that are not treaty actions (dates from
#: ../shared/reference/victim-protection-law.md and, for the Action Plan, the coding's own
#: legal basis). Treaty actions come from the treaty table (:func:`treaty_events`).
POLICY_EVENTS = pd.DataFrame([
    ("2004-12-07", "Japan: Action Plan of Measures to Combat Trafficking in Persons", "Japan"),
    ("2005-07-12", "Japan: Penal Code Art 226-2 and Immigration Control Act amendments "
                   "in force", "Japan"),
    ("2004-04-29", "EU: Directive 2004/81/EC (residence for cooperating victims; "
                   "transposition by Aug 2006)", "EU"),
    ("2011-04-05", "EU: Directive 2011/36/EU (transposition by Apr 2013)", "EU"),
    ("2024-06-13", "EU: Directive (EU) 2024/1712 amending 2011/36/EU", "EU"),
], columns=["date", "label", "actor"]).assign(date=lambda d: pd.to_datetime(d["date"]))


def treaty_events(events: pd.DataFrame, actors: dict[str, str] | None = None,
                  treaty: str = "palermo_protocol") -> pd.DataFrame:
    """Timeline events for treaty consent, dated from the treaty table (day-exact only).

    Args:
        events: :func:`analysis.sources.treaties.load` output.
        actors: iso3 -> actor name shown (default: Japan only).
        treaty: Which treaty.

    Returns:
        Columns ``date``, ``label``, ``actor`` (as :data:`POLICY_EVENTS`).
    """
    actors = actors or {"JPN": "Japan"}
    ev = events[(events["treaty"] == treaty) & events["iso3"].isin(actors)]
    rows = []
    for iso3, actor in actors.items():
        mine = ev[ev["iso3"] == iso3].set_index("event")
        if iso3 not in set(ev["iso3"]) or pd.isna(mine.at["consent", "date"]):
            continue  # a month-only or unknown date cannot be drawn as a day
        eif = mine.at["entry_into_force", "date"]
        verb = CONSENT_VERBS.get(mine.at["consent", "consent_type"], "consents to")
        label = f"{actor}: {verb} {TREATY_SHORT[treaty]}"
        if pd.notna(eif):
            label += f" (in force {eif.day} {eif:%b %Y})"
        rows.append((mine.at["consent", "date"], label, actor))
    return pd.DataFrame(rows, columns=["date", "label", "actor"])


def policy_events(events: pd.DataFrame) -> pd.DataFrame:
    """Return the timeline events: :data:`POLICY_EVENTS` plus Japan's treaty consent, by date."""
    both = pd.concat([POLICY_EVENTS, treaty_events(events)], ignore_index=True)
    return both.sort_values("date", kind="stable").reset_index(drop=True)


def ratified_on(events: pd.DataFrame, status: pd.DataFrame, when: int | dt.date,
                treaty: str = "palermo_protocol") -> pd.DataFrame:
    """Whether each entity had consented to a treaty on a date: yes, no or unknown.

    A month-only consent is ``unknown`` during that month; an unknown consent date is
    ``yes`` from a known entry into force or a dated report of party status, ``no`` up to
    a dated report that the State was not a party, ``no`` for a State the source says is
    not a party, and otherwise ``unknown``. Entities missing from a treaty's file are
    ``unknown``, never ``no``.

    Args:
        events: :func:`analysis.sources.treaties.load` output.
        status: :func:`analysis.sources.treaties.load_status` output.
        when: An integer year (31 December) or a date.
        treaty: Which treaty.

    Returns:
        One row per entity (index iso3): ``country``, ``asem_group``, ``ratified`` and
        ``basis`` (why).
    """
    date = reference_date(when)
    ev = events[events["treaty"] == treaty].set_index(["iso3", "event"])
    rows = []
    for _, s in status[status["treaty"] == treaty].iterrows():
        answer, basis = _answer(ev, s, date)
        rows.append({"iso3": s["iso3"], "country": s["country"], "asem_group": s["asem_group"],
                     "ratified": answer, "basis": basis})
    return pd.DataFrame(rows).set_index("iso3")


def _answer(ev: pd.DataFrame, s: pd.Series, date: pd.Timestamp) -> tuple[str, str]:
    if not s["in_source"]:
        return "unknown", "not in the source table"
    consent = ev.loc[(s["iso3"], "consent")]
    eif = ev.loc[(s["iso3"], "entry_into_force"), "date"]
    if consent["date_precision"] == "day":
        day = consent["date"]
        return ("yes" if date >= day else "no"), f"consent {day:%Y-%m-%d}"
    if consent["date_precision"] == "month":
        month = consent["month"]
        if date < month.start_time:
            return "no", f"consent in {month} (day not known)"
        if date > month.end_time.normalize():
            return "yes", f"consent in {month} (day not known)"
        return "unknown", f"consent during {month}; day not known"
    if pd.notna(eif) and date >= eif:
        return "yes", f"in force from {eif:%Y-%m-%d}; consent date not found"
    if pd.notna(s["known_party_on"]) and date >= s["known_party_on"]:
        return "yes", f"party on {s['known_party_on']:%Y-%m-%d} (dated report)"
    if pd.notna(s["known_not_party_on"]) and date <= s["known_not_party_on"]:
        return "no", f"not a party on {s['known_not_party_on']:%Y-%m-%d} (dated report)"
    if s["party"] == "no":
        return "no", "not a party, per the source"
    return "unknown", "consent date not found"


def law_around_ratification(coding: pd.DataFrame, codebook: pd.DataFrame,
                            events: pd.DataFrame, years: int = 3,
                            treaty: str = "palermo_protocol",
                            up_to: dt.date | None = None) -> pd.DataFrame:
    """How each coded entity's law changed in the years around its consent to a treaty.

    The coding is read ``years`` years before and after the day-exact consent date; a
    side outside the coding (before 2000, or after the date the coding is complete up
    to) is left empty with the reason, not extrapolated.

    Args:
        coding: The coding table.
        codebook: The codebook.
        events: :func:`analysis.sources.treaties.load` output.
        years: Years on either side.
        treaty: Which treaty.
        up_to: Date the coding is complete up to (default :func:`coded_up_to`).

    Returns:
        One row per coded entity with a consent in the table (index iso3 as coded):
        ``consent`` (date or empty), ``date_precision``, ``before``/``after`` (reference
        dates), ``index_before``, ``index_after``, ``change`` (equal-weight overall index,
        points), ``provisions_up``, ``provisions_down`` and ``note``.
    """
    up_to = pd.Timestamp(up_to) if up_to is not None else coded_up_to()
    consent = events[(events["treaty"] == treaty) & (events["event"] == "consent")].copy()
    consent["entity"] = consent["iso3"].replace(CODING_IDS)
    consent = consent[consent["entity"].isin(set(coding["iso3"]))]
    rows = []
    for _, c in consent.iterrows():
        row = {"iso3": c["entity"], "consent": c["date"], "date_precision": c["date_precision"],
               "before": pd.NaT, "after": pd.NaT, "index_before": np.nan,
               "index_after": np.nan, "change": np.nan, "provisions_up": np.nan,
               "provisions_down": np.nan, "note": ""}
        if c["date_precision"] != "day":
            row["note"] = f"consent date {c['date_precision']}: not placed"
        else:
            row.update(_around(coding, codebook, c["entity"], c["date"], years, up_to))
        rows.append(row)
    return pd.DataFrame(rows).set_index("iso3").sort_values("consent")


def _around(coding: pd.DataFrame, codebook: pd.DataFrame, entity: str, day: pd.Timestamp,
            years: int, up_to: pd.Timestamp) -> dict:
    before, after = day - pd.DateOffset(years=years), day + pd.DateOffset(years=years)
    out = {"before": before, "after": after}
    if before < START:
        out["note"] = f"{years} years before is before the coding starts ({START:%Y})"
        return out
    if after > up_to:
        out["note"] = f"{years} years after is later than the coding ({up_to:%Y-%m-%d})"
        return out
    s0, s1 = as_of(coding, before).loc[[entity]], as_of(coding, after).loc[[entity]]
    i0 = indices(s0, codebook)["overall"].iloc[0]
    i1 = indices(s1, codebook)["overall"].iloc[0]
    diff = (s1 - s0).iloc[0]
    return {**out, "index_before": i0, "index_after": i1, "change": i1 - i0,
            "provisions_up": int((diff > 0).sum()), "provisions_down": int((diff < 0).sum())}
