"""Japanese: CLDR country names, the label table, IPAexGothic embedded in PDFs, missing glyphs."""

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from analysis import countries, i18n, paths  # noqa: E402
from analysis.errors import InputError  # noqa: E402
from analysis.figures import palette, use_style  # noqa: E402


@pytest.fixture
def style():
    with matplotlib.rc_context():
        use_style()
        yield
        plt.close("all")


def test_country_names_in_both_languages():
    assert i18n.country_name("PHL", "ja") == "フィリピン"  # CLDR, as babel documents it
    assert i18n.country_name("JPN", "ja") == "日本"
    assert i18n.country_name("VNM", "ja") == "ベトナム"
    assert i18n.country_name("PHL", "en") == "Philippines"
    assert i18n.country_name("KOR", "en") == "Rep. of Korea"


def test_names_file_matches_cldr_and_flags_the_contested_names():
    from babel import Locale

    table = i18n.names()
    cldr = Locale("ja").territories
    for iso3, row in table.iterrows():
        assert row.name_ja == cldr[i18n.iso2_code(iso3)], iso3
        assert row.source == i18n.cldr_source()
        if row.review == "needs review":
            assert row.note, iso3  # a flag says why
    flagged = set(table.index[table.review == "needs review"])
    assert {"KOR", "PRK", "TWN", "PSE", "XKX", "MMR", "HKG", "MAC"} <= flagged
    assert i18n.cldr_source().startswith("CLDR ") and "babel 2.19.0" in i18n.cldr_source()


def test_every_country_in_the_flows_has_a_japanese_name():
    flows = pd.read_csv(paths.PROCESSED / "flows.csv", usecols=["origin", "destination"],
                        dtype=str)
    used = set(flows.origin) | set(flows.destination)
    assert used - set(i18n.names().index) == set()


def test_labels_fill_placeholders_in_both_languages():
    assert i18n.label("mix.title", "ja") == "経路別の出身国の構成"
    assert i18n.label("mix.title") == "Origin mix of each route"
    assert i18n.label("map.title", "ja", unit="認知された被害者", years="2003-2019") == \
        "東南アジアからの認知された被害者(2003-2019年)"
    assert i18n.label("legend.victims", "en", n="1,000") == "1,000 victims"


def test_label_errors_name_the_fix():
    with pytest.raises(InputError, match="needs a value for 'years'"):
        i18n.label("map.title", "ja", unit="x")
    with pytest.raises(InputError, match="no label 'nope'"):
        i18n.label("nope", "ja")
    with pytest.raises(InputError, match="unknown language"):
        i18n.label("mix.title", "fr")


def test_group_names_cover_the_palette_groups():
    for group in palette.GROUP_COLOURS:
        assert i18n.group_name(group, "en") == group
        assert i18n.group_name(group, "ja") != group
    assert set(i18n.GROUP_KEYS) == {*countries.DESTINATION_GROUPS, "Other"}
    assert i18n.group_name("Japan", "ja") == "日本"


def test_reused_provision_names_match_the_brief_translations():
    brief = pd.read_csv(paths.PROTECTION / "provisions_ja.csv", dtype=str,
                        keep_default_na=False).set_index("key")
    ours = i18n.labels()
    reused = [k for k in ours.index if k.startswith("provision.")]
    assert len(reused) == len([k for k in brief.index if k.startswith("provision.")])
    for key in reused:
        assert (ours.at[key, "en"], ours.at[key, "ja"]) == (brief.at[key, "en"],
                                                           brief.at[key, "ja"]), key


def test_statuses_and_placeholders_are_consistent():
    table = i18n.labels()
    assert set(table.status) <= set(i18n.STATUSES)
    assert (table.status == "unverified").sum() > 0  # drafts are marked, not passed off
    for key, row in table.iterrows():
        assert i18n._fields(row.en) == i18n._fields(row.ja), key


