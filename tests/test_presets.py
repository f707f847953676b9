"""Journal presets and the checks for clipped and too-small text (on real matplotlib PDFs)."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pytest  # noqa: E402

from analysis.errors import InputError  # noqa: E402
from analysis.figures import presets, use_style  # noqa: E402


@pytest.fixture(autouse=True)
def _style():
    use_style()
    yield
    plt.close("all")


def _clipped():
    """A figure with its title above the page and a legend whose last row is below it."""
    fig, ax = plt.subplots(figsize=(4, 3), layout="none")
    fig.subplots_adjust(left=0.15, right=0.95, top=0.85, bottom=0.15)
    for i in range(6):
        ax.plot([0, 1], [i, i + 1], label=f"series {i}")
    ax.set_title("Clipped title", y=1.35)
    ax.legend(ncol=2, loc="upper left", bbox_to_anchor=(0.0, -0.12))
    return fig


def _good():
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], label="a line")
    ax.set_title("A title that fits")
    ax.set_xlabel("x")
    ax.legend(loc="upper left")
    return fig


def test_clipped_figure_is_caught_from_the_renderer():
    found = presets.text_outside_figure(_clipped())
    texts = {f["text"] for f in found}
    assert "Clipped title" in texts
    assert "series 5" in texts  # the last legend row
    title = next(f for f in found if f["text"] == "Clipped title")
    assert title["bbox"][3] > title["page"][1]  # top of the title above the page (216 pt)


def test_clipped_figure_is_caught_in_the_pdf(tmp_path):
    pdf = tmp_path / "clipped.pdf"
    _clipped().savefig(pdf)
    found = presets.text_outside_page(pdf)
    texts = {f["text"] for f in found}
    assert "Clipped title" in texts
    assert any("series 5" in t for t in texts)
    assert all(f["page_size"] == (288.0, 216.0) for f in found)


def test_text_running_off_the_right_edge_is_caught(tmp_path):
    fig, ax = plt.subplots(figsize=(4, 3), layout="none")
    ax.text(0.0, 0.5, "A footnote far too long for a page that is only four inches wide",
            transform=ax.transAxes, fontsize=9)
    assert [f["text"] for f in presets.text_outside_figure(fig)] == [
        "A footnote far too long for a page that is only four inches wide"]
    pdf = tmp_path / "wide.pdf"
    fig.savefig(pdf)
    found = presets.text_outside_page(pdf)
    assert found and all(f["bbox"][2] > 288 for f in found)
    assert all(f["bbox"][1] > 0 and f["bbox"][3] < 216 for f in found)  # only the right edge


def test_apply_rewraps_a_note_that_no_longer_fits():
    fig, ax = plt.subplots(figsize=(14, 4), layout="none")
    note = ("Detected victims are detections, not prevalence: they depend on how hard each "
            "country looks and on which countries report. Flows under 5 are not drawn; "
            "censored cells are carried as 1-4.")
    text = ax.text(0.0, 0.5, note, transform=ax.transAxes, fontsize=7.5)
    assert presets.text_outside_figure(fig) == []
    presets.apply(fig, "double")
    assert text.get_wrap()  # it ran off the narrower page, so it is re-wrapped
    assert presets.text_outside_figure(fig) == []


def test_good_figure_passes_both_checks(tmp_path):
    fig = _good()
    assert presets.text_outside_figure(fig) == []
    pdf = tmp_path / "good.pdf"
    fig.savefig(pdf)
    assert presets.text_outside_page(pdf) == []


def test_smallest_font_hand_computed():
    """An 11-inch figure with 7.5 pt notes printed 183 mm wide: 7.5 * 7.2047 / 11 = 4.912 pt."""
    fig, ax = plt.subplots(figsize=(11, 6))
    ax.text(0.1, 0.1, "note", fontsize=7.5)
    ax.set_title("title")
    assert presets.smallest_font_pt(fig, 183) == pytest.approx(7.5 * (183 / 25.4) / 11, abs=1e-9)
    assert presets.smallest_font_pt(fig, 183) == pytest.approx(4.912, abs=1e-3)


def test_smallest_font_from_pdf_agrees_with_the_figure(tmp_path):
    fig, ax = plt.subplots(figsize=(11, 6))
    ax.text(0.1, 0.1, "note", fontsize=7.5)
    pdf = tmp_path / "f.pdf"
    fig.savefig(pdf)
    assert presets.smallest_font_pt(pdf, 183) == pytest.approx(
        presets.smallest_font_pt(fig, 183), abs=1e-6)


def test_hidden_tick_labels_do_not_count():
    fig, ax = plt.subplots(figsize=(7.2, 4))
    ax.tick_params(labelsize=2)
    ax.text(0.5, 0.5, "eight points", fontsize=8)
    assert presets.smallest_font_pt(fig, 7.2 * 25.4) == pytest.approx(2.0)
    ax.set_axis_off()  # a map: ticks are never drawn
    assert presets.smallest_font_pt(fig, 7.2 * 25.4) == pytest.approx(8.0)


@pytest.mark.parametrize(("name", "width_mm"), [("single", 89.0), ("double", 183.0)])
def test_apply_makes_a_wide_figure_readable_in_print(tmp_path, name, width_mm):
    fig, axes = plt.subplots(1, 2, figsize=(14, 6))
    for ax in axes:
        ax.plot(range(10), range(10))
        ax.set_xlabel("year of detection")
        ax.text(0.0, -0.25, "a 7.5 pt footnote", fontsize=7.5, transform=ax.transAxes)
    fig.suptitle("Victims from Southeast Asia")
    assert presets.smallest_font_pt(fig, width_mm) < 6
    presets.apply(fig, name)
    assert fig.get_figwidth() == pytest.approx(width_mm / 25.4)
    assert fig.get_figheight() == pytest.approx(6 * width_mm / 25.4 / 14)
    assert presets.smallest_font_pt(fig, width_mm) >= 6
    pdf = tmp_path / "f.pdf"
    fig.savefig(pdf)
    assert presets.smallest_font_pt(pdf, width_mm) >= 6 - 1e-6
    sizes = {t.get_text(): t.get_fontsize() for t in presets._texts(fig)}
    assert sizes["Victims from Southeast Asia"] <= presets.PRESETS[name].max_pt


def test_use_context_sets_new_figures_to_the_preset():
    with presets.use("single") as p:
        fig = plt.figure()
        assert fig.get_figwidth() == pytest.approx(89 / 25.4)
        assert min(matplotlib.rcParams[k] for k in ("font.size", "legend.fontsize",
                                                     "xtick.labelsize")) >= p.min_pt
    assert plt.figure().get_figwidth() != pytest.approx(89 / 25.4)


def test_unknown_preset_is_an_input_error():
    with pytest.raises(InputError, match="unknown preset"):
        presets.get("a4")
