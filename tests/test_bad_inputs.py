"""A corpus of broken inputs, each with the message or quarantine line it must give."""

from datetime import date

import pytest
from openpyxl import Workbook, load_workbook

from analysis import ingest, paths
from analysis.errors import InputError
from analysis.sources import ctdc, glotip, template

FIX = paths.ROOT / "tests" / "fixtures"
GLOTIP = FIX / "glotip_small.xlsx"
CTDC = FIX / "ctdc_small.csv"
FUTURE = date.today().year + 3
READERS = {"glotip": glotip.read, "ctdc": ctdc.read, "template": template.read}


# --- builders: each writes one broken file into tmp and returns its path --------------------

def glotip_edit(tmp, edit, name="glotip.xlsx"):
    wb = load_workbook(GLOTIP)
    edit(wb, wb["data_glotip_1"])
    wb.save(tmp / name)
    return tmp / name


def set_cell(row, col, value):
    def edit(wb, ws):
        ws.cell(row=row, column=col, value=value)
    return edit


def ctdc_text(tmp, old, new, name="ctdc.csv", count=1):
    path = tmp / name
    path.write_bytes(CTDC.read_bytes().replace(old, new, count))
    return path


def raw(tmp, data: bytes, name):
    path = tmp / name
    path.write_bytes(data)
    return path


def counts(tmp, body, name="counts.csv", header="year,origin,destination,count"):
    path = tmp / name
    path.write_text(f"{header}\n{body}\n")
    return path


def moved_header(wb, ws):
    ws.insert_rows(1, amount=2)


def header_beyond_scan(wb, ws):
    ws.insert_rows(1, amount=25)


def renamed_sheet(wb, ws):
    ws.title = "Sheet1"


def wrong_sheet(wb, ws):
    wb.remove(ws)
    other = wb.create_sheet("data_glotip_1")
    other.append(["UNODC"])
    other.append(["Some other table", "value"])


def drop_column(name):
    def edit(wb, ws):
        for cell in ws[3]:
            if cell.value == name:
                ws.delete_cols(cell.column)
                return
    return edit


def rename_column(old, new):
    def edit(wb, ws):
        for cell in ws[3]:
            if cell.value == old:
                cell.value = new
    return edit


def empty_workbook(tmp):
    wb = Workbook()
    wb.active.title = "data_glotip_1"
    wb.save(tmp / "blank.xlsx")
    return tmp / "blank.xlsx"


# --- files the readers refuse: (source, builder, expected in message, row, column) ----------

