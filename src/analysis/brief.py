"""Brief for lawmakers: each gap in a country's victim-protection law, and who fills it."""

from __future__ import annotations

import hashlib
import html
import json
import os
import re
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from analysis import countries, paths, protection, provenance
from analysis.errors import InputError
from analysis.i18n import LANGS

TRANSLATIONS_FILE = paths.PROTECTION / "provisions_ja.csv"
PRACTICE_FILE = paths.PROTECTION / "practice"
PROVENANCE_FILE = paths.PROTECTION / "provenance.json"
TRANSLATION_COLUMNS = ["key", "kind", "en", "ja", "basis", "status"]
#: official: the Japanese government's own term; anchored: the key term occurs in an official
#: or semi-official Japanese text named in ``basis``; unverified: the project's translation,
#: not anchored; plain: ordinary wording with no legal term in it.
TRANSLATION_STATUS = ("official", "anchored", "unverified", "plain")
MAX_MODELS = 5
#: High and medium confidence citations are offered before low ones.
CONFIDENCE_RANK = {"high": 0, "medium": 0, "low": 1}
TRADITIONS = ("eu_member", "europe_non_eu", "outside_europe")
GROUP_ORDER = ("protocol_mandatory", "protocol_optional", "beyond_protocol")
#: The sensitivity analysis behind the rank interval (protection.sensitivity's defaults).
SENSITIVITY = {"n_draws": 10_000, "seed": 20241, "alpha": 1.0, "interval": (5.0, 95.0)}


# --------------------------------------------------------------------------- inputs


def coded_up_to(provenance_file: str | Path | None = None) -> pd.Timestamp:
    """Return the date the coders say the coding is complete up to (one rule: protection's)."""
    return protection.coded_up_to(provenance_file)


def default_year(coding: pd.DataFrame, provenance_file: str | Path | None = None) -> int:
    """Return the year a brief describes when none is given (as notebook 02 does).

    The latest year whose 31 December the coding covers (:func:`analysis.protection.
    latest_year`): never today's date, so a brief rerun later says the same.

    Args:
        coding: The coding table (kept for the call's shape; the rule reads the record).
        provenance_file: The folder record (default ``data/protection/provenance.json``).

    Returns:
        The year.
    """
    return protection.latest_year(coded_up_to(provenance_file))


def check_request(coding: pd.DataFrame, country: str, year: int, last_year: int) -> None:
    """Refuse an entity the coding does not hold or a year it does not cover.

    Raises:
        InputError: Unknown entity, or a year before the coding starts or after it ends.
    """
    known = sorted(coding["iso3"].unique())
    if country not in known:
        raise InputError("--country", f"'{country}' is not a coded entity",
                         f"use one of: {', '.join(known)}")
    first = int(coding["valid_from"].min().year)
    if not first <= year <= last_year:
        raise InputError("--year", f"{year} is outside the coding ({first}-{last_year}: the "
                         "law is coded from 2000 up to the 'coded up to' year)",
                         f"give a year from {first} to {last_year}")


def load_translations(path: str | Path | None = None) -> pd.DataFrame:
    """Read the reviewed translation table (fixed text, headings, provision names).

    Args:
        path: The CSV (default ``data/protection/provisions_ja.csv``).

    Returns:
        The table indexed by ``key``.

    Raises:
        InputError: Missing file or column, a repeated key, an empty cell or an unknown status.
    """
    path = Path(path or TRANSLATIONS_FILE)
    if not path.exists():
        raise InputError(str(path), "translation table not found",
                         "restore data/protection/provisions_ja.csv")
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in TRANSLATION_COLUMNS if c not in table.columns]
    if missing:
        raise InputError(str(path), f"columns missing: {missing}",
                         f"use the header {','.join(TRANSLATION_COLUMNS)}", row=1)
    for col in TRANSLATION_COLUMNS:
        empty = table[col].str.strip() == ""
        if empty.any():
            i = int(empty.idxmax())
            raise InputError(str(path), "empty cell", "fill it in (every term needs its "
                             "basis and status)", row=i + 2, column=col)
    bad = ~table["status"].isin(TRANSLATION_STATUS)
    if bad.any():
        i = int(bad.idxmax())
        raise InputError(str(path), f"status '{table.at[i, 'status']}' is not one of "
                         f"{list(TRANSLATION_STATUS)}", "correct the status", row=i + 2,
                         column="status")
    dup = table["key"].duplicated()
    if dup.any():
        i = int(dup.idxmax())
        raise InputError(str(path), f"key '{table.at[i, 'key']}' repeated", "keep one row",
                         row=i + 2, column="key")
    return table.set_index("key")


