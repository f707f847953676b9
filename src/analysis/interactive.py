"""A self-contained interactive route map (one HTML file, inline SVG, no network) with sidecar."""

from __future__ import annotations

import html
import json
import os
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import countries, disclosure, flows, geo, i18n, provenance
from analysis.figures import palette

NAME = "routes-map"
#: Width of the SVG's coordinate system; the page scales it to the window.
VIEW_WIDTH = 1000.0
#: Map extent in latitude, as the static flow map's.
LAT_RANGE = (-72.0, 80.0)
#: Drop vertices closer than this (metres, Equal Earth): the 1:50m layer drawn 1000 units wide
#: needs no more, and the file stays a few hundred kB.
SIMPLIFY_M = 12_000.0
LAND, ORIGIN_FILL = "#e6e6e6", "#cfe8d8"
#: Pixels per point of the static map's line widths.
PX_PER_PT = 1.3

_SCRIPT = """
(function () {
  var tip = document.getElementById('tip');
  var map = document.getElementById('map');
  function show(e) {
    var r = e.target.closest('.route');
    if (!r) { return; }
    tip.textContent = r.getAttribute('data-tip');
    tip.style.display = 'block';
    tip.style.left = (e.clientX + 14) + 'px';
    tip.style.top = (e.clientY + 14) + 'px';
    r.classList.add('on');
  }
  function hide(e) {
    var r = e.target.closest('.route');
    if (r) { r.classList.remove('on'); }
    tip.style.display = 'none';
  }
  map.addEventListener('mouseover', show);
  map.addEventListener('mousemove', show);
  map.addEventListener('mouseout', hide);
})();
"""

_STYLE = """
body { font-family: "DejaVu Sans", "IPAexGothic", "Noto Sans CJK JP", sans-serif;
       margin: 1em; color: #222; }
h1 { font-size: 1.2em; margin: 0 0 .3em 0; }
p { font-size: .85em; margin: .2em 0; max-width: 70em; }
svg { width: 100%; height: auto; max-width: 1400px; display: block; }
.route { fill: none; stroke-linecap: round; stroke-opacity: .75; cursor: pointer; }
.route.on { stroke-opacity: 1; }
#tip { position: fixed; display: none; background: #fff; border: 1px solid #555;
       padding: 4px 8px; font-size: 13px; pointer-events: none; }
.legend span { display: inline-block; margin-right: 1.2em; font-size: .85em; }
.legend i { display: inline-block; width: 1.6em; height: .35em; vertical-align: middle;
            margin-right: .3em; }
"""


class _Projector:
    """Equal Earth at ``lon0`` scaled to the SVG's coordinates (y down)."""

    def __init__(self, lon0: float) -> None:
        from pyproj import Transformer

        self.crs = geo.crs(lon0)
        t = Transformer.from_crs("EPSG:4326", self.crs, always_xy=True)
        self.x0, _ = t.transform(lon0 - 179.9, 0)
        x1, _ = t.transform(lon0 + 179.9, 0)
        _, self.y0 = t.transform(lon0, LAT_RANGE[0])
        _, self.y1 = t.transform(lon0, LAT_RANGE[1])
        self.scale = VIEW_WIDTH / (x1 - self.x0)
        self.height = round((self.y1 - self.y0) * self.scale, 1)

    def path(self, geom) -> str:
        """SVG path data of a projected (multi)line or (multi)polygon."""
        parts = getattr(geom, "geoms", [geom])
        out = []
        for part in parts:
            rings = [part.exterior, *part.interiors] if part.geom_type == "Polygon" else [part]
            for ring in rings:
                xy = np.asarray(ring.coords)[:, :2]
                if len(xy) < 2:
                    continue
                x = (xy[:, 0] - self.x0) * self.scale
                y = (self.y1 - xy[:, 1]) * self.scale
                pts = " ".join(f"{a:.1f},{b:.1f}" for a, b in zip(x, y, strict=True))
                out.append("M" + pts + ("Z" if part.geom_type == "Polygon" else ""))
        return "".join(out)