ERRORS = {
    "zero-byte xlsx": ("glotip", lambda t: raw(t, b"", "e.xlsx"), "empty (0 bytes)", None, None),
    "zero-byte ctdc": ("ctdc", lambda t: raw(t, b"", "e.csv"), "empty (0 bytes)", None, None),
    "zero-byte template": ("template", lambda t: raw(t, b"", "e.csv"), "empty (0 bytes)", None,
                           None),
    "missing file": ("ctdc", lambda t: t / "nope.csv", "file not found", None, None),
    "CSV given as glotip": ("glotip", lambda t: CTDC, "not a readable Excel workbook", None,
                            None),
    "xlsx given as ctdc": ("ctdc", lambda t: GLOTIP, "spreadsheet workbook, not a CSV", 1, None),
    "blank workbook": ("glotip", empty_workbook, "no sheet has the GLOTIP header", 3, None),
    "wrong sheet": ("glotip", lambda t: glotip_edit(t, wrong_sheet),
                    "no sheet has the GLOTIP header", 3, None),
    "header moved beyond row 20": ("glotip", lambda t: glotip_edit(t, header_beyond_scan),
                                   "no sheet has the GLOTIP header", 3, None),
    "glotip missing txtVALUE": ("glotip", lambda t: glotip_edit(t, drop_column("txtVALUE")),
                                "required column(s) missing: ['txtVALUE']", 3, "txtVALUE"),
    "glotip renamed Year": ("glotip", lambda t: glotip_edit(t, rename_column("Year", "Année")),
                            "required column(s) missing: ['Year']", 3, "Year"),
    "ctdc blank first line": ("ctdc", lambda t: ctdc_text(t, b"yearOf", b"\nyearOf"),
                              "first line is blank", 1, None),
    "ctdc missing citizenship": (
        "ctdc", lambda t: ctdc_text(t, b",citizenship,", b",nationality,"),
        "required column(s) missing: ['citizenship']", 1, "citizenship"),
    "ctdc repeated column": ("ctdc", lambda t: ctdc_text(t, b"isForcedLabour", b"gender"),
                             "column name(s) repeated in the header: ['gender']", 1, "gender"),
    "ctdc non-UTF-8": ("ctdc", lambda t: ctdc_text(t, b"Male,27--29,XK", b"M\xe4le,27--29,XK"),
                       "text is not UTF-8 (byte 0xe4", 38, "gender"),
    "ctdc non-UTF-8 header": ("ctdc", lambda t: ctdc_text(t, b"gender", b"g\xe9nero"),
                              "header is not UTF-8", 1, None),
    "ctdc stray comma": ("ctdc", lambda t: ctdc_text(t, b"2018,Male,21--23,KH,1.0,0.0,TH",
                                                     b"2018,Male,21--23,KH,1.0,0.0,TH,"),
                         "different number of fields", 26, None),
    "ctdc stray quote": ("ctdc", lambda t: ctdc_text(t, b"2018,Male,21--23,KH",
                                                     b'2018,"Male,21--23,KH'),
                         "different number of fields", 26, None),
    "ctdc quote left open": ("ctdc", lambda t: ctdc_text(t, b"KH,1.0,0.0,TH", b'KH,1.0,0.0,"TH'),
                             "a quote (\") opened on this line is not closed", 26, None),
    "ctdc header only": ("ctdc", lambda t: raw(t, b"yearOfRegistration,gender\n", "h.csv"),
                         "required column(s) missing: ['citizenship', 'CountryOfExploitation']",
                         1, "citizenship"),
    "template missing origin": ("template", lambda t: counts(t, "2019,JPN,3",
                                                            header="year,destination,count"),
                                "required column(s) missing: ['origin']", 1, "origin"),
    "template renamed count": ("template", lambda t: counts(
        t, "2019,VNM,JPN,3", header="Year,Origin,Destination,Victims"),
        "neither a 'count' column (aggregate counts) nor a 'case_id' column", 1, "count"),
    "template both forms": ("template", lambda t: counts(
        t, "1,2019,VNM,JPN,3", header="case_id,year,origin,destination,count"),
        "both 'count' and 'case_id'", 1, "case_id"),
    "template unsupported type": ("template", lambda t: raw(t, b"{}", "d.json"),
                                  "unsupported file type '.json'", None, None),
    "template non-UTF-8": ("template", lambda t: raw(
        t, "year,origin,destination,count\n2019,Perú,JPN,3\n".encode("cp1252"), "c.csv"),
        "text is not UTF-8 (byte 0xfa", 2, "origin"),
    "template xlsx without header": ("template", lambda t: _xlsx(t, [("a", "b"), (1, 2)]),
                                     "no sheet has a header row with 'year'", 1, None),
}


def _xlsx(tmp, rows):
    wb = Workbook()
    for r in rows:
        wb.active.append(list(r))
    wb.save(tmp / "t.xlsx")
    return tmp / "t.xlsx"


@pytest.mark.parametrize("case", list(ERRORS))
def test_unusable_file_gives_a_message_naming_problem_and_fix(case, tmp_path):
    source, build, expected, row, column = ERRORS[case]
    path = build(tmp_path)
    with pytest.raises(InputError) as err:
        READERS[source](path)
    e = err.value
    assert expected in e.problem, str(e)
    assert e.file == str(path) and e.fix
    assert (e.row, e.column) == (row, column) or (row is None and column is None
                                                   and e.column is None)
    assert str(path) in str(e) and "fix:" in str(e)


def test_template_renamed_count_lists_the_columns_found(tmp_path):
    path = counts(tmp_path, "2019,VNM,JPN,3", header="Year,Origin,Destination,Victims")
    with pytest.raises(InputError) as err:  # never read as four cases, one per row
        template.read(path)
    assert "['Year', 'Origin', 'Destination', 'Victims']" in err.value.problem


# --- rows the readers quarantine: (source, builder, row, column, reason) ---------------------