def load_practice(path: str | Path | None = None) -> pd.DataFrame | None:
    """Read the practice evidence (:func:`analysis.protection.practice.load`) for the brief.

    Returns:
        iso3, provision, year, evidence (what happened and whether it delivers the law's
        promise) and source (document and locator); None when the folder does not exist.

    Raises:
        InputError: A part of the table breaks the practice table's rules.
    """
    from analysis.protection import practice

    path = Path(path or PRACTICE_FILE)
    if not path.exists():
        return None
    table = practice.load(path)
    verb = {"supports": "delivers", "contradicts": "falls short of"}
    return pd.DataFrame({
        "iso3": table.iso3, "provision": table.provision,
        "year": table.year.astype(float),
        "evidence": table.what_happened + " (practice " + table.direction.map(verb)
        + " the law's promise)",
        "source": table.source.str.split(",").str[0] + ", " + table.locator,
    })


# --------------------------------------------------------------------------- the content


@dataclass
class Gap:
    """One provision where the country scores below 2, with the states that score 2."""

    provision: str
    group: str
    force: str
    para: str
    description: str
    score: int
    legal_basis: str
    confidence: str
    eu_score: int | None
    eu_basis: str
    eu_confidence: str
    states_with: int
    states_coded: int
    models: pd.DataFrame
    practice: str = ""


@dataclass
class Brief:
    """Everything a brief shows, before it is put into words."""

    country: str
    year: int
    date: pd.Timestamp
    gaps: list[Gap]
    index: dict[str, float]
    rank: dict[str, float] | None
    countries_ranked: int
    provisions: int
    group_counts: dict[str, int]
    top: list[Gap] = field(default_factory=list)
    up_to: pd.Timestamp | None = None


def tradition(iso3: str, year: int) -> str:
    """Return the legal tradition group of a state in a year (EU membership changes)."""
    if iso3 in countries.eu_members(year):
        return "eu_member"
    if iso3 in ("GBR", "NOR", "CHE"):
        return "europe_non_eu"
    return "outside_europe"


def model_states(cells: pd.DataFrame, provision: str, country: str, year: int,
                 n: int = MAX_MODELS) -> pd.DataFrame:
    """Choose up to ``n`` states scoring 2 on a provision, several traditions where they exist.

    High and medium confidence citations first; within that, the traditions (EU Member
    States; the UK, Norway or Switzerland; outside Europe) take turns so that each one
    present appears before any appears twice. Low-confidence citations fill the remaining
    places, traditions not yet shown first. Ties go by confidence (high before medium),
    then ISO3 code, so the same coding always gives the same choice.

    Args:
        cells: The cells in force (:func:`cells_on`), one row per entity x provision.
        provision: The provision id.
        country: The entity the brief is about (never its own model; nor is the EU floor).
        year: For EU membership.
        n: How many states at most.

    Returns:
        Rows ``iso3``, ``tradition``, ``legal_basis``, ``confidence``, in the chosen order.
    """
    pool = cells[(cells["provision"] == provision) & (cells["score"] == 2)
                 & ~cells["iso3"].isin([country, protection.EU_FLOOR])].copy()
    pool["tradition"] = [tradition(c, year) for c in pool["iso3"]]
    pool["tier"] = pool["confidence"].map(CONFIDENCE_RANK)
    pool["conf_order"] = pool["confidence"].map({"high": 0, "medium": 1, "low": 2})
    pool = pool.sort_values(["tier", "conf_order", "iso3"], kind="stable")
    chosen: list[int] = []
    for tier in (0, 1):
        shown = {pool.at[i, "tradition"] for i in chosen}
        # traditions not shown yet go first, so a low-confidence pass still adds variety
        order = sorted(TRADITIONS, key=lambda t: (t in shown, TRADITIONS.index(t)))
        queues = [list(pool.index[(pool["tier"] == tier) & (pool["tradition"] == t)])
                  for t in order]
        chosen += _take_turns(queues, n - len(chosen))
    return pool.loc[chosen, ["iso3", "tradition", "legal_basis", "confidence"]].reset_index(
        drop=True)