def drawn_flows(pairs: pd.DataFrame, source: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Split flows as the static map does: drawn only when the lower bound reaches k.

    Args:
        pairs: One row per origin-destination pair with value_low/value_high.
        source: A registered source id or kind (its disclosure threshold applies).

    Returns:
        (drawn, not drawn).
    """
    k = disclosure.threshold(source)
    ok = pairs["value_low"] >= k
    return pairs[ok], pairs[~ok]


def _world_svg(proj: _Projector, lon0: float, origins) -> str:
    world = geo.split_at_seam(geo.world(), lon0).to_crs(proj.crs)
    world = world.assign(geometry=world.geometry.simplify(SIMPLIFY_M, preserve_topology=True))
    out = []
    for row in world.sort_values("iso3").itertuples():
        d = proj.path(row.geometry)
        if not d:
            continue
        fill = ORIGIN_FILL if row.iso3 in origins else LAND
        out.append(f'<path class="land" data-iso3="{html.escape(str(row.iso3))}" '
                   f'fill="{fill}" stroke="#fff" stroke-width="0.4" d="{d}"/>')
    return "\n".join(out)


def _routes_svg(proj: _Projector, drawn: pd.DataFrame, lon0: float, lang: str,
                unit: str) -> tuple[str, list[str]]:
    from analysis.figures.routes import line_width

    lines = geo.route_lines(drawn, lon0).to_crs(proj.crs)
    lines = lines.sort_values(["value_low", "origin", "destination"],
                              ascending=[False, True, True])
    out, groups = [], []
    for row in lines.itertuples():
        group = countries.destination_group(row.destination)
        groups.append(group)
        tip = i18n.label("html.tooltip", lang, origin=i18n.country_name(row.origin, lang),
                         destination=i18n.country_name(row.destination, lang),
                         interval=flows.format_interval(int(row.value_low),
                                                        int(row.value_high)), unit=unit)
        dash = "" if row.value_low == row.value_high else ' stroke-dasharray="6 3"'
        width = float(line_width(row.value_low)) * PX_PER_PT
        out.append(
            f'<path class="route" data-origin="{row.origin}" data-destination="{row.destination}"'
            f' data-low="{int(row.value_low)}" data-high="{int(row.value_high)}"'
            f' data-tip="{html.escape(tip)}" stroke="{palette.GROUP_COLOURS[group]}"'
            f' stroke-width="{width:.2f}"{dash} d="{proj.path(row.geometry)}">'
            f"<title>{html.escape(tip)}</title></path>")
    return "\n".join(out), groups


def _legend(groups: list[str], lang: str, censored: bool) -> str:
    items = [f'<span><i style="background:{palette.GROUP_COLOURS[g]}"></i>'
             f"{html.escape(i18n.group_name(g, lang))}</span>"
             for g in palette.GROUP_COLOURS if g in set(groups)]
    if censored:
        text = i18n.label("legend.censored", lang).replace("\n", " ")
        items.append('<span><i style="border-top:2px dashed #555;height:0"></i>'
                     f"{html.escape(text)}</span>")
    return '<div class="legend">' + "".join(items) + "</div>"


def render(pairs: pd.DataFrame, source: str, *, title: str, lon0: float = geo.DEFAULT_LON0,
           origins=countries.SOUTHEAST_ASIA, lang: str = "en") -> tuple[str, dict]:
    """Build the interactive map's HTML (no file is written).

    Args:
        pairs: One row per origin-destination pair (as the static flow map takes).
        source: Registered source id (its threshold, unit, caveat and source line apply).
        title: Page and map title.
        lon0: Central meridian.
        origins: Origin countries to shade.
        lang: ``en`` or ``ja``.

    Returns:
        (the HTML text, a summary: flows drawn and not drawn, threshold).
    """
    from analysis.sources import registry

    record = registry.get(source)
    unit = i18n.label("unit.glotip", lang) if record.id == "glotip" and lang == "ja" \
        else record.unit
    caveat = i18n.label("caveat.detections", lang) if lang == "ja" else record.caveat
    note = i18n.label("source.glotip", lang) if record.id == "glotip" else record.note
    drawn, hidden = drawn_flows(pairs, source)
    proj = _Projector(lon0)
    routes_svg, groups = _routes_svg(proj, drawn, lon0, lang, unit)
    # No xmlns: inline SVG in HTML needs none, and the page then names no URL at all.
    svg = (f'<svg id="map" viewBox="0 0 {VIEW_WIDTH:.0f} '
           f'{proj.height}" role="img" aria-label="{html.escape(title)}">\n'
           f'<g id="land">\n{_world_svg(proj, lon0, set(origins))}\n</g>\n'
           f'<g id="routes">\n{routes_svg}\n</g>\n</svg>')
    body = "\n".join([
        f"<h1>{html.escape(title)}</h1>",
        f"<p>{html.escape(caveat)} {html.escape(note)}</p>",
        f"<p>{html.escape(i18n.label('html.hover', lang))} "
        f"{html.escape(i18n.label('html.not_drawn', lang, threshold=record.threshold))}</p>",
        svg, _legend(groups, lang, bool((drawn.value_low < drawn.value_high).any())),
        '<div id="tip"></div>'])
    page = (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            f"<title>{html.escape(title)}</title>\n<style>{_STYLE}</style>\n</head>\n"
            f"<body>\n{body}\n<script>{_SCRIPT}</script>\n</body>\n</html>\n")
    summary = {"drawn": len(drawn), "not_drawn": len(hidden), "threshold": record.threshold}
    return page, summary


def write(pairs: pd.DataFrame, source: str, *, out_dir: str | Path, title: str,
          name: str = NAME, lon0: float = geo.DEFAULT_LON0, origins=countries.SOUTHEAST_ASIA,
          lang: str = "en", inputs=(), params: dict | None = None,
          notes: str = "") -> list[Path]:
    """Write ``<name>.html`` and its sidecar ``<name>.json`` to ``out_dir``, atomically.

    The flows drawn pass the same disclosure check as the static map's export
    (:func:`analysis.disclosure.check_export` on the drawn rows); nothing is written when
    it fails. The sidecar has the fields of :func:`analysis.export.save`'s.

    Args:
        pairs: One row per origin-destination pair (as the static flow map takes).
        source: Registered source id.
        out_dir: The figures folder.
        title: Page and map title.
        name: File stem.
        lon0: Central meridian.
        origins: Origin countries to shade.
        lang: ``en`` or ``ja``.
        inputs: Data files the map was made from (checksums go into the sidecar).
        params: Parameters that shaped the map.
        notes: Caveats to keep with the map.

    Returns:
        The HTML path and the sidecar path.
    """
    drawn, _ = drawn_flows(pairs, source)
    record = disclosure.check_export(drawn, source, "value_low")
    page, summary = render(pairs, source, title=title, lon0=lon0, origins=origins, lang=lang)
    body = {
        "figure": name,
        "files": {"html": _sha256(page)},
        "inputs": {Path(i).name: provenance.sha256(Path(i)) for i in inputs if Path(i).exists()},
        "parameters": {**(params or {}), "lang": lang, "lon0": lon0, **summary},
        "disclosure": record,
        "code_version": provenance.code_version(),
        "notes": notes,
    }
    sidecar = json.dumps(body, indent=2, sort_keys=True, default=str) + "\n"
    return _write_together(Path(out_dir), {f"{name}.html": page, f"{name}.json": sidecar})


def _sha256(text: str) -> str:
    import hashlib

    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_together(folder: Path, files: dict[str, str]) -> list[Path]:
    """Write every file to a temporary name, then rename them all (sidecar last).

    A failure before the renames leaves the folder as it was.
    """
    folder.mkdir(parents=True, exist_ok=True)
    temps = {}
    try:
        for name, text in files.items():
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=f".{name}.", suffix=".tmp")
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.chmod(tmp, 0o644)
            temps[folder / name] = Path(tmp)
        for final, tmp in temps.items():
            os.replace(tmp, final)
    finally:
        for tmp in temps.values():
            tmp.unlink(missing_ok=True)
    return list(temps)
