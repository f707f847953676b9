"""Treaty dates: reader (precision kept, unknown never dropped), status on a date, law around it."""


import numpy as np
import pandas as pd
import pytest
from conftest import require

from analysis import paths, protection
from analysis.errors import InputError
from analysis.sources import treaties

FIXTURES = paths.ROOT / "tests" / "fixtures"
#: Fixture file -> published file name (the fixtures hold real rows in the published layout).
FIXTURE_FILES = {"treaty_palermo.csv": treaties.FILES["palermo_protocol"],
                 "treaty_cets197.csv": treaties.FILES["cets197"],
                 "treaty_ilo_p029.csv": treaties.FILES["ilo_p029"]}
SHARED = paths.shared_file(treaties.SHARED_DIR)


def _folder(tmp_path, edit=None):
    """The fixtures under their published names; ``edit(name, text)`` may change one."""
    folder = tmp_path / "treaty_dates"
    folder.mkdir()
    for fixture, name in FIXTURE_FILES.items():
        text = (FIXTURES / fixture).read_text()
        (folder / name).write_text(edit(name, text) if edit else text)
    return folder


@pytest.fixture
def tables(tmp_path):
    out = tmp_path / "processed"
    treaties.write(_folder(tmp_path), out)
    return (treaties.load(out / treaties.EVENTS_FILE),
            treaties.load_status(out / treaties.STATUS_FILE))


def _event(events, treaty, iso3, event):
    sel = events[(events.treaty == treaty) & (events.iso3 == iso3) & (events.event == event)]
    assert len(sel) == 1
    return sel.iloc[0]


# --- reader ----------------------------------------------------------------------------------

def test_every_entity_has_every_event_with_its_precision(tables):
    events, _ = tables
    # 6 + 8 + 2 entities in the fixtures, 3 events each: nothing dropped
    assert len(events) == 3 * (6 + 8 + 2)
    jpn = _event(events, "palermo_protocol", "JPN", "consent")
    assert (jpn.date, jpn.date_precision, jpn.consent_type) == \
        (pd.Timestamp("2017-07-11"), "day", "acceptance")
    eif = _event(events, "palermo_protocol", "JPN", "entry_into_force")
    assert eif.date == pd.Timestamp("2017-08-10") and eif.date_basis == "reported"
    pak = _event(events, "palermo_protocol", "PAK", "consent")
    assert pak.date_precision == "month" and pd.isna(pak.date) and str(pak.month) == "2022-11"
    assert _event(events, "palermo_protocol", "PAK", "entry_into_force").date_precision \
        == "unknown"
    # Austria: entry into force only computed in the source, and labelled so
    aut = _event(events, "palermo_protocol", "AUT", "entry_into_force")
    assert aut.date == pd.Timestamp("2005-10-15") and aut.date_basis.startswith("computed")
    # An accession has no signature: not applicable, not unknown
    assert _event(events, "palermo_protocol", "BRN", "signature").date_precision \
        == "not applicable"
    assert _event(events, "palermo_protocol", "BRN", "consent").date_basis.startswith("derived")


def test_unknown_cets_dates_stay_unknown_and_non_parties_are_not_applicable(tables):
    events, status = tables
    fin = _event(events, "cets197", "FIN", "consent")
    assert fin.date_precision == "unknown" and pd.isna(fin.date)
    assert _event(events, "cets197", "RUS", "consent").date_precision == "not applicable"
    assert _event(events, "cets197", "CZE", "signature").date_precision == "month"
    st = status[status.treaty == "cets197"].set_index("iso3")
    assert st.at["FIN", "party"] == "yes" and st.at["EUU", "party"] == "no"
    assert st.at["FIN", "known_not_party_on"] == pd.Timestamp("2008-01-23")
    assert st.at["BGR", "known_party_on"] == pd.Timestamp("2008-01-23")
    # Japan is in no CETS file row: in the status table as unknown, not absent
    assert not st.at["JPN", "in_source"] and st.at["JPN", "party"] == "unknown"


@pytest.mark.parametrize("treaty, iso3, when, answer", [
    ("palermo_protocol", "JPN", pd.Timestamp("2017-07-10"), "no"),
    ("palermo_protocol", "JPN", pd.Timestamp("2017-07-11"), "yes"),   # deposit day counts
    ("palermo_protocol", "JPN", 2016, "no"),
    ("palermo_protocol", "PAK", pd.Timestamp("2022-10-31"), "no"),
    ("palermo_protocol", "PAK", pd.Timestamp("2022-11-15"), "unknown"),  # month only
    ("palermo_protocol", "PAK", pd.Timestamp("2022-12-01"), "yes"),
    ("cets197", "BEL", pd.Timestamp("2009-04-26"), "no"),
    ("cets197", "BGR", pd.Timestamp("2007-06-01"), "unknown"),  # only entry into force known
    ("cets197", "BGR", pd.Timestamp("2008-01-23"), "yes"),      # CoE: party that day
    ("cets197", "FIN", pd.Timestamp("2008-01-23"), "no"),       # CoE: signed, not ratified
    ("cets197", "FIN", 2015, "unknown"),                        # party now, date not found
    ("cets197", "RUS", 2024, "no"),
    ("ilo_p029", "BRN", pd.Timestamp("2023-06-12"), "yes"),
    ("ilo_p029", "JPN", 2024, "unknown"),                       # not in the ILO file
])
def test_ratified_on_is_yes_no_or_unknown(tables, treaty, iso3, when, answer):
    events, status = tables
    assert protection.ratified_on(events, status, when, treaty).at[iso3, "ratified"] == answer