def _take_turns(queues: list[list[int]], room: int) -> list[int]:
    """Take one item from each queue in turn until ``room`` items are taken or all are empty."""
    taken: list[int] = []
    while len(taken) < room and any(queues):
        for queue in queues:
            if queue and len(taken) < room:
                taken.append(queue.pop(0))
    return taken


def cells_on(coding: pd.DataFrame, year: int) -> pd.DataFrame:
    """Return the cell in force on 31 December of ``year`` for every entity x provision.

    Built from :func:`analysis.protection.as_of`, one column at a time, so the brief reads
    the coding exactly as the indices do.
    """
    parts = {col: protection.as_of(coding, year, value=col).stack()
             for col in ("score", "legal_basis", "confidence")}
    cells = pd.DataFrame(parts).reset_index()
    cells["score"] = cells["score"].astype(int)
    return cells


def _practice_line(practice: pd.DataFrame | None, country: str, provision: str,
                   year: int) -> str:
    """One line of practice evidence: the latest row not after ``year`` (undated = oldest)."""
    if practice is None:
        return ""
    rows = practice[(practice["iso3"] == country) & (practice["provision"] == provision)]
    if "year" in rows:
        rows = rows[rows["year"].isna() | (rows["year"] <= year)].sort_values(
            "year", na_position="first")
    if rows.empty:
        return ""
    last = rows.iloc[-1]
    return f"{last['evidence']} ({last['source']})"


def build(country: str, year: int | None = None, coding: pd.DataFrame | None = None,
          codebook: pd.DataFrame | None = None, practice: pd.DataFrame | None = None,
          provenance_file: str | Path | None = None) -> Brief:
    """Collect a country's gaps, their model states and the summary numbers.

    Gaps are ordered by the force of the Protocol clause (mandatory, then optional,
    qualified or soft, then beyond the Protocol) and, within a group, in codebook order.

    Args:
        country: A coded entity (ISO3 code, or ``EU`` for the EU floor).
        year: The year (read on 31 December); default :func:`default_year`.
        coding: The coding table (loaded when None).
        codebook: The codebook (loaded when None).
        practice: The practice table (:func:`load_practice`) or None.
        provenance_file: The record stating ``coded_up_to`` (see :func:`default_year`).

    Returns:
        The brief's content.

    Raises:
        InputError: Unknown entity or a year outside the coding.
    """
    codebook = codebook if codebook is not None else protection.load_codebook()
    coding = coding if coding is not None else protection.load_coding(codebook=codebook)
    up_to = coded_up_to(provenance_file)
    last_year = default_year(coding, provenance_file)
    year = last_year if year is None else int(year)
    check_request(coding, country, year, last_year)
    cells = cells_on(coding, year)
    scores = protection.as_of(coding, year)
    gaps = [_gap(cells, codebook, country, year, prov, practice) for prov in _ordered(codebook)
            if scores.at[country, prov] < 2]
    ind = protection.indices(scores, codebook).loc[country]
    states = scores.drop(index=protection.EU_FLOOR, errors="ignore")
    rank = None
    if country != protection.EU_FLOOR:
        sens = protection.sensitivity(states, **SENSITIVITY)
        rank = sens.loc[country].to_dict()
        # The same seed's joint draws add the coding's own uncertainty (one step off, with
        # the codebook's probability per confidence level) to the random weights.
        confidence = protection.as_of(coding, year, value="confidence")
        joint = protection.simulate(scores, confidence, codebook, mode="joint",
                                    n_draws=SENSITIVITY["n_draws"], seed=SENSITIVITY["seed"])
        joint_ranks = protection.rank_intervals(joint, scores).loc[country]
        rank.update(joint_lo=joint_ranks["rank_lo"], joint_hi=joint_ranks["rank_hi"])
    counts = {g: sum(gp.group == g for gp in gaps) for g in GROUP_ORDER}
    top = sorted(gaps, key=lambda g: -g.states_with)[:3]  # stable: ties keep the gap order
    return Brief(country=country, year=year, date=pd.Timestamp(year=year, month=12, day=31),
                 gaps=gaps, index={k: float(ind[k]) for k in ("overall", *GROUP_ORDER)},
                 rank=rank, countries_ranked=len(states), provisions=len(codebook),
                 group_counts=counts, top=[g for g in top if g.states_with > 0], up_to=up_to)


