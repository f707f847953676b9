"""The project's own error: names file, row, column, problem and fix, for exit code 2."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class InputError(Exception):
    """Bad input a user can fix.

    Attributes:
        file: The file the problem is in.
        problem: What is wrong, in plain words.
        fix: What the user should do.
        row: 1-based row number as a spreadsheet shows it, if known.
        column: Column name, if known.
        examples: A few offending values or rows, already formatted.
    """

    file: str
    problem: str
    fix: str
    row: int | None = None
    column: str | None = None
    examples: str = ""

    def __str__(self) -> str:
        where = self.file
        if self.row is not None:
            where += f", row {self.row}"
        if self.column is not None:
            where += f", column '{self.column}'"
        msg = f"{where}: {self.problem}\n  fix: {self.fix}"
        if self.examples:
            msg += f"\n  examples:\n{self.examples}"
        return msg
