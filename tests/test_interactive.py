"""The interactive route map: offline, only the flows the static map draws, a sidecar, a browser."""

import hashlib
import json
import re
import shutil

import pandas as pd
import pytest

from analysis import countries, flows, interactive, paths

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
INSTALL = "install Debian's browser: apt-get install chromium chromium-driver"

# Hand-made pairs: three at or above GLOTIP's 5 (drawn), two not (a 1-4 cell, and 4-7,
# which straddles 5 and might be below it).
PAIRS = pd.DataFrame({
    "origin": ["PHL", "VNM", "KHM", "THA", "IDN"],
    "destination": ["JPN", "GBR", "THA", "JPN", "SAU"],
    "value_low": [120, 300, 5, 1, 4],
    "value_high": [120, 303, 5, 4, 7],
})


def _routes(page: str) -> list[str]:
    return re.findall(r'<path class="route"[^>]*>', page)


@pytest.fixture
def written(tmp_path):
    files = interactive.write(PAIRS, "glotip", out_dir=tmp_path, title="Test map",
                              inputs=[paths.PROCESSED / "flows.csv"], params={"periods": "all"})
    return tmp_path, files


def test_files_and_no_network_resource(written):
    folder, files = written
    assert [f.name for f in files] == ["routes-map.html", "routes-map.json"]
    page = files[0].read_text(encoding="utf-8")
    assert "<script src" not in page.lower()
    assert "http" not in page.lower()  # no CDN, no tile server, no web font
    assert not re.search(r"\b(src|href)\s*=", page)
    assert "@import" not in page and "url(" not in page
    assert sorted(p.name for p in folder.iterdir()) == ["routes-map.html", "routes-map.json"]


def test_route_elements_are_exactly_the_drawn_flows(written):
    page = written[1][0].read_text(encoding="utf-8")
    routes = _routes(page)
    assert len(routes) == 3
    ends = {(re.search(r'data-origin="(\w+)"', r)[1], re.search(r'data-destination="(\w+)"', r)[1])
            for r in routes}
    assert ends == {("PHL", "JPN"), ("VNM", "GBR"), ("KHM", "THA")}
    assert 'data-tip="Philippines → Japan: 120 detected victims"' in page
    assert 'data-tip="Viet Nam → United Kingdom: 300-303 detected victims"' in page or \
        'data-tip="Vietnam → United Kingdom: 300-303 detected victims"' in page
    assert "Thailand → Japan" not in page and "Indonesia → Saudi Arabia" not in page
    assert page.count('stroke-dasharray="6 3"') == 1  # only the censored 300-303 is dashed


def test_sidecar_has_the_export_fields(written):
    html_file, sidecar = written[1]
    meta = json.loads(sidecar.read_text())
    assert set(meta) == {"figure", "files", "inputs", "parameters", "disclosure",
                         "code_version", "notes"}
    assert meta["files"]["html"] == hashlib.sha256(html_file.read_bytes()).hexdigest()
    assert meta["inputs"]["flows.csv"] == hashlib.sha256(
        (paths.PROCESSED / "flows.csv").read_bytes()).hexdigest()
    assert meta["disclosure"] == {"kind": "aggregate", "source": "glotip", "threshold": 5,
                                  "override": False, "checked": True, "cells": 3,
                                  "small_cells": 0}
    assert meta["parameters"]["drawn"] == 3 and meta["parameters"]["not_drawn"] == 2
    assert meta["parameters"]["periods"] == "all"


def test_same_inputs_give_the_same_bytes(tmp_path):
    a = interactive.write(PAIRS, "glotip", out_dir=tmp_path / "a", title="T")[0].read_bytes()
    b = interactive.write(PAIRS, "glotip", out_dir=tmp_path / "b", title="T")[0].read_bytes()
    assert a == b


def test_case_records_use_their_own_threshold(tmp_path):
    html_file, sidecar = interactive.write(PAIRS, "ctdc", out_dir=tmp_path, title="T")
    routes = _routes(html_file.read_text(encoding="utf-8"))
    assert len(routes) == 2  # KHM -> THA (5) is under CTDC's k = 11
    assert json.loads(sidecar.read_text())["disclosure"]["threshold"] == 11