def _ordered(codebook: pd.DataFrame) -> list[str]:
    """Provision ids by Protocol group (mandatory first), then codebook order."""
    pos = {g: i for i, g in enumerate(GROUP_ORDER)}
    return sorted(codebook.index, key=lambda p: pos[codebook.at[p, "protocol_group"]])


def _gap(cells: pd.DataFrame, codebook: pd.DataFrame, country: str, year: int, prov: str,
         practice: pd.DataFrame | None) -> Gap:
    here = cells[cells["provision"] == prov].set_index("iso3")
    own = here.loc[country]
    eu = here.loc[protection.EU_FLOOR] if protection.EU_FLOOR in here.index else None
    others = here.drop(index=[country, protection.EU_FLOOR], errors="ignore")
    return Gap(provision=prov, group=codebook.at[prov, "protocol_group"],
               force=codebook.at[prov, "force"], para=codebook.at[prov, "para"],
               description=codebook.at[prov, "description"], score=int(own["score"]),
               legal_basis=own["legal_basis"], confidence=own["confidence"],
               eu_score=None if eu is None or country == protection.EU_FLOOR
               else int(eu["score"]),
               eu_basis="" if eu is None else eu["legal_basis"],
               eu_confidence="" if eu is None else eu["confidence"],
               states_with=int((others["score"] == 2).sum()), states_coded=len(others),
               models=model_states(cells, prov, country, year),
               practice=_practice_line(practice, country, prov, year))


# --------------------------------------------------------------------------- words


class Texts:
    """The fixed text of a brief in one language, from the translation table."""

    def __init__(self, table: pd.DataFrame, lang: str, codebook: pd.DataFrame,
                 source: str | Path = TRANSLATIONS_FILE) -> None:
        """Check that every key the brief uses exists and its placeholders match English.

        Args:
            table: The translation table (:func:`load_translations`).
            lang: ``en`` or ``ja``.
            codebook: The codebook (provision ids and their English descriptions).
            source: The table's file, for messages.

        Raises:
            InputError: A key is missing or its Japanese placeholders differ from the English.
        """
        self.table, self.lang = table, lang
        needed = [*_FIXED_KEYS, *(f"provision.{p}" for p in codebook.index),
                  *(f"force.{f}" for f in protection.FORCES),
                  *(f"group.{g}" for g in GROUP_ORDER), *(f"tradition.{t}" for t in TRADITIONS),
                  *(f"confidence.{c}" for c in ("high", "medium", "low"))]
        missing = [k for k in needed if k not in table.index]
        if missing:
            raise InputError(str(source), f"keys missing: {missing[:5]}",
                             "add a row per key (en, ja, basis, status)")
        for key, row in table.iterrows():
            if _fields(row["en"]) != _fields(row["ja"]):
                raise InputError(str(source), f"key '{key}': placeholders of ja "
                                 f"{sorted(_fields(row['ja']))} differ from en "
                                 f"{sorted(_fields(row['en']))}", "use the same {names}",
                                 column="ja")
        self.descriptions = codebook["description"]

    def __call__(self, key: str, **values) -> str:
        """Return the text of ``key`` in this brief's language, placeholders filled in."""
        return self.table.at[key, self.lang].format(**values)

    def unverified(self, key: str) -> bool:
        """Whether a Japanese term is the project's own, not anchored in an official text."""
        return self.lang == "ja" and self.table.at[key, "status"] == "unverified"

    def provision(self, prov: str) -> str:
        """Return a provision's name, marked with a dagger where the Japanese is unverified."""
        name = self(f"provision.{prov}")
        return name + ("†" if self.unverified(f"provision.{prov}") else "")

    def description(self, prov: str) -> str:
        """Return a provision in plain words: the codebook's text, or its reviewed translation.

        A translation whose English no longer matches the codebook is stale: the codebook's
        English is shown instead of a translation of an older text.
        """
        key = f"description.{prov}"
        if self.lang == "en" or key not in self.table.index:
            return self.descriptions[prov]
        if self.table.at[key, "en"] != self.descriptions[prov]:
            return self.descriptions[prov]
        return self.table.at[key, "ja"]

    def country(self, iso3: str, article: bool = False) -> str:
        """Return an entity's display name in this language ("the" in English running text)."""
        key = f"country.{iso3}"
        if self.lang == "ja" and key in self.table.index:
            return self.table.at[key, "ja"]
        if article and iso3 == protection.EU_FLOOR:
            return "the EU floor"
        return countries.name(iso3, article=article)