def test_ratified_on_refuses_a_string_year(tables):
    with pytest.raises(TypeError, match="integer year"):
        protection.ratified_on(*tables, "2010")


@pytest.mark.parametrize("edit, row, column, words", [
    (lambda n, t: t.replace("2017-07-11", "2017-13-11") if "palermo" in n else t, 4,
     "consent_date", "not a date"),
    (lambda n, t: t.replace("2022-11", "2022/11") if "palermo" in n else t, 6,
     "consent_month", "not a date"),
    (lambda n, t: t.replace("ratification_date,", "ratified,", 1) if "ilo" in n else t, 1,
     "ratification_date", "missing"),
    (lambda n, t: t.replace(",FIN,", ",AUT,") if "coe" in n else t, 6, "iso3", "twice"),
])
def test_bad_input_names_file_row_and_column_and_writes_nothing(tmp_path, edit, row, column,
                                                                 words):
    out = tmp_path / "processed"
    with pytest.raises(InputError) as err:
        treaties.write(_folder(tmp_path, edit), out)
    assert (err.value.row, err.value.column) == (row, column) and words in str(err.value)
    assert not list(out.glob("*")) if out.exists() else True


def test_a_changed_table_is_refused(tmp_path):
    out = tmp_path / "processed"
    treaties.write(_folder(tmp_path), out)
    path = out / treaties.EVENTS_FILE
    path.write_text(path.read_text().replace("2017-07-11", "2017-07-12"))
    with pytest.raises(InputError, match="checksum"):
        treaties.load(path)


def test_provenance_records_inputs_reader_and_citation(tmp_path):
    out = tmp_path / "processed"
    treaties.write(_folder(tmp_path), out)
    from analysis import provenance

    rec = provenance.verify(out / treaties.EVENTS_FILE)
    assert [i["file"] for i in rec["inputs"]] == list(treaties.FILES.values())
    assert rec["inputs"][0]["sha256"] == provenance.sha256(
        tmp_path / "treaty_dates" / treaties.FILES["palermo_protocol"])
    assert rec["reader"].startswith("analysis.sources.treaties 1") and "UNTC" in rec["licence"]
    assert rec["rows"] == 48


# --- events and the law around ratification ---------------------------------------------------

def test_japans_treaty_event_comes_from_the_table(tmp_path):
    out = tmp_path / "processed"
    treaties.write(_folder(tmp_path), out)
    ev = protection.policy_events(treaties.load(out / treaties.EVENTS_FILE))
    jp = ev[ev.label.str.contains("Trafficking Protocol")]
    assert jp.date.tolist() == [pd.Timestamp("2017-07-11")]
    assert jp.label.item() == ("Japan: accepts the UN Trafficking Protocol "
                               "(in force 10 Aug 2017)")
    assert not protection.POLICY_EVENTS.label.str.contains("Protocol").any()
    # Move the date in the source: the event moves with it (no hand-typed constant)
    moved = tmp_path / "moved"
    moved.mkdir()
    treaties.write(_folder(moved, lambda n, t: t.replace("2017-07-11", "2017-07-04")),
                   moved / "p")
    ev2 = protection.policy_events(treaties.load(moved / "p" / treaties.EVENTS_FILE))
    assert pd.Timestamp("2017-07-04") in set(ev2.date)


def _coding(rows):
    frame = pd.DataFrame(rows, columns=["iso3", "provision", "valid_from", "valid_to", "score",
                                        "confidence"])
    frame["valid_from"] = pd.to_datetime(frame["valid_from"])
    frame["valid_to"] = pd.to_datetime(frame["valid_to"])
    return frame


BOOK = pd.DataFrame({"dimension": ["d1", "d2"], "force": ["mandatory", "absent"]},
                    index=pd.Index(["p1", "p2"], name="id"))
BOOK["protocol_group"] = BOOK.force.map(protection.PROTOCOL_GROUPS)
BOOK.attrs["dimensions"] = ["d1", "d2"]


