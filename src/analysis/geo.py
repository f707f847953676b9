"""Geography: the shipped Natural Earth layer, anchors, great-circle routes split at seams."""

from __future__ import annotations

from functools import cache

import numpy as np
import pandas as pd

from analysis import countries, paths

WORLD_FILE = paths.EXTERNAL / "ne_50m_countries.topojson.json"
#: Asia-Pacific-centred world maps: Southeast Asia near the centre, Europe left, the
#: Americas right, so neither main route is cut by the map's edge.
DEFAULT_LON0 = 150.0
EPS = 1e-6
#: Anchors placed by hand where the largest polygon misleads (Malaysia's is on Borneo).
ANCHOR_OVERRIDES = {"MYS": (101.9, 4.0), "FJI": (178.0, -17.8), "KIR": (173.0, 1.4)}


def crs(lon0: float = DEFAULT_LON0) -> str:
    """Return the Equal Earth projection (equal-area) centred on ``lon0``."""
    return f"+proj=eqearth +lon_0={lon0} +datum=WGS84 +units=m +no_defs"


def seam(lon0: float = DEFAULT_LON0) -> float:
    """Return the longitude of a map's seam (its left/right edge) in [-180, 180]."""
    s = (lon0 + 180.0 + 180.0) % 360.0 - 180.0
    return 180.0 if s == -180.0 else s


@cache
def world():
    """Load the Natural Earth 1:50m country layer (shipped, never downloaded).

    The TopoJSON has no CRS, ISO numeric ids and three invalid geometries: the CRS is set
    to WGS84, ids become ISO3 (features without an id through ``data/mappings/world_atlas.csv``)
    and geometries are repaired and split at the antimeridian. Parts of one country are
    dissolved into one shape (Somaliland into Somalia, as the mapping file says).
    Antarctica is dropped.

    Returns:
        GeoDataFrame with columns iso3, name, geometry (EPSG:4326).
    """
    import geopandas as gpd
    import shapely

    gdf = gpd.read_file(WORLD_FILE, layer="countries")
    gdf = gdf.set_crs("EPSG:4326")
    gdf["geometry"] = [split_antimeridian(g) for g in gdf.geometry.make_valid()]
    ids = gdf["id"].fillna("")
    numeric = [str(int(i)) for i in ids if i]
    iso = dict(zip(numeric, countries.convert(numeric, to="ISO3", src="ISOnumeric"), strict=True))
    gdf["iso3"] = [iso.get(str(int(i)), "") if i else "" for i in ids]
    named = countries.load_mapping("world_atlas").set_index("raw")["iso3"]
    no_id = gdf["iso3"].isin(["", None]) | gdf["iso3"].isna()
    gdf.loc[no_id, "iso3"] = gdf.loc[no_id, "name"].map(named).fillna("")
    gdf = gdf[gdf["iso3"] != "ATA"]
    # One shape per country: the TopoJSON's cut lines inside Russia would show as seams.
    named = gdf[gdf["iso3"] != ""].dissolve(by="iso3", as_index=False, aggfunc="first")
    # Close the hairline gaps the quantised arcs leave along those cut lines.
    # (In degrees on purpose: a fixed hair's width; shapely avoids geopandas' CRS warning.)
    named["geometry"] = shapely.buffer(shapely.buffer(named.geometry.values, 0.01), -0.01)
    gdf = pd.concat([named, gdf[gdf["iso3"] == ""]], ignore_index=True)
    return gdf[["iso3", "name", "geometry"]].reset_index(drop=True)


def _unwrap(coords) -> np.ndarray:
    xy = np.asarray(coords, dtype=float)[:, :2].copy()
    xy[:, 0] = np.degrees(np.unwrap(np.radians(xy[:, 0])))
    return xy


def split_antimeridian(geom):
    """Split polygons whose rings jump across +-180 degrees into parts on each side.

    The TopoJSON stitches some shapes (Fiji, Chukotka) across the antimeridian, so one
    ring runs from 179 to -180 degrees; drawn as is, it smears a sliver across the map.
    Each such ring is unwrapped to continuous longitudes, clipped at 180 and the part
    beyond shifted back by 360 degrees.
    """
    from shapely.affinity import translate
    from shapely.geometry import MultiPolygon, Polygon, box
    from shapely.ops import unary_union

    parts = []
    for poly in getattr(geom, "geoms", [geom]):
        if poly.geom_type != "Polygon" or poly.is_empty:
            continue
        ext = _unwrap(poly.exterior.coords)
        if ext[:, 0].min() >= -180.0 and ext[:, 0].max() <= 180.0:
            parts.append(poly)
            continue
        holes = []
        for ring in poly.interiors:
            h = _unwrap(ring.coords)
            h[:, 0] += 360.0 * np.round((ext[:, 0].mean() - h[:, 0].mean()) / 360.0)
            holes.append(h)
        whole = Polygon(ext, holes).buffer(0)
        for shift in (-360.0, 0.0, 360.0):
            piece = whole.intersection(box(-180.0 - shift, -90, 180.0 - shift, 90))
            if not piece.is_empty:
                parts.append(translate(piece, xoff=shift))
    merged = unary_union(parts)
    polys = [g for g in getattr(merged, "geoms", [merged]) if g.geom_type == "Polygon"]
    return MultiPolygon(polys) if len(polys) > 1 else (polys[0] if polys else geom)