_FIXED_KEYS = ("title", "intro", "heading.summary", "heading.gaps", "heading.method",
               "summary.index", "summary.subscores", "summary.rank", "summary.rank_none",
               "summary.gaps", "summary.top", "summary.top_item", "summary.no_gaps",
               "label.plain", "label.protocol", "label.current", "label.eu_floor",
               "label.models", "label.no_models", "label.more_models", "label.practice",
               "label.score", "label.low", "note.scale", "note.confidence", "note.source",
               "note.translation", "note.ranks", "label.eu_not_applicable", "note.coverage",
               "label.closest")


def _fields(text: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(text) if f}


def _para(para: str, lang: str = "en") -> str:
    """Protocol paragraph as an article reference: '6.3(a)' -> 'Art 6(3)(a)' or '第6条3(a)'."""
    if not para:
        return ""
    style = r"Art \1(\2)" if lang == "en" else r"第\1条\2"
    return "; ".join(re.sub(r"^(\d+)\.(\d+)", style, p.strip()) for p in para.split(";"))


def _num(value: float) -> str:
    return f"{value:.1f}"


@dataclass
class Block:
    """A piece of the brief: kind (h1, h2, h3, p, item, model) and its text parts."""

    kind: str
    text: str
    extra: dict = field(default_factory=dict)


def blocks(brief: Brief, t: Texts) -> list[Block]:
    """Put a brief into words, as a list of blocks both renderers share."""
    name = t.country(brief.country, article=True)
    date = f"{brief.date:%Y-%m-%d}"
    out = [Block("h1", t("title", country=name, iso3=brief.country, year=brief.year)),
           Block("p", t("intro", country=name, date=date)),
           Block("h2", t("heading.summary"))]
    out += _summary(brief, t, name, date)
    if brief.up_to is not None and brief.up_to < brief.date:
        out.append(Block("p", t("note.coverage", up_to=f"{brief.up_to:%Y-%m-%d}", date=date)))
    out += [Block("h2", t("heading.method")), Block("p", t("note.scale")),
            Block("p", t("note.confidence")), Block("p", t("note.ranks"))]
    if t.lang == "ja":
        out.append(Block("p", t("note.translation")))
    if brief.gaps:
        out.append(Block("h2", t("heading.gaps"), {"page_break": True}))
    group = None
    for i, gap in enumerate(brief.gaps, 1):
        if gap.group != group:
            group = gap.group
            out.append(Block("group", t(f"group.{group}")))
        out += _gap_blocks(i, gap, brief, t, name)
    return out


def _summary(brief: Brief, t: Texts, name: str, date: str) -> list[Block]:
    idx = brief.index
    out = [Block("item", t("summary.index", country=name, index=_num(idx["overall"]))),
           Block("item", t("summary.subscores", mandatory=_num(idx["protocol_mandatory"]),
                           optional=_num(idx["protocol_optional"]),
                           beyond=_num(idx["beyond_protocol"])))]
    if brief.rank is None:
        out.append(Block("item", t("summary.rank_none")))
    else:
        r = brief.rank
        out.append(Block("item", t("summary.rank", n=brief.countries_ranked,
                                   rank_equal=int(r["rank_equal"]), rank_lo=int(r["rank_lo"]),
                                   rank_hi=int(r["rank_hi"]), joint_lo=int(r["joint_lo"]),
                                   joint_hi=int(r["joint_hi"]),
                                   draws=f"{SENSITIVITY['n_draws']:,}",
                                   seed=SENSITIVITY["seed"])))
    if not brief.gaps:
        out.append(Block("item", t("summary.no_gaps", country=name, date=date)))
        return out
    c = brief.group_counts
    out.append(Block("item", t("summary.gaps", n=len(brief.gaps), total=brief.provisions,
                               mandatory=c["protocol_mandatory"],
                               optional=c["protocol_optional"], beyond=c["beyond_protocol"])))
    if brief.top:
        out.append(Block("item", t("summary.top")))
        out += [Block("subitem", t("summary.top_item", provision=t.provision(g.provision),
                                   with_=g.states_with, coded=g.states_coded))
                for g in brief.top]
    return out


