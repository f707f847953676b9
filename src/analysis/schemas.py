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
