import pytest

from analysis import geo


def _ends(line):
    return line.coords[0], line.coords[-1]


def test_philippines_to_united_states_is_split_at_the_antimeridian():
    route = geo.great_circle(121.0, 14.6, -98.0, 39.0)
    assert route.geom_type == "MultiLineString" and len(route.geoms) == 2
    first, second = route.geoms
    assert first.coords[-1][0] == pytest.approx(180.0, abs=1e-3)
    assert second.coords[0][0] == pytest.approx(-180.0, abs=1e-3)
    assert first.coords[-1][1] == pytest.approx(second.coords[0][1])
    for part in route.geoms:  # no segment jumps across the map
        xs = [x for x, _ in part.coords]
        assert max(abs(a - b) for a, b in zip(xs, xs[1:], strict=False)) < 20


def test_fiji_to_chile_crosses_the_antimeridian_eastwards():
    route = geo.great_circle(178.0, -17.8, -71.0, -35.0)
    assert route.geom_type == "MultiLineString"
    assert route.geoms[0].coords[0] == (178.0, -17.8)
    assert route.geoms[-1].coords[-1] == (-71.0, -35.0)


def test_route_within_one_hemisphere_is_one_line():
    route = geo.great_circle(105.8, 21.0, -1.8, 54.2)  # Viet Nam -> United Kingdom
    assert route.geom_type == "LineString"


def test_routes_split_at_a_moved_seam():
    # On the Asia-Pacific-centred map (lon0=150) the seam is at -30: Brazil -> Germany crosses.
    assert geo.seam(150) == -30.0 and geo.seam(0) == 180.0
    route = geo.great_circle(-47.0, -15.0, 10.0, 50.0, seam_lon=geo.seam(150))
    assert route.geom_type == "MultiLineString"
    assert geo.great_circle(121.0, 14.6, -98.0, 39.0, seam_lon=-30.0).geom_type == "LineString"


def test_world_layer_has_small_states_and_joins_france_and_norway():
    world = geo.world()
    iso = set(world.iso3)
    assert {"SGP", "BRN", "MLT", "BHR", "FRA", "NOR", "XKX", "JPN"} <= iso
    assert "ATA" not in iso and world.crs.to_epsg() == 4326
    assert world.is_valid.all()
    assert world.iso3.is_unique or (world.iso3 == "").sum() == 1


def test_no_country_shape_wraps_across_the_map():
    world = geo.split_at_seam(geo.world(), 150).to_crs(geo.crs(150))
    full_width = 2 * 17.24e6  # Equal Earth width in metres
    for geom in world.geometry:
        for part in getattr(geom, "geoms", [geom]):
            x0, _, x1, _ = part.bounds
            assert x1 - x0 < 0.6 * full_width


def test_anchors_sit_inside_their_country():
    from shapely.geometry import Point

    world = geo.world().set_index("iso3")
    anchors = geo.anchors()
    for iso3 in ["FRA", "NOR", "USA", "JPN", "PHL", "VNM", "GBR", "IDN"]:
        point = Point(anchors.at[iso3, "lon"], anchors.at[iso3, "lat"])
        assert world.loc[iso3].geometry.contains(point), iso3
    assert 40 < anchors.at["FRA", "lat"] < 52  # metropolitan France, not French Guiana