def test_a_label_file_with_mismatched_placeholders_is_rejected(tmp_path):
    bad = tmp_path / "labels.csv"
    bad.write_text("key,en,ja,status,note\nok,Year,年,unverified,\n"
                   "t,\"{n} victims\",被害者{m}人,unverified,\n", encoding="utf-8")
    with pytest.raises(InputError) as err:
        i18n.labels(bad)
    assert err.value.row == 3 and err.value.column == "ja"
    bad.write_text("key,en,ja,status,note\nok,Year,年,done,\n", encoding="utf-8")
    with pytest.raises(InputError, match="status 'done'"):
        i18n.labels(bad)


def _fonts(pdf_path):
    import pypdf

    reader = pypdf.PdfReader(str(pdf_path))
    out = {}
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            subtypes = [font["/Subtype"]]
            for desc in font.get("/DescendantFonts", []):
                subtypes.append(desc.get_object()["/Subtype"])
            out[str(font["/BaseFont"])] = subtypes
    return out


def test_japanese_figure_embeds_ipaexgothic_as_truetype(tmp_path, style):
    assert i18n.use_japanese_font() == "IPAexGothic"
    fig, ax = plt.subplots(figsize=(4, 3))
    ax.bar([0, 1], [3, 5])
    ax.set_xticks([0, 1], [i18n.country_name("PHL", "ja"), i18n.country_name("VNM", "ja")])
    ax.set_title(i18n.label("mix.title", "ja"))
    ax.set_xlabel(i18n.label("unit.glotip", "ja"))
    pdf = tmp_path / "ja.pdf"
    with i18n.missing_glyphs_as_errors():
        fig.savefig(pdf)
    fonts = _fonts(pdf)
    ipa = [name for name in fonts if name.endswith("+IPAexGothic")]
    assert ipa, fonts
    # Type 42 in a PDF: a Type0 font over a CIDFontType2 (TrueType) descendant, never Type3.
    assert fonts[ipa[0]] == ["/Type0", "/CIDFontType2"]
    assert not any("/Type3" in s for s in fonts.values())


def test_missing_glyph_raises_with_the_default_font(tmp_path, style):
    fig, ax = plt.subplots()
    ax.set_title("日本へのルート")  # DejaVu Sans has no kanji
    with pytest.raises(InputError, match="missing from font"):
        with i18n.missing_glyphs_as_errors():
            fig.savefig(tmp_path / "x.pdf")


def test_missing_glyph_raises_even_with_the_japanese_font(tmp_path, style):
    i18n.use_japanese_font()
    fig, ax = plt.subplots()
    ax.set_title("日本 \U0001F600")  # an emoji is in neither IPAexGothic nor DejaVu Sans
    with pytest.raises(InputError, match="GRINNING FACE"):
        with i18n.missing_glyphs_as_errors():
            fig.savefig(tmp_path / "x.png")


def test_every_character_of_the_tables_is_in_ipaexgothic():
    from matplotlib.ft2font import FT2Font

    font = FT2Font(str(i18n.font_path()))
    text = "".join(i18n.labels().ja) + "".join(i18n.labels().en) + "".join(i18n.names().name_ja)
    missing = {c for c in set(text) if c not in "\n" and font.get_char_index(ord(c)) == 0}
    assert missing == set()


def test_wrap_breaks_japanese_by_width_and_keeps_punctuation_off_line_starts():
    text = i18n.label("caveat.detections", "ja")
    wrapped = i18n.wrap(text, 40)
    lines = wrapped.split("\n")
    assert "".join(lines) == text  # nothing lost or added
    assert all(i18n.text_width(line) <= 42 for line in lines)  # a held-back 。 may overhang
    fewest = -(-i18n.text_width(text) // 40)  # ceiling: 160 cells need 4 lines of 40
    assert len(lines) in (fewest, fewest + 1)
    assert not any(line[0] in "、。" for line in lines)
    assert i18n.text_width("日本 PHL") == 8
    assert i18n.wrap("one two three four", 9) == "one two\nthree\nfour"


def test_label_folder_has_current_provenance():
    from analysis import provenance

    record = provenance.verify_folder(i18n.I18N)
    assert set(record["files"]) == {"README.md", "labels_ja.csv"}
    assert record["producer"] and record["method"]