def split_at_seam(gdf, lon0: float = DEFAULT_LON0):
    """Cut geometries that straddle the map's seam so no shape wraps across the map.

    Natural Earth already splits shapes at 180 degrees; for a map centred elsewhere the
    seam moves (to -30 for ``lon0=150``), and shapes across it (Greenland) are clipped
    into the two sides, a hair's width apart.
    """
    from shapely.geometry import box

    s = seam(lon0)
    if abs(s) == 180.0:
        return gdf
    west, east = box(-180, -90, s - EPS, 90), box(s + EPS, -90, 180, 90)
    out = gdf.copy()
    out["geometry"] = [g.intersection(west).union(g.intersection(east)) for g in gdf.geometry]
    return out[~out.geometry.is_empty]


@cache
def anchors() -> pd.DataFrame:
    """Return one anchor point (lon, lat) per ISO3: inside the country's largest polygon."""
    gdf = world().to_crs(crs(0))
    rows = []
    for iso3, grp in gdf.groupby("iso3"):
        if not iso3:
            continue
        parts = [p for g in grp.geometry for p in getattr(g, "geoms", [g]) if p.area > 0]
        if not parts:
            continue
        largest = max(parts, key=lambda p: p.area)
        rows.append((iso3, largest.representative_point()))
    pts = pd.DataFrame(rows, columns=["iso3", "pt"])
    import geopandas as gpd

    ll = gpd.GeoSeries(pts.pt, crs=crs(0)).to_crs("EPSG:4326")
    table = pd.DataFrame({"iso3": pts.iso3, "lon": ll.x.round(4), "lat": ll.y.round(4)})
    for iso3, (lon, lat) in ANCHOR_OVERRIDES.items():
        table.loc[table.iso3 == iso3, ["lon", "lat"]] = lon, lat
    return table.set_index("iso3")


def great_circle(lon1: float, lat1: float, lon2: float, lat2: float, n: int = 64,
                 seam_lon: float = 180.0):
    """Return the great-circle route between two points, split where it crosses ``seam_lon``.

    Args:
        lon1: Start longitude (degrees).
        lat1: Start latitude.
        lon2: End longitude.
        lat2: End latitude.
        n: Intermediate points.
        seam_lon: The longitude where the map is cut (180 for the antimeridian).

    Returns:
        A shapely LineString, or a MultiLineString when the route crosses the seam.
    """
    from pyproj import Geod
    from shapely.geometry import LineString, MultiLineString

    pts = [(lon1, lat1), *Geod(ellps="WGS84").npts(lon1, lat1, lon2, lat2, n), (lon2, lat2)]
    lon = np.array([p[0] for p in pts], dtype=float)
    lat = np.array([p[1] for p in pts], dtype=float)
    lon = (lon + 180.0) % 360.0 - 180.0
    rel = (lon - seam_lon) % 360.0  # distance east of the seam, in [0, 360)
    parts, current = [], [(lon[0], lat[0])]
    for i in range(1, len(lon)):
        step = rel[i] - rel[i - 1]
        if abs(step) > 180.0:  # crossed the seam between i-1 and i
            going_east = step < 0
            d0 = (360.0 - rel[i - 1]) if going_east else rel[i - 1]
            d1 = rel[i] if going_east else (360.0 - rel[i])
            t = d0 / (d0 + d1) if d0 + d1 else 0.5
            lat_x = lat[i - 1] + t * (lat[i] - lat[i - 1])
            before = seam_lon - EPS if going_east else seam_lon + EPS
            after = seam_lon + EPS if going_east else seam_lon - EPS
            current.append((_norm(before), lat_x))
            parts.append(current)
            current = [(_norm(after), lat_x)]
        current.append((lon[i], lat[i]))
    parts.append(current)
    lines = [LineString(p) for p in parts if len(p) >= 2]
    return lines[0] if len(lines) == 1 else MultiLineString(lines)


def _norm(lon: float) -> float:
    """Wrap a longitude into [-180, 180] without moving +180 to -180."""
    if -180.0 <= lon <= 180.0:
        return lon
    return (lon + 180.0) % 360.0 - 180.0


def route_lines(table: pd.DataFrame, lon0: float = DEFAULT_LON0):
    """Build great-circle lines for flows (origin, destination columns) for a map at ``lon0``.

    Returns:
        GeoDataFrame (EPSG:4326) with the input columns plus geometry; routes whose ends
        have no anchor are dropped and listed in ``.attrs['missing_anchor']``.
    """
    import geopandas as gpd

    anc = anchors()
    ok = table.origin.isin(anc.index) & table.destination.isin(anc.index)
    missing = sorted(set(table.loc[~ok, "origin"]) | set(table.loc[~ok, "destination"])
                     - set(anc.index))
    sel = table[ok]
    s = seam(lon0)
    geoms = [great_circle(anc.at[o, "lon"], anc.at[o, "lat"], anc.at[d, "lon"],
                          anc.at[d, "lat"], seam_lon=s)
             for o, d in zip(sel.origin, sel.destination, strict=True)]
    out = gpd.GeoDataFrame(sel.copy(), geometry=geoms, crs="EPSG:4326")
    out.attrs["missing_anchor"] = missing
    return out
