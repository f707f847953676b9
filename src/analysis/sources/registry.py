"""One record per data source: kind, reader, citation, unit, caveat and disclosure threshold."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

from analysis.errors import InputError

#: Smallest group that may be shown, by kind of source. Case-level records follow CTDC's
#: k-anonymity threshold; published aggregates follow UNODC's practice of not drawing flows
#: under 5. Covariates count no trafficked person, so nothing in them is suppressed.
THRESHOLDS = {"case": 11, "aggregate": 5, "covariate": 0}
KINDS = tuple(THRESHOLDS)


@dataclass(frozen=True)
class Source:
    """What the project knows about one data source.

    Attributes:
        id: Short id used in file names, tables and the command line.
        kind: ``aggregate`` (published counts of people), ``case`` (one row per person or
            case) or ``covariate`` (not counts of trafficked people).
        reader: Dotted path ``module:function`` of the reader for its published layout.
        producer: Who publishes it.
        title: What it is called.
        citation: How to cite it.
        url: Where it is published ("" for a researcher's own files).
        licence: Terms of use.
        unit: What one count means, for axis labels.
        caveat: The sentence every figure and table from it carries.
        note: The source line printed under a figure.
    """

    id: str
    kind: str
    reader: str
    producer: str
    title: str
    citation: str
    url: str
    licence: str
    unit: str
    caveat: str
    note: str

    @property
    def threshold(self) -> int:
        """Return the smallest count an export may show from this source."""
        return THRESHOLDS[self.kind]

    def read_function(self) -> Callable:
        """Import and return the reader (imported lazily: ``import analysis`` stays light)."""
        module, _, func = self.reader.partition(":")
        return getattr(importlib.import_module(module), func)


_OWN = "the researcher who filled in the template"

SOURCES: dict[str, Source] = {s.id: s for s in (
    Source(
        id="glotip", kind="aggregate", reader="analysis.sources.glotip:read",
        producer="United Nations Office on Drugs and Crime (UNODC)",
        title="Global Report on Trafficking in Persons (GLOTIP) data, dataUNODC export",
        citation="UNODC, Global Report on Trafficking in Persons (GLOTIP) data, dataUNODC",
        url="https://dataunodc.un.org", licence="UNODC dataUNODC terms of use",
        unit="detected victims",
        caveat="Detected victims are detections, not prevalence: they depend on how hard each "
               "country looks and on which countries report.",
        note="Source: UNODC GLOTIP data (dataUNODC)."),
    Source(
        id="ctdc", kind="case", reader="analysis.sources.ctdc:read",
        producer="Counter Trafficking Data Collaborative (CTDC: IOM, Polaris, Liberty Shared)",
        title="CTDC Global Dataset (k-anonymised case-level records of registered victims)",
        citation="Counter Trafficking Data Collaborative, Global Victim of Trafficking "
                 "Dataset, https://www.ctdatacollaborative.org",
        url="https://www.ctdatacollaborative.org",
        licence="CTDC terms of use (cite CTDC; never show groups smaller than k = 11)",
        unit="registered victims (cases)",
        caveat="Registered cases are victims identified and assisted by the reporting "
               "organisations, not prevalence; groups under k = 11 are suppressed.",
        note="Source: CTDC Global Dataset (registered victim cases, k-anonymised)."),
    Source(
        id="template_counts", kind="aggregate", reader="analysis.sources.template:read",
        producer=_OWN,
        title="Researcher's own aggregate counts (Routes & Rights template, counts form)",
        citation="cite the researcher's own source, as recorded with the file", url="",
        licence="as agreed with the data's owner", unit="victims (counts supplied)",
        caveat="Counts as entered by the researcher, not prevalence; flows under 5 are not "
               "drawn.",
        note="Source: user-supplied aggregate counts."),
    Source(
        id="template_cases", kind="case", reader="analysis.sources.template:read",
        producer=_OWN,
        title="Researcher's own case records (Routes & Rights template, one row per case)",
        citation="cite the researcher's own source, as recorded with the file", url="",
        licence="as agreed with the data's owner", unit="victims (cases)",
        caveat="Registered cases, not prevalence; case-level data: groups under k = 11 are "
               "suppressed.",
        note="Source: user-supplied case records."),
    Source(
        id="threep", kind="covariate", reader="analysis.sources.threep:read",
        producer="Seo-Young Cho, Axel Dreher and Eric Neumayer",
        title="3P Anti-Trafficking Policy Index, 2000-2013",
        citation="Cho, S.-Y., Dreher, A. & Neumayer, E. (2014), Determinants of "
                 "Anti-Trafficking Policies: Evidence from a New Index, Scandinavian Journal "
                 "of Economics 116(2): 429-454",
        url="http://www.economics-human-trafficking.net", licence="free for research use "
        "with citation", unit="index score (1-5 per P)",
        caveat="A policy index coded from reports, not a measure of outcomes.",
        note="Source: 3P Anti-Trafficking Policy Index (Cho, Dreher & Neumayer 2014)."),
    Source(
        id="tip", kind="covariate", reader="analysis.sources.tip:read",
        producer="US Department of State, as coded by Judith Kelley and Andrew Heiss",
        title="Trafficking in Persons Report tiers, report years 1999-2015",
        citation="US Department of State, Trafficking in Persons Report; tiers as coded by "
                 "Kelley (2017) and Heiss", url="https://www.state.gov/trafficking-in-persons-"
        "report", licence="public domain / MIT", unit="tier (1 best, 3 worst)",
        caveat="Tiers grade government effort as the US State Department sees it.",
        note="Source: US TIP Report tiers (Kelley & Heiss coding)."),
    Source(
        id="wdi", kind="covariate", reader="analysis.sources.wdi:read",
        producer="The World Bank, World Development Indicators",
        title="GDP per capita, PPP (constant 2021 international $) and population, total, "
              "1990-2024 (WDI update of 2025-07-01)",
        citation="World Bank, World Development Indicators (2025-07-01)",
        url="https://data.worldbank.org", licence="CC BY 4.0",
        unit="constant 2021 international $ per person; persons",
        caveat="Constant 2021 international $: not comparable with older downloads (2017 "
               "base); every WDI update revises back years. Taiwan is not in WDI.",
        note="Source: World Bank, World Development Indicators (2025-07-01)."),
    Source(
        id="cepii", kind="covariate", reader="analysis.sources.cepii:read",
        producer="CEPII", title="GeoDist: bilateral distances and gravity dummies (dist_cepii)",
        citation="Mayer, T. and Zignago, S. (2011), Notes on CEPII's distances measures: the "
                 "GeoDist database, CEPII Working Paper 2011-25",
        url="https://www.cepii.fr", licence="Etalab Open Licence 2.0 (reuse with attribution)",
        unit="km; 0/1 dummies",
        caveat="Time-invariant; Serbia and Montenegro (YUG) and the Netherlands Antilles (ANT) "
               "are dropped, so Serbia, Montenegro and Kosovo have no distances.",
        note="Source: CEPII GeoDist (Mayer & Zignago 2011)."),
    Source(
        id="undesa_ims2020", kind="covariate", reader="analysis.sources.undesa:read",
        producer="United Nations, Department of Economic and Social Affairs, Population "
                 "Division",
        title="International Migrant Stock 2020, by destination, origin and sex, 1990-2020",
        citation="United Nations, Department of Economic and Social Affairs, Population "
                 "Division (2020), International Migrant Stock 2020",
        url="https://www.un.org/development/desa/pd/content/international-migrant-stock",
        licence="free to use with attribution", unit="migrants (persons, mid-year)",
        caveat="An absent origin-destination pair is unknown (0 or not available), not zero; "
               "5-year points only, 2020 partly projected.",
        note="Source: UN DESA, International Migrant Stock 2020."),
    Source(
        id="japan_official", kind="aggregate", reader="analysis.sources.japan_official:read",
        producer="National Police Agency; Council for the Promotion of Measures to Combat "
                 "Trafficking in Persons; Ministry of Justice; US Department of State",
        title="Japan: official counts of trafficking victims by series (2002-2024) and "
              "'Entertainer' entries (1993-2009)",
        citation="As given per row (agency release or report, and the page it was read in)",
        url="", licence="Government of Japan Standard Terms of Use; US government works "
        "public domain", unit="victims (per series: recognised, protected or identified)",
        caveat="Counts of victims the authorities found, not prevalence; each series counts "
               "something else and they are never added or mixed.",
        note="Source: Japan NPA, Council, MOJ/ISA and US TIP Report figures, as cited."),
    Source(
        id="treaty_dates", kind="covariate", reader="analysis.sources.treaties:read",
        producer="Depositaries: UN Secretary-General (UNTC), Council of Europe Treaty Office, "
                 "ILO (NORMLEX), as compiled in shared/data/treaty_dates",
        title="Treaty dates for ASEM members: UN Trafficking Protocol, CETS No. 197, ILO P029",
        citation="United Nations Treaty Collection, Chapter XVIII-12-a; Council of Europe "
                 "Treaty Office, CETS No. 197; ILO NORMLEX, P029",
        url="https://treaties.un.org", licence="public facts of the depositaries (dates only)",
        unit="date of consent",
        caveat="An empty date means not found, not no action; most CETS 197 and ILO P029 "
               "dates were not found.",
        note="Source: UNTC, CoE Treaty Office, ILO NORMLEX."),
)}


def get(source_id: str) -> Source:
    """Return a source's record.

    Raises:
        InputError: The id is not registered (the message lists the ones that are).
    """
    try:
        return SOURCES[source_id]
    except KeyError:
        raise InputError("source registry", f"unknown source {source_id!r}",
                         f"use one of: {', '.join(sorted(SOURCES))}, or register it in "
                         "src/analysis/sources/registry.py") from None


def register(source: Source) -> Source:
    """Add a source's record (readers of new sources call this at import; ids are unique).

    Raises:
        ValueError: The id is taken or the kind is unknown.
    """
    if source.kind not in THRESHOLDS:
        raise ValueError(f"kind {source.kind!r} is not one of {KINDS}")
    if source.id in SOURCES and SOURCES[source.id] != source:
        raise ValueError(f"source id {source.id!r} is already registered")
    SOURCES[source.id] = source
    return source


def threshold(kind_or_id: str) -> int:
    """Return the disclosure threshold for a kind (``case``...) or a registered source id.

    Raises:
        InputError: Neither a known kind nor a registered source: the export cannot check.
    """
    if kind_or_id in THRESHOLDS:
        return THRESHOLDS[kind_or_id]
    if kind_or_id in SOURCES:
        return SOURCES[kind_or_id].threshold
    raise InputError("disclosure check", f"unknown source kind {kind_or_id!r}",
                     f"pass one of {', '.join(KINDS)} or a registered source id "
                     f"({', '.join(sorted(SOURCES))})")