def _gap_blocks(i: int, gap: Gap, brief: Brief, t: Texts, name: str) -> list[Block]:
    para = _para(gap.para, t.lang)
    if para and gap.force == "absent":
        para = t("label.closest", article=para)
    force = t(f"force.{gap.force}") + (f" ({para})" if para else "")
    out = [Block("h3", f"{i}. {t.provision(gap.provision)}"),
           Block("field", t.description(gap.provision), {"label": t("label.plain")}),
           Block("field", force, {"label": t("label.protocol")}),
           Block("field", _cited(gap.score, gap.legal_basis, gap.confidence, t),
                 {"label": t("label.current", country=t.country(brief.country))})]
    if gap.eu_score is not None:
        out.append(Block("field", _cited(gap.eu_score, gap.eu_basis, gap.eu_confidence, t),
                         {"label": t("label.eu_floor")}))
    elif brief.country == protection.EU_FLOOR:
        out.append(Block("field", t("label.eu_not_applicable"), {"label": t("label.eu_floor")}))
    if gap.practice:
        out.append(Block("field", gap.practice, {"label": t("label.practice")}))
    out.append(Block("label", t("label.models")))
    if gap.models.empty:
        out.append(Block("item", t("label.no_models")))
    for m in gap.models.itertuples():
        low = m.confidence == "low"
        out.append(Block("model", m.legal_basis, {
            "state": f"{t.country(m.iso3)} ({m.iso3})",
            "meta": t(f"tradition.{m.tradition}")
            + ("" if low else f"; {t(f'confidence.{m.confidence}')}"),
            "low": t("label.low") if low else ""}))
    more = gap.states_with - len(gap.models)
    if more > 0:
        out.append(Block("item", t("label.more_models", n=more)))
    return out


def _cited(score: int, basis: str, confidence: str, t: Texts) -> str:
    """Score, legal basis verbatim, and the confidence (spelled out when it is low)."""
    conf = t("label.low") if confidence == "low" else t(f"confidence.{confidence}")
    return f"{t('label.score')} {score}: {basis} ({conf})"


# --------------------------------------------------------------------------- renderers


def to_markdown(parts: list[Block], source_note: str) -> str:
    """Render the blocks as Markdown (legal bases verbatim, never reworded)."""
    lines: list[str] = []
    for b in parts:
        if b.kind in ("h1", "h2", "h3"):
            lines += ["", "#" * int(b.kind[1]) + " " + b.text, ""]
        elif b.kind == "group":
            lines += ["", f"**{b.text}**", ""]
        elif b.kind == "p":
            lines += ["", b.text, ""]
        elif b.kind == "item":
            lines.append(f"- {b.text}")
        elif b.kind == "subitem":
            lines.append(f"    - {b.text}")
        elif b.kind == "field":
            lines.append(f"- **{b.extra['label']}:** {b.text}")
        elif b.kind == "label":
            lines.append(f"- **{b.text}:**")
        elif b.kind == "model":
            low = f"; **[{b.extra['low']}]**" if b.extra["low"] else ""
            lines.append(f"    - {b.extra['state']}, {b.extra['meta']}{low}: {b.text}")
    lines += ["", source_note, ""]
    text = "\n".join(lines)
    return re.sub(r"\n{3,}", "\n\n", text).lstrip("\n")


CSS = """
@page { size: A4; margin: 16mm 15mm 18mm 15mm;
        @bottom-right { content: counter(page) " / " counter(pages); font-size: 8pt;
                        color: #555; } }
html { font-family: "Noto Sans", "Noto Sans CJK JP", "Hiragino Sans", "Yu Gothic", "Meiryo",
       "DejaVu Sans", Arial, sans-serif; font-size: 10pt; line-height: 1.4; color: #111; }
body { max-width: 180mm; margin: 0 auto; }
h1 { font-size: 16pt; margin: 0 0 4pt; color: #0b2e59; }
h2 { font-size: 13pt; margin: 14pt 0 4pt; border-bottom: 1px solid #0b2e59; color: #0b2e59; }
h3 { font-size: 11pt; margin: 12pt 0 2pt; break-after: avoid; page-break-after: avoid; }
.group { font-weight: bold; margin: 12pt 0 2pt; color: #1f5fa8; break-after: avoid; }
.summary { break-after: page; page-break-after: always; }
ul { margin: 2pt 0 4pt 0; padding-left: 14pt; }
li, dd, dt { break-inside: avoid; page-break-inside: avoid; }
li { margin: 1pt 0; }
li.sub { margin-left: 14pt; list-style: circle; }
dl { display: grid; grid-template-columns: 36mm 1fr; column-gap: 4mm; row-gap: 2pt;
     margin: 0 0 2pt; }
dt { font-weight: bold; }
dd { margin: 0; }
p, li, dd { overflow-wrap: anywhere; }
.low { color: #8a1c1c; font-weight: bold; }
.meta { color: #444; }
.source { margin-top: 12pt; font-size: 8.5pt; color: #444; }
"""