def test_law_around_ratification_by_hand(tables):
    events, _ = tables
    coding = _coding([
        # Japan: p1 0 -> 2 on 2019-01-01 (inside 2014-07-11 .. 2020-07-11), p2 1 throughout
        ("JPN", "p1", "2000-01-01", "2019-01-01", 0, "low"),
        ("JPN", "p1", "2019-01-01", None, 2, "low"),
        ("JPN", "p2", "2000-01-01", None, 1, "low"),
        # Austria (consent 2005-09-15): p2 2 -> 1 on 2006-01-01
        ("AUT", "p1", "2000-01-01", None, 2, "low"),
        ("AUT", "p2", "2000-01-01", "2006-01-01", 2, "low"),
        ("AUT", "p2", "2006-01-01", None, 1, "low"),
        # Korea (consent 2015-11-05): 3 years after is later than the coding
        ("KOR", "p1", "2000-01-01", None, 1, "low"),
        ("KOR", "p2", "2000-01-01", None, 1, "low"),
        ("EU", "p1", "2000-01-01", None, 1, "low"),
        ("EU", "p2", "2000-01-01", None, 1, "low"),
    ])
    out = protection.law_around_ratification(coding, BOOK, events, years=3,
                                             up_to=pd.Timestamp("2018-06-30"))
    # Japan's window ends 2020-07-11, after the coding's end (2018-06-30): not computed
    assert np.isnan(out.at["JPN", "change"]) and "later than the coding" in out.at["JPN", "note"]
    assert out.at["AUT", "index_before"] == 100.0 and out.at["AUT", "index_after"] == 75.0
    assert (out.at["AUT", "provisions_up"], out.at["AUT", "provisions_down"]) == (0, 1)
    assert out.at["EU", "change"] == 0.0           # EUU in the table is the EU floor here
    later = protection.law_around_ratification(coding, BOOK, events, years=3,
                                               up_to=pd.Timestamp("2026-11-29"))
    # Japan: (0 + 1) / 4 = 25 before, (2 + 1) / 4 = 75 after
    assert (later.at["JPN", "index_before"], later.at["JPN", "index_after"]) == (25.0, 75.0)
    assert later.at["JPN", "provisions_up"] == 1 and "PAK" not in later.index


# --- the full published files and the committed tables -----------------------------------------

@pytest.mark.shared
def test_full_files_read_with_every_row():
    tables = treaties.read(require(SHARED))
    ev = tables.events
    assert ev.groupby("treaty").iso3.nunique().to_dict() == {
        "cets197": 32, "ilo_p029": 2, "palermo_protocol": 52}
    consent = ev[(ev.treaty == "palermo_protocol") & (ev.event == "consent")]
    assert consent.date_precision.value_counts().to_dict() == {"day": 51, "month": 1}
    cets = ev[(ev.treaty == "cets197") & (ev.event == "consent")]
    assert (cets.date_precision == "day").sum() == 8   # 8 ratification days in the file


@pytest.mark.shared
def test_committed_tables_are_what_the_reader_gives(tmp_path):
    treaties.write(require(SHARED), tmp_path)
    for name in (treaties.EVENTS_FILE, treaties.STATUS_FILE):
        assert (tmp_path / name).read_bytes() == (paths.PROCESSED / name).read_bytes(), name


def test_committed_tables_load_and_hold_japans_dates():
    events = treaties.load()
    jpn = events[(events.treaty == "palermo_protocol") & (events.iso3 == "JPN")]
    assert jpn.set_index("event").at["consent", "date"] == pd.Timestamp("2017-07-11")
    assert len(treaties.load_status()) == 3 * events.iso3.nunique()


def test_fixture_header_is_the_published_one():
    for fixture, name in FIXTURE_FILES.items():
        header = (FIXTURES / fixture).read_text().splitlines()[0].split(",")
        treaty = next(t for t, f in treaties.FILES.items() if f == name)
        assert header == treaties.REQUIRED[treaty]
        if SHARED.exists():
            assert (SHARED / name).read_text().splitlines()[0].split(",") == header


def test_timeline_figure_marks_unknown_as_unknown_not_absent(tables):
    import matplotlib.pyplot as plt

    from analysis.figures import treaties as treaty_figures

    events, status = tables
    fig = treaty_figures.ratification_timeline(events, status, pd.Timestamp("2010-12-31"))
    texts = [t.get_text() for t in fig.axes[0].texts]
    consent = events[events.event == "consent"].set_index(["treaty", "iso3"])
    expected_q, expected_no = 0, 0
    for _, s in status.iterrows():
        key = (s.treaty, s.iso3)
        shown = key in consent.index and consent.loc[key, "date_precision"] in ("day", "month")
        if not shown:
            expected_no += s.party == "no"
            expected_q += s.party != "no"
    assert texts.count("?") == expected_q > 0 and texts.count("no") == expected_no == 2
    plt.close(fig)
