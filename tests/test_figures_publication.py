"""Publication checks: every figure of a double-column build fits, embeds its fonts, reads."""

import json
import math
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402
import pandas as pd  # noqa: E402
import pypdf  # noqa: E402
import pytest  # noqa: E402

from analysis import build, export, i18n  # noqa: E402
from analysis.errors import InputError  # noqa: E402
from analysis.figures import palette, presets, use_preset, use_style  # noqa: E402

MM = 25.4 / 72  # millimetres per PDF point
DOUBLE_MM = presets.PRESETS["double"].width_mm
#: Every figure the three notebooks write (the English stems).
FIGURES = (
    "routes-map-all-years", "routes-map-periods", "routes-japan-europe-over-time",
    "routes-origin-mix", "routes-top-destinations",
    "protection-heatmap", "protection-optional-gap", "protection-uncertainty",
    "protection-ranking", "protection-timeline", "protection-validity-3p",
    "protection-law-and-practice", "protection-treaties", "protection-law-around-ratification",
    "connections-japan-official", "connections-route-shares", "connections-eu-event-study",
    "connections-power", "connections-gravity-ladder", "connections-out-of-sample",
)
#: Fewer draws than a report run: these tests check the figures' print form, not the numbers.
FAST = {"02": {"N_DRAWS": 200}, "03": {"N_RI": 20, "N_SIM": 10}}


# --- helpers that read a PDF independently of the code that wrote it --------------------------

def page_width_mm(pdf: Path) -> float:
    """Width of the first page in millimetres, from the PDF's media box."""
    return float(pypdf.PdfReader(str(pdf)).pages[0].mediabox.width) * MM


def fonts(pdf: Path) -> list[dict]:
    """Every font a PDF's pages use: base name, subtype and whether its program is embedded."""
    out = []
    for page in pypdf.PdfReader(str(pdf)).pages:
        resources = page.get("/Resources", {})
        for ref in resources.get("/Font", {}).values():
            font = ref.get_object()
            subtype = str(font["/Subtype"])
            described = font
            if subtype == "/Type0":  # composite font: the program sits in the descendant
                described = font["/DescendantFonts"][0].get_object()
            descriptor = described.get("/FontDescriptor")
            descriptor = descriptor.get_object() if descriptor is not None else {}
            out.append({"name": str(font["/BaseFont"]).split("+")[-1].lstrip("/"),
                        "subtype": subtype,
                        "embedded": any(k in descriptor for k in ("/FontFile2", "/FontFile3",
                                                                  "/FontFile"))})
    return out


def pdf_sizes_pt(pdf: Path) -> list[float]:
    """Font sizes of every text run, in points at the page's own size (pypdf's reading)."""
    sizes = []

    def visit(text, cm, tm, font_dict, font_size):
        if text.strip():
            a, b, c, d = (tm[0] * cm[0] + tm[1] * cm[2], tm[0] * cm[1] + tm[1] * cm[3],
                          tm[2] * cm[0] + tm[3] * cm[2], tm[2] * cm[1] + tm[3] * cm[3])
            sizes.append(font_size * math.sqrt(abs(a * d - b * c)))

    with pypdf.apply_configuration(stream_parsing_work_maximum_count=presets.PDF_TOKEN_BUDGET):
        for page in pypdf.PdfReader(str(pdf)).pages:
            page.extract_text(visitor_text=visit)
    return sizes


# --- one build per preset and language ---------------------------------------------------------

def _run(args) -> dict:
    nb, out, preset, lang = args
    params = {"FIGURES_DIR": str(out / "figures"), "PRESET": preset, "LANG": lang,
              "EXPLORE": False, **FAST.get(nb.name[:2], {})}
    # Widgets need a browser: headless runs skip them, as the build does (EXPLORE=False).
    return {"notebook": nb.name, **build.execute(nb, out / "notebooks", params, 300)}


def _build(out: Path, preset: str, lang: str) -> Path:
    """Run the three report notebooks at once with PRESET and LANG into ``out``."""
    (out / "figures").mkdir(parents=True)
    (out / "notebooks").mkdir()
    todo = [(nb, out, preset, lang) for nb in build.notebooks()]
    with ProcessPoolExecutor(max_workers=len(todo)) as pool:
        results = list(pool.map(_run, todo))
    return out, results


