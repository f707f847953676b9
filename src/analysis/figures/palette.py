"""Colour-blind-safe colours: Okabe-Ito groups and origins, CVD simulation, CIEDE2000 checks."""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Sequence

import numpy as np

#: Okabe & Ito (2008), "Color Universal Design": eight colours told apart by people with
#: the common forms of colour-vision deficiency. Hex values as published.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky blue": "#56B4E9",
    "bluish green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish purple": "#CC79A7",
}

#: One colour per destination group (names as in ``analysis.countries.DESTINATION_GROUPS``
#: plus "Other"). Japan and Europe, the two routes the project is about, get the strongest
#: pair; grey is kept for "Other" so it reads as background.
GROUP_COLOURS = {
    "Japan": OKABE_ITO["vermillion"],
    "Europe (EU27, UK, EFTA)": OKABE_ITO["blue"],
    "East Asia (excl. Japan)": OKABE_ITO["orange"],
    "Southeast Asia": OKABE_ITO["bluish green"],
    "Gulf": OKABE_ITO["reddish purple"],
    "North America": OKABE_ITO["black"],
    "Oceania": OKABE_ITO["sky blue"],
    "Other": "#BBBBBB",  # #999999 is within CIEDE2000 6 of reddish purple for deuteranopes
}

#: Dash pattern and marker paired with each group, so no group relies on colour alone
#: (a grey-scale print or an unusual CVD still separates the lines).
GROUP_STYLES = {
    "Japan": ("-", "o"),
    "Europe (EU27, UK, EFTA)": ((0, (5, 2)), "s"),
    "East Asia (excl. Japan)": ((0, (1, 1.5)), "^"),
    "Southeast Asia": ((0, (5, 1.5, 1, 1.5)), "D"),
    "Gulf": ((0, (8, 2, 2, 2)), "v"),
    "North America": ((0, (2, 2)), "P"),
    "Oceania": ((0, (5, 1, 1, 1, 1, 1)), "X"),
    "Other": ((0, (1, 3)), "."),
}

#: Categorical cycle for origins (the origin-mix bars): Okabe-Ito without yellow, too light
#: for the white share labels printed on the bars.
ORIGIN_CYCLE = (
    OKABE_ITO["blue"], OKABE_ITO["vermillion"], OKABE_ITO["bluish green"],
    OKABE_ITO["orange"], OKABE_ITO["reddish purple"], OKABE_ITO["sky blue"],
    OKABE_ITO["black"],
)

#: Sequential maps: perceptually uniform and readable under CVD (cmcrameri is not a
#: dependency; cividis was designed for CVD, viridis is close).
SEQUENTIAL = "cividis"
SEQUENTIAL_ALT = "viridis"

#: Simulated deficiencies (Machado et al. 2009 via colorspacious), at full severity.
CVD_TYPES = ("deuteranomaly", "protanomaly", "tritanomaly")
#: CIEDE2000 difference below which two colours count as confusable. About 10 is the
#: usual "clearly different at a glance" level for data colours (1 is a just noticeable
#: difference under ideal viewing; small marks on paper need much more).
THRESHOLD = 10.0


def origin_colours(origins: Sequence[str]) -> dict[str, str]:
    """Assign the categorical cycle to origins in the given order (it repeats after 7).

    Args:
        origins: Origin codes, most important first.

    Returns:
        Origin -> hex colour.
    """
    return {o: ORIGIN_CYCLE[i % len(ORIGIN_CYCLE)] for i, o in enumerate(origins)}