def to_html(parts: list[Block], source_note: str, lang: str, title: str) -> str:
    """Render the blocks as one self-contained, printable HTML page (inline CSS only).

    The summary and how to read it fill the first page; the gaps start on the next one.
    """
    cut = next((i for i, b in enumerate(parts) if b.extra.get("page_break")), len(parts))
    body = ['<div class="summary">', *_render(parts[:cut]), "</div>", *_render(parts[cut:]),
            f'<p class="source">{html.escape(source_note)}</p>']
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
            + "\n".join(body) + "\n</body>\n</html>\n")


_LIST_KINDS = {"field": "dl", "item": "ul", "subitem": "ul", "label": "ul", "model": "ul"}


def _render(parts: list[Block]) -> list[str]:
    """HTML lines for a run of blocks: fields as a definition list, items as a list."""
    e = html.escape
    out: list[str] = []
    open_list, in_section = None, False
    for b in parts:
        want = _LIST_KINDS.get(b.kind)
        if want != open_list:
            if open_list:
                out.append(f"</{open_list}>")
            if want:
                out.append(f"<{want}>")
            open_list = want
        if b.kind in ("h2", "h3", "group") and in_section:
            out.append("</section>")
            in_section = False
        if b.kind == "h3":
            out.append('<section class="gap">')
            in_section = True
        if b.kind in ("h1", "h2", "h3"):
            out.append(f"<{b.kind}>{e(b.text)}</{b.kind}>")
        elif b.kind == "group":
            out.append(f'<p class="group">{e(b.text)}</p>')
        elif b.kind == "p":
            out.append(f"<p>{e(b.text)}</p>")
        elif b.kind == "field":
            out.append(f"<dt>{e(b.extra['label'])}</dt><dd>{e(b.text)}</dd>")
        else:
            out.append(_li(b))
    if open_list:
        out.append(f"</{open_list}>")
    if in_section:
        out.append("</section>")
    return out


def _li(b: Block) -> str:
    e = html.escape
    if b.kind == "label":
        return f"<li><strong>{e(b.text)}</strong></li>"
    if b.kind == "subitem":
        return f'<li class="sub">{e(b.text)}</li>'
    if b.kind == "model":
        low = f'; <span class="low">[{e(b.extra["low"])}]</span>' if b.extra["low"] else ""
        return (f'<li class="sub"><strong>'
                f'{e(b.extra["state"])}</strong> <span class="meta">{e(b.extra["meta"])}</span>'
                f"{low}: {e(b.text)}</li>")
    return f"<li>{e(b.text)}</li>"


# --------------------------------------------------------------------------- files


def file_stem(country: str, year: int, lang: str = "en") -> str:
    """Return a brief's file name without extension, e.g. ``brief-JPN-2026-ja``."""
    return f"brief-{country}-{year}" + ("-ja" if lang == "ja" else "")