@pytest.fixture(scope="module", params=[("double", "en"), ("double", "ja")],
                ids=lambda p: "-".join(p))
def built(request, tmp_path_factory):
    preset, lang = request.param
    out, results = _build(tmp_path_factory.mktemp(f"{preset}-{lang}"), preset, lang)
    return {"out": out, "results": results, "preset": preset, "lang": lang,
            "suffix": "-ja" if lang == "ja" else ""}


def _pdfs(built) -> list[Path]:
    return [built["out"] / "figures" / f"{name}{built['suffix']}.pdf" for name in FIGURES]



@pytest.mark.notebooks
def test_the_build_writes_every_figure_in_every_format_with_its_sidecar(built):
    figs = built["out"] / "figures"
    missing = [f"{n}{built['suffix']}.{ext}" for n in FIGURES for ext in ("pdf", "svg", "png",
                                                                          "json")
               if not (figs / f"{n}{built['suffix']}.{ext}").is_file()]
    assert not missing, (missing, built["results"])
    for name in FIGURES:
        side = json.loads((figs / f"{name}{built['suffix']}.json").read_text())
        assert (side["preset"], side["lang"]) == (built["preset"], built["lang"])
    # the English build writes no -ja file and the Japanese no English one
    other = [p.name for p in figs.glob("*.pdf") if p.stem.endswith("-ja") != (built["lang"] ==
                                                                              "ja")]
    assert not other


@pytest.mark.notebooks
def test_every_pdf_is_one_double_column_wide(built):
    widths = {p.name: page_width_mm(p) for p in _pdfs(built)}
    assert all(DOUBLE_MM - 0.5 <= w <= DOUBLE_MM + 0.5 for w in widths.values()), widths


@pytest.mark.notebooks
def test_no_pdf_has_text_outside_its_page(built):
    outside = {p.name: presets.text_outside_page(p) for p in _pdfs(built)}
    assert not {k: v for k, v in outside.items() if v}


@pytest.mark.notebooks
def test_every_pdf_embeds_truetype_fonts_only(built):
    for pdf in _pdfs(built):
        used = fonts(pdf)
        assert used, pdf.name
        assert all(f["embedded"] for f in used), (pdf.name, used)
        # Type 42 is written as TrueType (or a composite over it); never Type 3 bitmaps
        assert {f["subtype"] for f in used} <= {"/TrueType", "/Type0"}, (pdf.name, used)
        if built["lang"] == "ja":
            assert "IPAexGothic" in {f["name"] for f in used}, (pdf.name, used)


@pytest.mark.notebooks
def test_smallest_text_is_at_least_6_pt_in_print(built):
    smallest = {}
    for pdf in _pdfs(built):
        scale = DOUBLE_MM / page_width_mm(pdf)  # print width over page width (1 here)
        smallest[pdf.name] = min(pdf_sizes_pt(pdf)) * scale
    assert min(smallest.values()) >= 6.0 - 0.01, smallest


@pytest.mark.notebooks
def test_categorical_colours_stay_apart_under_colour_vision_deficiency(built):
    figs = built["out"] / "figures"
    confused = {}
    for name in FIGURES:
        side = json.loads((figs / f"{name}{built['suffix']}.json").read_text())
        # the entries of one legend are the categories a reader must tell apart
        bad = [pair for group in side["legend_colours"] for pair in palette.distinguishable(group)]
        if bad:
            confused[name] = bad
        assert all(len(group) == len(set(group)) for group in side["legend_colours"])
    assert not confused


