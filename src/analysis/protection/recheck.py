"""Apply a re-check of coding cells (a patch file of replacement rows) to the coding table."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pandas as pd

from analysis.errors import InputError
from analysis.protection.coding import CODING_FILE, COLUMNS, load_coding

PATCH_COLUMNS = ["iso3", "provision", "replaces_valid_from", *COLUMNS[2:]]


def read_patch(path: str | Path) -> pd.DataFrame:
    """Read a re-check patch: coding rows plus ``replaces_valid_from`` (empty = inserted row).

    Raises:
        InputError: A column is missing.
    """
    path = Path(path)
    patch = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in PATCH_COLUMNS if c not in patch.columns]
    if missing:
        raise InputError(str(path), f"missing column(s) {missing}",
                         f"a patch has the columns {', '.join(PATCH_COLUMNS)}")
    return patch.assign(patch_file=path.name)


def apply(coding: pd.DataFrame, patch: pd.DataFrame) -> pd.DataFrame:
    """Replace the rows a patch names and insert its new rows; the result is sorted.

    Args:
        coding: The raw coding table (all columns as text, as in the CSV).
        patch: Rows from :func:`read_patch` (one or several files concatenated).

    Returns:
        The patched table, text columns as in the CSV, sorted by entity, provision, start.

    Raises:
        InputError: A replacement names no row, or a row two patch lines replace.
    """
    keys = ["iso3", "provision", "valid_from"]
    replacing = patch[patch.replaces_valid_from != ""]
    target = replacing[["iso3", "provision", "replaces_valid_from"]].set_axis(keys, axis=1)
    twice = target[target.duplicated(keep=False)]
    if len(twice):
        raise InputError(str(patch.loc[twice.index[0], "patch_file"]),
                         "two patch rows replace the same coding row",
                         "keep one replacement per row (add further rows as insertions)",
                         examples=twice.head(3).to_string(index=False))
    found = target.merge(coding[keys], on=keys, how="left", indicator=True)
    absent = found[found["_merge"] == "left_only"]
    if len(absent):
        row = replacing.iloc[absent.index[0]]
        raise InputError(row.patch_file, "replaces_valid_from names no row of coding.csv",
                         "copy valid_from of the row being replaced exactly",
                         column="replaces_valid_from",
                         examples=absent[keys].head(3).to_string(index=False))
    kept = coding.merge(target, on=keys, how="left", indicator=True)
    kept = kept[kept["_merge"] == "left_only"].drop(columns="_merge")
    out = pd.concat([kept[COLUMNS], patch[COLUMNS]], ignore_index=True)
    return out.sort_values(keys, kind="stable").reset_index(drop=True)


def apply_files(patches: list[Path], coding_file: str | Path | None = None) -> pd.DataFrame:
    """Apply patch files to the coding CSV, check the result, and write it atomically.

    Nothing is written unless the patched table passes every coding check (schema,
    codebook ids, intervals without overlap or gap).

    Returns:
        The patched table (text columns).
    """
    coding_file = Path(coding_file or CODING_FILE)
    coding = pd.read_csv(coding_file, dtype=str, keep_default_na=False)
    patch = pd.concat([read_patch(p) for p in patches], ignore_index=True)
    out = apply(coding, patch)
    fd, tmp = tempfile.mkstemp(dir=coding_file.parent, prefix=f".{coding_file.name}.",
                               suffix=".csv")
    os.close(fd)
    try:
        out.to_csv(tmp, index=False, lineterminator="\n")
        load_coding(tmp)  # raises InputError naming the row, before anything is replaced
        os.chmod(tmp, 0o644)
        os.replace(tmp, coding_file)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return out