def write(country: str, year: int | None = None, lang: str = "en",
          out_dir: str | Path | None = None, *, coding_file: str | Path | None = None,
          codebook_file: str | Path | None = None, translations_file: str | Path | None = None,
          practice_file: str | Path | None = None,
          provenance_file: str | Path | None = None) -> list[Path]:
    """Write a brief as Markdown and printable HTML, with a JSON sidecar.

    Everything is put together in memory first; the files are then written to temporary
    files beside their targets and moved into place, so an error leaves no half-written
    brief behind.

    Args:
        country: A coded entity (ISO3, or ``EU``); case does not matter.
        year: The year (31 December); default the coding's "coded up to" year.
        lang: ``en`` or ``ja`` (headings, fixed text and provision names in Japanese; legal
            bases stay in their original language).
        out_dir: Target folder (default ``reports/briefs``).
        coding_file: The coding table (default ``data/protection/coding.csv``).
        codebook_file: The codebook (default ``data/protection/codebook.yml``).
        translations_file: The translation table (default ``provisions_ja.csv``).
        practice_file: The practice evidence folder (default ``data/protection/practice``).
        provenance_file: The folder record holding ``coded_up_to``.

    Returns:
        The written paths: ``.md``, ``.html`` and the sidecar ``.json``.

    Raises:
        InputError: Unknown entity or language, a year outside the coding, or a bad input file.
    """
    if lang not in LANGS:
        raise InputError("--lang", f"'{lang}' is not a brief language", f"use one of {LANGS}")
    country = country.strip().upper()
    codebook_file = Path(codebook_file or protection.CODEBOOK_FILE)
    coding_file = Path(coding_file or protection.CODING_FILE)
    translations_file = Path(translations_file or TRANSLATIONS_FILE)
    practice_file = Path(practice_file or PRACTICE_FILE)
    provenance_file = Path(provenance_file or PROVENANCE_FILE)
    codebook = protection.load_codebook(codebook_file)
    coding = protection.load_coding(coding_file, codebook=codebook)
    content = build(country, year, coding, codebook, load_practice(practice_file),
                    provenance_file)
    texts = Texts(load_translations(translations_file), lang, codebook, translations_file)
    parts = blocks(content, texts)
    note = texts("note.source", sha=_sha(coding_file.read_bytes())[:12],
                 date=f"{content.date:%Y-%m-%d}")
    stem = file_stem(country, content.year, lang)
    docs = {f"{stem}.md": to_markdown(parts, note).encode(),
            f"{stem}.html": to_html(parts, note, lang, parts[0].text).encode()}
    inputs = [p for p in (coding_file, codebook_file, translations_file, provenance_file)
              if p.exists()]
    inputs += sorted(practice_file.glob("*.csv")) if practice_file.is_dir() else []
    sidecar = {
        "brief": stem,
        "files": {name.rsplit(".", 1)[1]: _sha(data) for name, data in docs.items()},
        "inputs": {p.name: _sha(p.read_bytes()) for p in inputs},
        "parameters": {"country": country, "year": content.year, "lang": lang,
                       "reference_date": f"{content.date:%Y-%m-%d}",
                       "year_default": year is None,
                       "coded_up_to": None if content.up_to is None
                       else f"{content.up_to:%Y-%m-%d}",
                       "max_models": MAX_MODELS, "weights": "equal",
                       "rank_interval": {**SENSITIVITY, "function":
                                         "analysis.protection.sensitivity"}},
        "code_version": provenance.code_version(),
        "notes": ("Scores compare law on the books, not its application. Low-confidence "
                  "citations are marked and not verified against the primary text. "
                  f"Gaps: {len(content.gaps)} of {content.provisions} provisions."),
    }
    docs[f"{stem}.json"] = (json.dumps(sidecar, indent=2, sort_keys=True, ensure_ascii=False,
                                       default=str) + "\n").encode()
    return _write_all(Path(out_dir or paths.REPORTS / "briefs"), docs)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_all(out: Path, docs: dict[str, bytes]) -> list[Path]:
    """Write every file to a temporary name first, then move all into place."""
    out.mkdir(parents=True, exist_ok=True)
    staged: list[tuple[str, Path]] = []
    try:
        for name, data in docs.items():
            fd, tmp = tempfile.mkstemp(dir=out, prefix=f".{name}.", suffix=".tmp")
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            staged.append((tmp, out / name))
    except BaseException:
        for tmp, _ in staged:
            Path(tmp).unlink(missing_ok=True)
        raise
    for tmp, target in staged:
        os.replace(tmp, target)
    return [target for _, target in staged]


# --------------------------------------------------------------------------- command line


def cli_configure(parser) -> None:
    """Add the ``brief`` subcommand's arguments to an argparse parser."""
    parser.add_argument("--country", required=True, metavar="ISO3",
                        help="coded entity, e.g. JPN, DEU (EU = the EU floor)")
    parser.add_argument("--year", type=int, default=None,
                        help="state of the law on 31 December of this year "
                             "(default: the coding's 'coded up to' year)")
    parser.add_argument("--lang", choices=LANGS, default="en",
                        help="language of headings, fixed text and provision names")
    parser.add_argument("--out", type=Path, default=None, metavar="DIR",
                        help="output folder (default reports/briefs)")


def cli_run(args) -> int:
    """Write the brief the arguments ask for and name the files; 0 on success.

    Raises:
        InputError: Bad input (the command line turns it into exit code 2).
    """
    written = write(args.country, args.year, args.lang, args.out)
    for path in written:
        print(path)
    return 0