@pytest.mark.notebooks
def test_the_notebooks_show_no_raw_dict_and_notebook_01_writes_the_html_map(built):
    figs = built["out"] / "figures"
    html = figs / f"routes-map{built['suffix']}.html"
    assert html.is_file() and f'lang="{built["lang"]}"' in html.read_text(encoding="utf-8")
    side = json.loads((figs / f"routes-map{built['suffix']}.json").read_text())
    static = json.loads((figs / f"routes-map-all-years{built['suffix']}.json").read_text())
    # the same flows pass the same disclosure check as the static map (the HTML names the
    # source, the static map its kind)
    same = ("cells", "checked", "small_cells", "threshold", "override")
    assert [side["disclosure"][k] for k in same] == [static["disclosure"][k] for k in same]
    for executed in (built["out"] / "notebooks").glob("*.ipynb"):
        book = nbformat.read(executed, as_version=4)
        for cell in book.cells:
            for output in cell.get("outputs", []):
                text = output.get("data", {}).get("text/plain", "")
                assert not text.lstrip().startswith(("{", "({")), (executed.name, text[:80])


# --- export.save on its own (no notebook) ------------------------------------------------------

@pytest.fixture()
def fresh():
    use_preset(None)
    use_style()
    yield
    use_preset(None)
    plt.close("all")


def _figure(text: str = "a title", **kw):
    fig, ax = plt.subplots(figsize=(6, 3), layout="constrained")
    ax.plot([0, 1], [0, 1], color="#0072B2", label="one")
    ax.plot([0, 1], [1, 0], color="#D55E00", label="two")
    ax.plot([0, 1], [0.5, 0.5], color="#777777", label="neutral key")
    ax.legend()
    ax.set_title(text, **kw)
    return fig


def _save(fig, out, **kw):
    return export.save(fig, "fig", out_dir=out, kind="covariate", data=None, **kw)


def test_save_at_double_writes_183_mm_and_records_preset_language_and_colours(fresh, tmp_path):
    written = _save(_figure(), tmp_path, preset="double")
    assert [p.name for p in written] == ["fig.pdf", "fig.svg", "fig.png", "fig.json"]
    assert abs(page_width_mm(tmp_path / "fig.pdf") - 183.0) < 0.01
    side = json.loads((tmp_path / "fig.json").read_text())
    assert side["preset"] == "double" and side["lang"] == "en"
    assert side["legend_colours"] == [["#0072b2", "#d55e00"]]  # the grey key is no category
    assert side["smallest_font_pt"] >= 6.0


def test_japanese_files_get_a_suffix_and_embed_the_japanese_font(fresh, tmp_path):
    use_style("ja")
    fig = _figure(i18n.label("group.japan", "ja"))
    written = _save(fig, tmp_path, preset="single", lang="ja")
    assert {p.name for p in written} == {"fig-ja.pdf", "fig-ja.svg", "fig-ja.png", "fig-ja.json"}
    assert "IPAexGothic" in {f["name"] for f in fonts(tmp_path / "fig-ja.pdf")}
    assert abs(page_width_mm(tmp_path / "fig-ja.pdf") - 89.0) < 0.01