def ciede2000(lab1: Sequence[float], lab2: Sequence[float], kl: float = 1.0, kc: float = 1.0,
              kh: float = 1.0) -> float:
    """Return the CIEDE2000 colour difference of two CIELAB colours.

    Follows Sharma, Wu & Dalal (2005), "The CIEDE2000 color-difference formula:
    implementation notes, supplementary test data, and mathematical observations",
    Color Research & Application 30(1), equations 1-22 (hue angles in degrees).

    Args:
        lab1: L*, a*, b* of the first colour.
        lab2: L*, a*, b* of the second colour.
        kl: Lightness weight.
        kc: Chroma weight.
        kh: Hue weight.
    """
    l1, a1, b1 = (float(v) for v in lab1)
    l2, a2, b2 = (float(v) for v in lab2)
    cbar = (math.hypot(a1, b1) + math.hypot(a2, b2)) / 2
    g = 0.5 * (1 - math.sqrt(cbar**7 / (cbar**7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = math.hypot(a1p, b1), math.hypot(a2p, b2)
    h1p, h2p = _hue(b1, a1p), _hue(b2, a2p)
    dlp, dcp = l2 - l1, c2p - c1p
    dhp = _hue_difference(h1p, h2p, c1p * c2p)
    dhp_big = 2 * math.sqrt(c1p * c2p) * math.sin(math.radians(dhp / 2))
    lbar, cbarp = (l1 + l2) / 2, (c1p + c2p) / 2
    hbar = _mean_hue(h1p, h2p, c1p * c2p)
    t = (1 - 0.17 * math.cos(math.radians(hbar - 30)) + 0.24 * math.cos(math.radians(2 * hbar))
         + 0.32 * math.cos(math.radians(3 * hbar + 6))
         - 0.20 * math.cos(math.radians(4 * hbar - 63)))
    dtheta = 30 * math.exp(-(((hbar - 275) / 25) ** 2))
    rc = 2 * math.sqrt(cbarp**7 / (cbarp**7 + 25.0**7))
    sl = 1 + 0.015 * (lbar - 50) ** 2 / math.sqrt(20 + (lbar - 50) ** 2)
    sc = 1 + 0.045 * cbarp
    sh = 1 + 0.015 * cbarp * t
    rt = -math.sin(math.radians(2 * dtheta)) * rc
    fl, fc, fh = dlp / (kl * sl), dcp / (kc * sc), dhp_big / (kh * sh)
    return math.sqrt(fl**2 + fc**2 + fh**2 + rt * fc * fh)


def _hue(b: float, a: float) -> float:
    """Hue angle in degrees in [0, 360); 0 for a neutral colour (Sharma eq. 4)."""
    if a == 0 and b == 0:
        return 0.0
    return math.degrees(math.atan2(b, a)) % 360


def _hue_difference(h1: float, h2: float, cc: float) -> float:
    """Signed hue difference in degrees (Sharma eq. 10)."""
    if cc == 0:
        return 0.0
    d = h2 - h1
    if d > 180:
        return d - 360
    if d < -180:
        return d + 360
    return d


def _mean_hue(h1: float, h2: float, cc: float) -> float:
    """Mean hue in degrees, taken the short way round the circle (Sharma eq. 14)."""
    if cc == 0:
        return h1 + h2
    if abs(h1 - h2) <= 180:
        return (h1 + h2) / 2
    return (h1 + h2 + 360) / 2 if h1 + h2 < 360 else (h1 + h2 - 360) / 2


def to_lab(colour: str | Sequence[float], cvd: str | None = None) -> np.ndarray:
    """Convert a matplotlib colour to CIELAB, optionally as seen with a simulated CVD.

    Args:
        colour: Anything matplotlib understands (hex, name, RGB tuple in 0-1).
        cvd: ``deuteranomaly``, ``protanomaly`` or ``tritanomaly`` at severity 100, or None.
    """
    from colorspacious import cspace_convert
    from matplotlib.colors import to_rgb

    rgb = np.asarray(to_rgb(colour), dtype=float)
    if cvd is not None:
        space = {"name": "sRGB1+CVD", "cvd_type": cvd, "severity": 100}
        # The simulation can leave the gamut slightly; what a screen shows is clipped.
        rgb = np.clip(cspace_convert(rgb, space, "sRGB1"), 0, 1)
    return np.asarray(cspace_convert(rgb, "sRGB1", "CIELab"), dtype=float)


def differences(colours: Iterable[str], cvd_types: Sequence[str | None] = (None, *CVD_TYPES)
                ) -> list[dict]:
    """CIEDE2000 between every pair of colours under normal vision and each simulated CVD.

    Args:
        colours: Colours to compare (duplicates are compared too and give 0).
        cvd_types: Vision types; ``None`` is normal colour vision.

    Returns:
        One dict per pair and vision type: ``a``, ``b``, ``vision``, ``delta_e``.
    """
    colours = list(colours)
    rows = []
    for vision in cvd_types:
        labs = [to_lab(c, vision) for c in colours]
        for i, j in itertools.combinations(range(len(colours)), 2):
            rows.append({"a": colours[i], "b": colours[j], "vision": vision or "normal",
                         "delta_e": ciede2000(labs[i], labs[j])})
    return rows


def distinguishable(colours: Iterable[str], threshold: float = THRESHOLD) -> list[tuple]:
    """Return the pairs of colours that a colour-blind reader could confuse.

    Each pair is compared with CIEDE2000 after simulating deuteranopia, protanopia and
    tritanopia (colorspacious, severity 100).

    Args:
        colours: Colours to check.
        threshold: Smallest acceptable CIEDE2000.

    Returns:
        ``(a, b, vision, delta_e)`` for every failing pair; empty when all pass.
    """
    return [(r["a"], r["b"], r["vision"], round(r["delta_e"], 2))
            for r in differences(colours, CVD_TYPES) if r["delta_e"] < threshold]
