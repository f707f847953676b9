"""The victim-protection codebook: provisions, dimensions, Protocol force, coding uncertainty."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import yaml

from analysis import paths
from analysis.errors import InputError

CODEBOOK_FILE = paths.PROTECTION / "codebook.yml"
FORCES = ("mandatory", "qualified", "optional", "soft", "absent")
#: The three Protocol groups the NGOs asked about, from each clause's force in the Protocol.
PROTOCOL_GROUPS = {"mandatory": "protocol_mandatory", "qualified": "protocol_optional",
                   "optional": "protocol_optional", "soft": "protocol_optional",
                   "absent": "beyond_protocol"}
GROUP_LABELS = {"protocol_mandatory": "Mandatory in the Protocol",
                "protocol_optional": "Optional, qualified or soft in the Protocol",
                "beyond_protocol": "Beyond the Protocol"}
CONFIDENCE_LEVELS = ("high", "medium", "low")


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


def step_probabilities(path: str | Path | None = None) -> dict[str, float]:
    """Read the codebook's coding-uncertainty block: P(one step up) = P(one step down).

    Args:
        path: The YAML codebook (default ``data/protection/codebook.yml``).

    Returns:
        Confidence level -> probability that a cell is one step off in *each* direction
        (so a cell is off with twice that probability, before clipping to 0..2).

    Raises:
        InputError: The block is missing, lacks a level, or a probability is not in
            [0, 0.5] (two directions must fit in one).
    """
    path = Path(path or CODEBOOK_FILE)
    block = (yaml.safe_load(path.read_text()) or {}).get("uncertainty") or {}
    probs = block.get("step_probability") or {}
    out = {}
    for level in CONFIDENCE_LEVELS:
        p = probs.get(level)
        if not isinstance(p, int | float) or isinstance(p, bool) or not 0 <= p <= 0.5:
            raise InputError(str(path), f"uncertainty.step_probability.{level} is {p!r}, "
                             "not a number from 0 to 0.5", "give each confidence level "
                             "(high, medium, low) a probability per direction",
                             column=f"uncertainty.step_probability.{level}")
        out[level] = float(p)
    return out
