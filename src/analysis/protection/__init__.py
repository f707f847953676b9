"""Victim-protection law: codebook, coding as of a date, indices, uncertainty, regions, treaties.

Modules, by what a reader looks for:

- :mod:`~analysis.protection.codebook`: provisions, dimensions, the Protocol force of each
  clause, the coding-uncertainty probabilities;
- :mod:`~analysis.protection.coding`: load and check ``coding.csv``; the state of the law
  on a date (:func:`as_of`); ``coded_up_to`` and the default year;
- :mod:`~analysis.protection.indices`: weights, indices, implementation shares, timeline;
- :mod:`~analysis.protection.uncertainty`: random weights, coding one step off, both;
- :mod:`~analysis.protection.regions`: comparison regions and regional aggregates;
- :mod:`~analysis.protection.validity`: comparison with the 3P protection score;
- :mod:`~analysis.protection.treaties`: ratification status on a date, law around
  ratification, policy events dated from the treaty table.

The names below are re-exported so ``from analysis import protection`` keeps working.
"""

from analysis import paths
from analysis.protection.codebook import (
    CODEBOOK_FILE,
    CONFIDENCE_LEVELS,
    FORCES,
    GROUP_LABELS,
    PROTOCOL_GROUPS,
    load_codebook,
    step_probabilities,
)
from analysis.protection.coding import (
    CODING_FILE,
    COLUMNS,
    EU_FLOOR,
    PROVENANCE_FILE,
    REQUIRED_ENTITIES,
    START,
    as_of,
    check_coding,
    coded_up_to,
    interval_problems,
    last_change,
    latest_year,
    load_coding,
    low_confidence_share,
    missing_entities,
    reference_date,
)
from analysis.protection.indices import (
    implementation_shares,
    index,
    indices,
    timeline,
    weights,
)
from analysis.protection.regions import (
    REGION_COLOURS,
    REGION_ORDER,
    aggregates,
    region_of,
    regions,
)
from analysis.protection.treaties import (
    POLICY_EVENTS,
    law_around_ratification,
    policy_events,
    ratified_on,
)
from analysis.protection.uncertainty import (
    MODES,
    competition_ranks,
    headlines,
    rank_intervals,
    sensitivity,
    simulate,
    verdict,
)
from analysis.protection.validity import (
    compare_threep,
    disagreements,
    spearman,
    spearman_by_year,
)

__all__ = [
    "CODEBOOK_FILE", "CODING_FILE", "COLUMNS", "CONFIDENCE_LEVELS", "EU_FLOOR", "FORCES",
    "GROUP_LABELS", "MODES", "POLICY_EVENTS", "PROTOCOL_GROUPS", "PROVENANCE_FILE",
    "REGION_COLOURS", "REGION_ORDER", "REQUIRED_ENTITIES", "START", "aggregates", "as_of",
    "check_coding", "coded_up_to", "compare_threep", "competition_ranks", "disagreements",
    "headlines", "implementation_shares", "index", "indices", "interval_problems",
    "last_change", "latest_year", "law_around_ratification", "load_codebook", "load_coding",
    "low_confidence_share", "missing_entities", "paths", "policy_events", "rank_intervals",
    "ratified_on", "reference_date", "region_of", "regions", "sensitivity", "simulate",
    "spearman", "spearman_by_year", "step_probabilities", "timeline", "verdict", "weights",
]