def test_text_above_the_page_is_refused_and_nothing_is_written(fresh, tmp_path):
    fig = _figure()
    fig.text(0.02, 1.02, "a title drawn above the page")
    with pytest.raises(InputError, match="outside the"):
        _save(fig, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_a_missing_glyph_is_refused_and_nothing_is_written(fresh, tmp_path):
    fig = _figure("日本")  # DejaVu Sans, the English style's only font, has no kanji
    with pytest.raises(InputError, match="missing from font"):
        _save(fig, tmp_path)
    assert list(tmp_path.iterdir()) == []


def test_an_unknown_language_or_preset_is_refused_before_writing(fresh, tmp_path):
    with pytest.raises(InputError, match="unknown language 'fr'"):
        _save(_figure(), tmp_path, lang="fr")
    with pytest.raises(InputError, match="unknown preset 'a4'"):
        _save(_figure(), tmp_path, preset="a4")
    assert list(tmp_path.iterdir()) == []


def test_text_under_6_pt_at_print_width_is_refused(fresh, tmp_path):
    # a 4 pt label on a page already 183 mm wide: the PDF check alone must refuse it
    fig = plt.figure(figsize=(183 / 25.4, 2))
    fig.text(0.1, 0.5, "tiny", fontsize=4)
    fig.savefig(tmp_path / "tiny.pdf")
    assert min(pdf_sizes_pt(tmp_path / "tiny.pdf")) == pytest.approx(4.0, abs=0.01)
    with pytest.raises(InputError, match="smallest text is 4.00 pt"):
        export._check_page(tmp_path / "tiny.pdf", "tiny", presets.get("double"))
    # on screen there is no print size to hold it to
    assert export._check_page(tmp_path / "tiny.pdf", "tiny",
                              presets.get("screen")) == pytest.approx(4.0, abs=0.01)


def test_figures_are_born_at_the_preset_width(fresh):
    from analysis.figures import figsize

    use_preset("double")
    w, h = figsize(10, 5)
    assert w == pytest.approx(183 / 25.4) and h == pytest.approx(183 / 25.4 / 2)
    w, h = figsize(8, 40)  # capped at the page height
    assert h == pytest.approx(247 / 25.4)
    use_preset(None)
    assert figsize(10, 5) == (10, 5)


def test_the_two_clipped_pdfs_of_issue_9_now_fit_their_page_on_screen(fresh, tmp_path):
    from analysis.figures import routes as route_figures

    pairs = pd.DataFrame({"origin": ["PHL", "VNM", "THA", "IDN", "KHM", "MMR", "LAO"],
                          "destination": ["JPN", "GBR", "JPN", "USA", "THA", "ARE", "AUS"],
                          "value_low": [120, 900, 40, 30, 60, 12, 8],
                          "value_high": [124, 903, 44, 30, 60, 15, 8]})
    fig, drawn = route_figures.flow_map(pairs, "Detected victims from Southeast Asia, 2007-2019",
                                        "glotip")
    assert drawn["drawn"] == 7
    _save(fig, tmp_path, preset="screen")
    mix = pd.DataFrame({"route": ["Southeast Asia -> Japan"] * 4 + ["Southeast Asia -> Europe"] * 8,
                        "origin": ["PHL", "THA", "IDN", "KHM", "VNM", "PHL", "THA", "IDN", "MYS",
                                   "KHM", "LAO", "SGP"],
                        "value_low": [150, 70, 25, 5, 1800, 560, 420, 80, 40, 20, 10, 6],
                        "value_high": [150, 74, 25, 8, 1800, 560, 420, 80, 44, 20, 14, 6]})
    mix["route_total"] = mix.groupby("route").value_low.transform("sum")
    fig = route_figures.origin_mix(mix, "glotip")
    written = export.save(fig, "mix", out_dir=tmp_path, kind="covariate", data=None,
                          preset="screen")
    assert presets.text_outside_page(written[0]) == []
    assert len(fig.legends[0].get_texts()) == 8  # two rows of origins, all on the page


def test_legend_colours_read_what_each_key_shows(fresh):
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    fig, ax = plt.subplots()
    handles = [Line2D([], [], ls="", marker="o", mfc="white", mec="#2B5C8A", label="hollow"),
               Line2D([], [], ls="", label="text only: shows no colour"),
               Patch(facecolor="white", edgecolor="#999999", hatch="///", label="hatched"),
               Patch(color="#BBBBBB", label="Other (a light grey category)"),
               Line2D([], [], color="#000000", label="black category")]
    ax.legend(handles=handles)
    fig.legend(handles=[Patch(color="#E69F00", label="second legend")])
    assert export.legend_colours(fig) == [["#e69f00"], ["#2b5c8a", "#bbbbbb", "#000000"]]


def test_law_and_practice_legend_reads_law_then_the_score(fresh):
    from analysis.figures import practice as practice_figures

    table = pd.DataFrame({"iso3": ["JPN", "JPN"], "provision": ["shelter", "free_legal_aid"],
                          "law_score": [2, 0], "law_confidence": ["high", "low"],
                          "supports": [1, 0], "contradicts": [0, 2]})
    for lang, first in (("en", "law: 0 absent"), ("ja", "法律:0 規定なし")):
        use_style(lang)
        fig = practice_figures.law_and_practice(table, 2024, ["shelter", "free_legal_aid"],
                                                lang=lang)
        assert fig.legends[0].get_texts()[0].get_text() == first
        plt.close(fig)