QUARANTINE = {
    "glotip negative": ("glotip", lambda t: glotip_edit(t, set_cell(5, 12, "-3")), 5,
                        "txtVALUE", "negative count: -3"),
    "glotip non-numeric": ("glotip", lambda t: glotip_edit(t, set_cell(5, 12, "n/a")), 5,
                           "txtVALUE", "not a count: 'n/a'"),
    "glotip absurd": ("glotip", lambda t: GLOTIP, 31, "txtVALUE",
                      "implausible count (over 100,000 in one cell): likely debris"),
    "glotip future year": ("glotip", lambda t: glotip_edit(t, set_cell(5, 10, float(FUTURE))),
                           5, "Year", f"year in the future (after {date.today().year})"),
    "glotip fractional year": ("glotip", lambda t: glotip_edit(t, set_cell(5, 10, 2019.5)), 5,
                               "Year", "year is not a whole number: '2019.5'"),
    "glotip mis-encoded": ("glotip", lambda t: GLOTIP, 30, "Category",
                           "mis-encoded text (U+FFFD): the name cannot be verified from the "
                           "file"),
    "glotip unknown name": ("glotip", lambda t: glotip_edit(t, set_cell(5, 7, "Atlantis")), 5,
                            "Category", "unmatched country name: add it to "
                            "data/mappings/glotip.csv"),
    "glotip duplicated key": ("glotip", lambda t: GLOTIP, 27, "Category",
                              "duplicate key (same value repeated: counted once)"),
    "ctdc future year": ("ctdc", lambda t: ctdc_text(t, b"2018,Male,27--29",
                                                     f"{FUTURE},Male,27--29".encode()), 38,
                         "yearOfRegistration", f"year in the future (after "
                         f"{date.today().year})"),
    "ctdc year -99": ("ctdc", lambda t: ctdc_text(t, b"2018,Male,27--29", b"-99,Male,27--29"),
                      38, "yearOfRegistration", "year missing ('-99')"),
    "ctdc year text": ("ctdc", lambda t: ctdc_text(t, b"2018,Male,27--29", b"2O18,Male,27--29"),
                       38, "yearOfRegistration", "year is not a number: '2O18'"),
    "ctdc -99 citizenship": ("ctdc", lambda t: CTDC, 35, "citizenship",
                             "citizenship missing or unknown"),
    "ctdc -99 exploitation": ("ctdc", lambda t: CTDC, 32, "CountryOfExploitation",
                              "country of exploitation missing or unknown"),
    "ctdc unknown code": ("ctdc", lambda t: ctdc_text(t, b"27--29,XK", b"27--29,QZ"), 38,
                          "citizenship", "unmatched citizenship code: add it to "
                          "data/mappings/ctdc.csv"),
    "ctdc dissolved country": ("ctdc", lambda t: ctdc_text(t, b"27--29,XK", b"27--29,YU"), 38,
                               "citizenship", "citizenship is not a single country"),
    "ctdc blank line": ("ctdc", lambda t: ctdc_text(t, b"\n2018,Male,27", b"\n\n2018,Male,27"),
                        38, "yearOfRegistration", "year missing ('')"),
    "template negative": ("template", lambda t: counts(t, "2019,VNM,JPN,-3"), 2, "count",
                          "negative count: -3"),
    "template non-numeric": ("template", lambda t: counts(t, "2019,VNM,JPN,many"), 2, "count",
                             "not a count: 'many'"),
    "template absurd": ("template", lambda t: counts(t, "2019,VNM,JPN,\"61,102,019\""), 2,
                        "count", "implausible count (over 100,000 in one cell): check for a "
                        "typing error"),
    "template empty count": ("template", lambda t: counts(t, "2019,VNM,JPN,"), 2, "count",
                             "empty value"),
    "template future year": ("template", lambda t: counts(t, f"{FUTURE},VNM,JPN,3"), 2, "year",
                             f"year in the future (after {date.today().year})"),
    "template old year": ("template", lambda t: counts(t, "1975,VNM,JPN,3"), 2, "year",
                          "year before 1990"),
    "template duplicated key": ("template", lambda t: counts(t, "2019,VNM,JPN,3\n2019,VNM,JPN,4"),
                                2, "count", "duplicate key with conflicting values: none used"),
    "template unknown country": ("template", lambda t: counts(t, "2019,Narnia,JPN,3"), 2,
                                 "origin", "unmatched origin name: correct it or add it to "
                                 "data/mappings/template.csv"),
    "template region": ("template", lambda t: counts(t, "2019,VNM,Europe,3"), 2,
                        "destination", "destination is not a single country"),
    "template bad sex": ("template", lambda t: counts(t, "2019,VNM,JPN,3,woman?",
                                                     header="year,origin,destination,count,sex"),
                         2, "sex", "unknown sex label (allowed: total, female, male, other, "
                         "unknown)"),
    "template bad indicator": ("template", lambda t: counts(
        t, "2019,VNM,JPN,3,convictions", header="year,origin,destination,count,indicator"),
        2, "indicator", "unknown indicator (allowed: detected_victims, repatriated_victims)"),
}