def test_japanese_page(tmp_path):
    page = interactive.write(PAIRS, "glotip", out_dir=tmp_path, title="地図",
                             lang="ja")[0].read_text(encoding="utf-8")
    assert '<html lang="ja">' in page
    assert "フィリピン→日本:認知された被害者 120人" in page
    assert "認知された被害者の数は、当局が把握した数であって" in page  # the caveat, translated


def _committed_pairs():
    table = flows.load(paths.PROCESSED)
    se = flows.from_origins(table[table.source == "glotip"], countries.SOUTHEAST_ASIA)
    return flows.sum_bounds(se, ["origin", "destination"])


def test_committed_data_draws_what_the_static_rule_draws(tmp_path):
    pairs = _committed_pairs()
    expected = int((pairs.value_low >= 5).sum())  # the static map's rule, counted directly
    page, summary = interactive.render(pairs, "glotip", title="T")
    assert len(_routes(page)) == summary["drawn"] == expected
    assert summary["not_drawn"] == len(pairs) - expected
    lows = [int(x) for x in re.findall(r'class="route"[^>]*data-low="(\d+)"', page)]
    assert min(lows) >= 5


@pytest.fixture
def offline_browser(tmp_path):
    if not (CHROMIUM and CHROMEDRIVER):
        pytest.skip(f"Chromium or ChromeDriver not found: {INSTALL}")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    # No way out: every host resolves to nothing and any proxy use goes to a closed port.
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=1400,1000",
                 "--host-resolver-rules=MAP * ~NOTFOUND", "--proxy-server=127.0.0.1:9",
                 f"--user-data-dir={tmp_path / 'chromium'}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.execute_cdp_cmd("Network.enable", {})
    driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
        "offline": True, "latency": 0, "downloadThroughput": 0, "uploadThroughput": 0})
    try:
        yield driver
    finally:
        driver.quit()


@pytest.mark.browser
def test_map_opens_offline_and_hover_shows_the_interval(tmp_path, offline_browser):
    from PIL import Image
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By

    driver = offline_browser
    pairs = _committed_pairs()
    html_file, _ = interactive.write(pairs, "glotip", out_dir=tmp_path, title="Routes")
    driver.get(html_file.as_uri())
    routes = driver.find_elements(By.CSS_SELECTOR, "path.route")
    assert len(routes) == int((pairs.value_low >= 5).sum())
    # Hover a point on the widest route that is on top there (thin routes may cross it).
    point = driver.execute_script("""
        const svg = document.getElementById('map');
        for (const r of document.querySelectorAll('path.route')) {
          const len = r.getTotalLength();
          for (const f of [0.5, 0.4, 0.6, 0.3, 0.7]) {
            const p = r.getPointAtLength(len * f).matrixTransform(r.getScreenCTM());
            const hit = document.elementFromPoint(p.x, p.y);
            if (hit === r) {
              const box = svg.getBoundingClientRect();
              return {dx: p.x - (box.left + box.width / 2), dy: p.y - (box.top + box.height / 2),
                      tip: r.getAttribute('data-tip')};
            }
          }
        }
        return null;""")
    assert point is not None
    svg = driver.find_element(By.ID, "map")
    ActionChains(driver).move_to_element_with_offset(
        svg, int(round(point["dx"])), int(round(point["dy"]))).perform()
    tip = driver.find_element(By.ID, "tip")
    assert tip.is_displayed()
    assert tip.text == point["tip"]
    assert re.fullmatch(r".+ → .+: [\d,]+(-[\d,]+)? detected victims", tip.text)
    shot = tmp_path / "routes-map.png"
    driver.save_screenshot(str(shot))
    image = Image.open(shot).convert("RGB")
    colours = image.getcolors(maxcolors=1 << 20)
    assert len(colours) > 50  # not a blank page
    assert any(c == (255, 255, 255) for _, c in colours)  # the page background
    requests = [json.loads(e["message"])["message"] for e in driver.get_log("performance")]
    urls = {m["params"]["request"]["url"] for m in requests
            if m["method"] == "Network.requestWillBeSent"}
    # The browser's own pages (chrome://, its new-tab page) load too; the map asks for nothing
    # but itself.
    assert html_file.as_uri() in urls
    assert not [u for u in urls if u.split(":")[0] in ("http", "https", "ws", "wss", "ftp")]
    ours = {m["params"]["request"]["url"] for m in requests
            if m["method"] == "Network.requestWillBeSent"
            and m["params"].get("documentURL") == html_file.as_uri()}
    assert ours == {html_file.as_uri()}, ours
