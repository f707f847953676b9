"""Table schemas (pandera) and the one function that checks a table and explains failures."""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from analysis.errors import InputError

ISO3 = r"^[A-Z]{3}$"

FLOWS = pa.DataFrameSchema(
    {
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "origin": pa.Column(str, pa.Check.str_matches(ISO3)),
        "destination": pa.Column(str, pa.Check.str_matches(ISO3)),
        "indicator": pa.Column(str, pa.Check.isin(["detected_victims", "repatriated_victims"])),
        "sex": pa.Column(str, pa.Check.isin(["total", "female", "male", "other", "unknown"])),
        "age": pa.Column(str, pa.Check.isin(["total", "adult", "child", "unknown"])),
        "value_low": pa.Column(int, pa.Check.ge(0)),
        "value_high": pa.Column(int, pa.Check.ge(0)),
        "censored": pa.Column(bool),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
    },
    checks=[
        pa.Check(lambda d: d["value_low"] <= d["value_high"], name="value_low <= value_high"),
        pa.Check(lambda d: ~d["censored"] | (d["value_low"] < d["value_high"]),
                 name="a censored value is an interval (value_low < value_high)"),
        pa.Check(lambda d: ~d.duplicated(["year", "origin", "destination", "indicator", "sex",
                                          "age", "source"]),
                 name="one row per key (year, origin, destination, indicator, sex, age, source)"),
    ],
    strict=True,
    ordered=True,
    coerce=True,
)

FLOW_COLUMNS = list(FLOWS.columns)


def validate(table: pd.DataFrame, schema: pa.DataFrameSchema, file: str) -> pd.DataFrame:
    """Check a table against a schema; on failure raise an :class:`InputError` that explains.

    Args:
        table: The table to check.
        schema: A pandera schema.
        file: The file the table came from, named in the message.

    Returns:
        The table as the schema coerces it.

    Raises:
        InputError: Naming the column, the rule and example rows.
    """
    try:
        return schema.validate(table, lazy=True)
    except pa.errors.SchemaErrors as exc:
        cases = exc.failure_cases
        first = cases.iloc[0]
        column = first["column"] if isinstance(first["column"], str) else None
        rules = "; ".join(sorted({f"{c if isinstance(c, str) else 'table'}: {k}" for c, k in
                                  zip(cases["column"], cases["check"], strict=True)})[:5])
        idx = [int(i) for i in cases["index"].dropna().unique()[:5] if str(i).isdigit()]
        examples = table.loc[table.index.intersection(idx)].to_string() if idx else ""
        row = idx[0] + 2 if idx else None  # +2: header line, 1-based rows
        raise InputError(
            file=file, row=row, column=column,
            problem=f"{len(cases)} value(s) break the table's schema ({rules})",
            fix="correct the listed rows, or re-create the table with `python -m analysis ingest`",
            examples="\n".join("    " + ln for ln in examples.splitlines()),
        ) from None


#: The victim-protection coding table (data/protection/coding.csv), as
#: :func:`analysis.protection.load_coding` parses it. Codebook ids and the interval rules
#: (start 2000-01-01, no gap, no overlap, open end) are checked by
#: :func:`analysis.protection.check_coding`.
CODING = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(r"^([A-Z]{3}|EU)$")),
        "provision": pa.Column(str, pa.Check.str_matches(r"^[a-z][a-z_]*$")),
        "valid_from": pa.Column("datetime64[ns]", pa.Check.ge(pd.Timestamp("2000-01-01"))),
        "valid_to": pa.Column("datetime64[ns]", nullable=True),
        "score": pa.Column(int, pa.Check.isin([0, 1, 2])),
        "legal_basis": pa.Column(str, pa.Check.str_length(min_value=1)),
        "source": pa.Column(str, pa.Check.str_length(min_value=1)),
        "confidence": pa.Column(str, pa.Check.isin(["high", "medium", "low"])),
        "note": pa.Column(str, nullable=True),
    },
    checks=[
        pa.Check(lambda d: d["valid_to"].isna() | (d["valid_from"] < d["valid_to"]),
                 name="valid_from before valid_to"),
        pa.Check(lambda d: ~d.duplicated(["iso3", "provision", "valid_from"]),
                 name="one row per (iso3, provision, valid_from)"),
    ],
    strict=True,
    ordered=True,
    coerce=True,
)

#: The tidy 3P Anti-Trafficking Policy Index (data/processed/threep.csv).
THREEP = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(ISO3)),
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "tier": pa.Column(float, pa.Check.isin([1.0, 2.0, 2.5, 3.0]), nullable=True),
        "prosecution": pa.Column("Int64", pa.Check.in_range(1, 5), nullable=True),
        "prevention": pa.Column("Int64", pa.Check.in_range(1, 5), nullable=True),
        "protection": pa.Column("Int64", pa.Check.in_range(1, 5), nullable=True),
        "p": pa.Column("Int64", pa.Check.in_range(3, 15), nullable=True),
        "raw_name": pa.Column(str),
    },
    checks=[pa.Check(lambda d: ~d.duplicated(["iso3", "year"]), name="one row per iso3-year")],
    strict=True,
    ordered=True,
    coerce=True,
)

#: The tidy US TIP Report tier placements (data/processed/tip_tiers.csv).
TIP = pa.DataFrameSchema(
    {
        "iso3": pa.Column(str, pa.Check.str_matches(ISO3)),
        "year": pa.Column(int, pa.Check.in_range(1990, 2100)),
        "tier": pa.Column(float, pa.Check.isin([1.0, 2.0, 2.5, 3.0]), nullable=True),
        "tier_label": pa.Column(str, pa.Check.isin(["Tier 1", "Tier 2", "Tier 2 Watch List",
                                                    "Tier 3", "not ranked"])),
        "raw_name": pa.Column(str),
        "source_file": pa.Column(str),
    },
    checks=[pa.Check(lambda d: ~d.duplicated(["iso3", "year"]), name="one row per iso3-year")],
    strict=True,
    ordered=True,
    coerce=True,
)