@pytest.mark.parametrize("case", list(QUARANTINE))
def test_bad_row_is_quarantined_with_its_reason(case, tmp_path):
    source, build, row, column, reason = QUARANTINE[case]
    result = READERS[source](build(tmp_path))
    q = result.quarantine
    line = q[q.row == row]
    assert len(line) == 1, q
    assert (line.column.iloc[0], line.reason.iloc[0]) == (column, reason)
    tot = result.conservation.sum(numeric_only=True)
    assert tot.rows_read == tot.rows_used + tot.rows_quarantined + tot.rows_set_aside


def test_header_moved_down_is_still_found(tmp_path):
    result = glotip.read(glotip_edit(tmp_path, moved_header))
    assert result.meta["header_row"] == 5 and len(result.flows) == 22
    assert result.quarantine.row.min() == 12  # rows renumbered as the sheet shows them


def test_sheet_renamed_is_still_read_and_recorded(tmp_path):
    result = glotip.read(glotip_edit(tmp_path, renamed_sheet))
    assert result.meta["sheet"] == "Sheet1" and len(result.flows) == 22


def test_unknown_names_get_suggested_matches(tmp_path):
    result = glotip.read(glotip_edit(tmp_path, set_cell(5, 7, "Filipinoo")))
    h = result.harmonisation.set_index("raw")
    assert h.loc["Filipinoo", "method"] == "unmatched"
    assert "filipino -> PHL" in h.loc["Filipinoo", "suggestion"]


@pytest.mark.parametrize("source,build", [
    ("ctdc", lambda t: raw(t, b"yearOfRegistration,citizenship,CountryOfExploitation\n",
                           "h.csv")),
    ("template", lambda t: counts(t, "2019,Atlantis,JPN,3")),
])
def test_nothing_usable_is_refused_by_ingest(source, build, tmp_path):
    with pytest.raises(InputError, match="no row could be used"):
        ingest.ingest(source, build(tmp_path), tmp_path / "data")
    assert not (tmp_path / "data").exists()


# --- semicolon-separated files (Excel in a European locale) ---------------------------------

@pytest.mark.parametrize("source,build,row", [
    ("template", lambda t: raw(t, b"year;origin;destination;count\n2019;VNM;JPN;3\n",
                               "semi.csv"), 1),
    ("ctdc", lambda t: raw(t, CTDC.read_bytes().replace(b",", b";"), "semi.csv"), 1),
    # A comma header with semicolon rows (a file edited in two locales).
    ("template", lambda t: raw(t, b"year,origin,destination,count\n2019,VNM,JPN,3\n"
                               b"2020;VNM;JPN;4\n", "mixed.csv"), 3),
])
def test_a_semicolon_separated_file_is_named_as_such_with_the_fix(source, build, row, tmp_path):
    path = build(tmp_path)
    with pytest.raises(InputError) as err:
        READERS[source](path)
    assert err.value.row == row and err.value.file == str(path)
    assert err.value.problem.startswith("this looks semicolon-separated")
    assert "CSV UTF-8 (Comma delimited)" in err.value.fix and "stray comma" not in str(err.value)


def test_semicolons_inside_values_of_a_comma_file_are_not_mistaken_for_the_delimiter(tmp_path):
    ok = counts(tmp_path, '2019,VNM,JPN,3,"seen; twice; in 2019"\n2020,VNM,JPN,4,a;b;c;d',
                header="year,origin,destination,count,notes")
    assert int(template.read(ok).flows.value_low.sum()) == 7
    extra = counts(tmp_path, "2019,VNM,JPN,3,a;b\n2020,VNM,JPN,4,x,y", name="extra.csv",
                   header="year,origin,destination,count,notes")
    with pytest.raises(InputError) as err:
        template.read(extra)
    assert err.value.row == 3 and "different number of fields" in err.value.problem
    assert "stray comma" in err.value.fix


@pytest.mark.parametrize("source", ["ctdc", "template"])
def test_old_mac_line_ends_give_a_message_not_a_traceback(source, tmp_path):
    path = raw(tmp_path, b"year,origin,destination,count\r2019,VNM,JPN,3\r", "mac.csv")
    with pytest.raises(InputError) as err:
        READERS[source](path)
    assert err.value.row == 1 and "carriage return" in err.value.problem
    assert "tr '\\r' '\\n'" in err.value.fix
