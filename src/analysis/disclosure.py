"""Disclosure rules: thresholds, small-cell suppression, the interval audit every number passes."""

from __future__ import annotations

import math
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from analysis.errors import InputError
from analysis.sources import registry

#: Label of the total row and column :func:`suppress` adds.
TOTAL = "Total"
#: How a suppressed cell is written in exported CSV files.
SUPPRESSED = "suppressed"
#: How running text states a fact that did not pass the check.
WITHHELD = "not shown (small groups)"
#: Rectangles tried per failing cell before the widest one is kept (see :func:`suppress`).
_TRIES = 12
_TOL = 1e-6


class DisclosureError(ValueError):
    """An export would reveal a group small enough to identify someone."""


def threshold(kind: str) -> int:
    """Return the smallest group that may be shown for a source kind or source id.

    Raises:
        InputError: Unknown kind: the check cannot be made, so nothing may be exported.
    """
    return registry.threshold(kind)


# --- The rule ---------------------------------------------------------------------------------

def exposure(low: float, high: float, k: int) -> str | None:
    """Say how an interval of values consistent with what is published exposes a group.

    The interval is what an attacker who does arithmetic on everything published knows
    about a hidden group. It is safe when the group is provably at least ``k``, provably
    zero, or when its top reaches ``k`` and it either may be zero or spans ``k`` or more
    values (so it proves neither "small" nor "positive and small").

    Args:
        low: Smallest value consistent with the published numbers.
        high: Largest value (``inf`` when unbounded).
        k: Threshold.

    Returns:
        ``None`` when safe, else a short reason.
    """
    if low >= k or high <= 0:
        return None
    if low == high:
        return f"derivable: it equals {low:g}"
    if high < k:
        return f"provably below {k} (at most {high:g})"
    if low > 0 and high - low < k:
        return f"provably positive and within {low:g}-{high:g}, narrower than {k}"
    return None


# --- Linear facts and their intervals ---------------------------------------------------------

@dataclass(frozen=True)
class Fact:
    """A published linear statement about cells: ``low <= sum(weight * cell) <= high``.

    A figure's shown value or a total stated in the text is an equation; a ranking or
    ordering is an inequality (``larger - smaller >= 0``); "N countries reported" says
    each of them is at least 1.

    Attributes:
        terms: Cell label -> weight.
        low: Lower bound of the weighted sum.
        high: Upper bound (``inf`` for none).
        label: What the statement is, for messages.
    """

    terms: Mapping[Hashable, float]
    low: float
    high: float
    label: str = ""

    @classmethod
    def total(cls, cells: Iterable[Hashable], value: float, label: str = "") -> Fact:
        """Return the statement "these cells sum to ``value``"."""
        return cls({c: 1.0 for c in cells}, float(value), float(value), label)

    @classmethod
    def at_least(cls, larger: Iterable[Hashable], smaller: Iterable[Hashable],
                 label: str = "") -> Fact:
        """Return the statement "the sum of ``larger`` is at least the sum of ``smaller``"."""
        terms: dict[Hashable, float] = {}
        for c in larger:
            terms[c] = terms.get(c, 0.0) + 1.0
        for c in smaller:
            terms[c] = terms.get(c, 0.0) - 1.0
        return cls(terms, 0.0, math.inf, label)

    @classmethod
    def positive(cls, cells: Iterable[Hashable], label: str = "") -> Fact:
        """Return the statement "these cells sum to at least 1" (e.g. a country reported)."""
        return cls({c: 1.0 for c in cells}, 1.0, math.inf, label)

    def holds(self, values: Mapping[Hashable, float]) -> bool:
        """Return whether the statement is true of the true values."""
        s = sum(w * values[c] for c, w in self.terms.items())
        return self.low - _TOL <= s <= self.high + _TOL

    def states_group(self) -> float | None:
        """Return the value when the fact states one group's size exactly, else ``None``."""
        unit = all(w == 1.0 for w in self.terms.values())
        return self.low if unit and self.low == self.high else None


@dataclass
class _System:
    """Non-negative unknowns tied by published linear facts, in matrix form."""

    labels: list[Hashable]
    rows: list[np.ndarray] = field(default_factory=list)
    low: list[float] = field(default_factory=list)
    high: list[float] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.position = {c: i for i, c in enumerate(self.labels)}

    def vector(self, terms: Mapping[Hashable, float]) -> np.ndarray:
        v = np.zeros(len(self.labels))
        for c, w in terms.items():
            v[self.position[c]] += w
        return v

    def add(self, fact: Fact) -> None:
        self.rows.append(self.vector(fact.terms))
        self.low.append(fact.low)
        self.high.append(fact.high)

    def interval(self, objective: np.ndarray) -> tuple[float, float]:
        """Return the min and max of ``objective @ x`` over whole non-negative ``x``.

        Integer programming, not its LP relaxation: with rankings among the facts the
        matrix is no longer totally unimodular and the LP bounds could be looser than what
        an attacker solving for whole numbers gets.
        """
        return (self._optimum(objective), -self._optimum(-objective))

    def _optimum(self, c: np.ndarray) -> float:
        n = len(self.labels)
        cons = LinearConstraint(np.vstack(self.rows), self.low, self.high) if self.rows else ()
        res = milp(c, constraints=cons, integrality=np.ones(n), bounds=Bounds(0, np.inf))
        if res.status == 3 or (res.status == 4 and self._feasible()):
            return -math.inf  # unbounded in the direction asked for (HiGHS MILP says "4")
        if res.status != 0:
            raise InputError("published facts", "the published numbers contradict each other "
                             f"(solver: {res.message})", "check that shown totals equal the "
                             "sums of their cells")
        return float(res.fun)

    def _feasible(self) -> bool:
        """Return whether some non-negative whole table satisfies every fact."""
        res = milp(np.zeros(len(self.labels)), integrality=np.ones(len(self.labels)),
                   constraints=LinearConstraint(np.vstack(self.rows), self.low, self.high)
                   if self.rows else (), bounds=Bounds(0, np.inf))
        return res.status == 0


def check_facts(cells: pd.Series, k: int, published: Iterable[Fact],
                protect: Mapping[str, Iterable[Hashable]]) -> list[str]:
    """Check that everything published together keeps every hidden group protected.

    The unknowns are the true cells (non-negative whole numbers); an attacker knows every
    published fact (a figure's shown values, totals stated in the text, rankings). For each
    protected group (a hidden figure cell, a withheld total) the exact range of values
    consistent with all of it is computed by integer programming, and judged by
    :func:`exposure`. A fact stating one group's size below ``k`` is itself a problem.

    Args:
        cells: True counts, one per cell label.
        k: Threshold.
        published: Everything shown beside the hidden groups.
        protect: Name -> cell labels whose sum must stay protected.

    Returns:
        Problems, one sentence each (empty when it is safe to publish).

    Raises:
        ValueError: A published fact is not true of ``cells`` (a bug in the caller).
    """
    published = list(published)
    values = cells.to_dict()
    problems = []
    system = _System(list(cells.index))
    for fact in published:
        if not fact.holds(values):
            raise ValueError(f"published fact {fact.label or fact.terms} is not true of the data")
        stated = fact.states_group()
        if stated is not None and 0 < stated < k:
            problems.append(f"{fact.label or 'a stated total'} states {stated:g}, below {k}")
        system.add(fact)
    for name, group in protect.items():
        objective = system.vector({c: 1.0 for c in group})
        low, high = system.interval(objective)
        reason = exposure(round(low), high if math.isinf(high) else round(high), k)
        if reason:
            problems.append(f"{name}: {reason}")
    return problems


# --- Two-way tables with totals ---------------------------------------------------------------

def _grid_system(grid: np.ndarray) -> tuple[np.ndarray, np.ndarray, list[tuple[int, int]]]:
    """Equations of a table with a total row and column, over its hidden (NaN) cells.

    Each row of the grid (the total row included) says its cells sum to its last cell;
    each column says its cells sum to its last cell. Shown cells move to the right side.

    Returns:
        (A, b, unknowns) with ``A @ x = b`` and ``unknowns[i]`` the (row, column) of x[i].

    Raises:
        InputError: Shown cells and shown totals disagree.
    """
    hidden = np.isnan(grid).ravel()
    lines = _incidence(grid.shape)
    a = lines[:, hidden]
    b = -lines[:, ~hidden] @ grid.ravel()[~hidden]
    used = a.any(axis=1)
    if (np.abs(b[~used]) > _TOL).any():
        raise InputError("published table", "shown cells do not add up to their shown totals",
                         "publish the true sums as totals")
    unknowns = [tuple(int(i) for i in ix) for ix in np.argwhere(np.isnan(grid))]
    return a[used], b[used], unknowns


def _incidence(shape: tuple[int, int]) -> np.ndarray:
    """Line x cell matrix of a grid whose last row and column are totals (cells - total)."""
    nr, nc = shape
    out = np.zeros((nr + nc, nr * nc))
    for r in range(nr):
        out[r, r * nc:(r + 1) * nc] = 1.0
        out[r, r * nc + nc - 1] = -1.0
    for c in range(nc):
        out[nr + c, c::nc] = 1.0
        out[nr + c, (nr - 1) * nc + c] = -1.0
    return out


def _cell_interval(a: np.ndarray, b: np.ndarray, index: int) -> tuple[float, float]:
    """Min and max of one unknown subject to ``A x = b, x >= 0`` (exact: the matrix is TU)."""
    bounds = []
    for sign in (1.0, -1.0):
        c = np.zeros(a.shape[1])
        c[index] = sign
        res = linprog(c, A_eq=a if len(b) else None, b_eq=b if len(b) else None,
                      bounds=(0, None), method="highs")
        if res.status == 3:
            bounds.append(math.inf)
        elif res.status != 0:
            raise InputError("published table", f"no table fits the shown numbers "
                             f"({res.message})", "publish the true sums as totals")
        else:
            bounds.append(round(sign * res.fun))
    return float(bounds[0]), float(bounds[1])


def cell_intervals(table: pd.DataFrame) -> pd.DataFrame:
    """Range of values each hidden cell can take, given everything else the table shows.

    The table's last row and column are its totals; hidden cells are NaN. The range is
    computed by linear programming over the row and column equations with non-negative
    cells. A two-way table's equations have a totally unimodular matrix, so the LP bounds
    are whole numbers and equal the bounds over whole-number tables.

    Returns:
        One row per hidden cell: row, column, low, high (``inf`` when unbounded).
    """
    grid = _numeric(table)
    a, b, unknowns = _grid_system(grid)
    out = [(table.index[r], table.columns[c], *_cell_interval(a, b, i))
           for i, (r, c) in enumerate(unknowns)]
    return pd.DataFrame(out, columns=["row", "column", "low", "high"])


def audit(table: pd.DataFrame, k: int) -> list[str]:
    """List what a published two-way table would disclose (the referee of :func:`suppress`).

    A shown cell or total with ``0 < value < k`` is disclosed. With totals (the last row and
    column labelled ``Total``), every hidden cell's range of consistent values is computed
    (see :func:`cell_intervals`) and judged by :func:`exposure`. The audit does not know
    which hidden cells are small, so it holds every hidden cell that could be small to the
    rule.

    Args:
        table: The published table, hidden cells NaN.
        k: Threshold.

    Returns:
        Problems found, one sentence each (empty when the table is safe to show).
    """
    grid = _numeric(table)
    shown = [(table.index[r], table.columns[c], grid[r, c]) for r, c in
             np.argwhere(~np.isnan(grid)) if 0 < grid[r, c] < k]
    problems = [f"cell ({r}, {c}) shows {v:g}, below {k}" for r, c, v in shown]
    if not _has_totals(table) or not np.isnan(grid).any():
        return problems
    for row in cell_intervals(table).itertuples():
        reason = exposure(row.low, row.high, k)
        if reason:
            problems.append(f"hidden cell ({row.row}, {row.column}) is {reason}")
    return problems


def suppress(table: pd.DataFrame, k: int) -> pd.DataFrame:
    """Publish a count table with totals so that no small group is shown or can be derived.

    Primary suppression hides every cell and total with ``0 < count < k``. Secondary
    suppression then works cell by cell: while a hidden cell's range of consistent values
    (:func:`cell_intervals`) fails :func:`exposure`, hide the cheapest rectangle of
    cells that closes a cycle through it (cost: the counts newly hidden, totals dearer),
    trying the cheapest few by linear programming and keeping the first that makes the
    cell pass (else the one that widens it most). Hiding more only widens ranges, so a
    cell that passes stays passed; the final :func:`audit` is the referee.

    Args:
        table: Non-negative whole counts, rows x columns, without totals.
        k: Smallest group that may be shown (see :func:`threshold`).

    Returns:
        The table with a last row and column ``Total`` (the true sums), hidden cells NaN;
        ``attrs`` holds ``k`` and the numbers of ``primary`` and ``secondary`` cells.

    Raises:
        InputError: The table is empty, has a ``Total`` label, or a cell is not a
            non-negative whole number.
    """
    values = _with_totals(_counts(table))
    hidden = (values > 0) & (values < k)
    primary = int(hidden.sum())
    _protect(values, hidden, k)
    while problems := _failing(values, hidden, k):  # the referee; normally passes at once
        _widen(values, hidden, problems[0], k)
        _protect(values, hidden, k)
    index = pd.Index([*table.index, TOTAL], name=table.index.name)
    columns = pd.Index([*table.columns, TOTAL], name=table.columns.name)
    out = pd.DataFrame(np.where(hidden, np.nan, values), index=index, columns=columns)
    out.attrs.update({"k": k, "primary": primary, "secondary": int(hidden.sum()) - primary})
    return out


def _counts(table: pd.DataFrame) -> np.ndarray:
    """Check and return the counts of a table given to :func:`suppress`."""
    where = "table given to suppress()"
    if not isinstance(table, pd.DataFrame) or table.empty:
        raise InputError(where, "not a non-empty DataFrame", "pass rows x columns of counts")
    if TOTAL in table.index or TOTAL in table.columns:
        raise InputError(where, f"it already has a {TOTAL!r} row or column",
                         "pass the counts without totals: suppress() adds the true sums")
    values = table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)
    bad = np.isnan(values) | (values < 0) | (values % 1 != 0)
    if bad.any():
        r, c = np.argwhere(bad)[0]
        raise InputError(where, f"cell ({table.index[r]}, {table.columns[c]}) is "
                         f"{table.iat[r, c]!r}, not a non-negative whole count",
                         "give counts only (0 for none)", column=str(table.columns[c]))
    return values


def _with_totals(values: np.ndarray) -> np.ndarray:
    rows = np.column_stack([values, values.sum(axis=1)])
    return np.vstack([rows, rows.sum(axis=0)])


def _has_totals(table: pd.DataFrame) -> bool:
    return len(table.index) > 1 and table.index[-1] == TOTAL and table.columns[-1] == TOTAL


def _numeric(table: pd.DataFrame) -> np.ndarray:
    return table.apply(pd.to_numeric, errors="coerce").to_numpy(dtype=float)


def _judge(values, hidden, cell, k) -> tuple[str | None, float]:
    """Return (exposure reason, width) of one hidden cell of the grid."""
    a, b, unknowns = _grid_system(np.where(hidden, np.nan, values))
    low, high = _cell_interval(a, b, unknowns.index(cell))
    return exposure(low, high, k), high - low


def _protect(values: np.ndarray, hidden: np.ndarray, k: int) -> None:
    """Widen every hidden cell that fails, newest hidden cells included (in place)."""
    queue = [tuple(int(i) for i in c) for c in np.argwhere(hidden)]
    while queue:
        cell = queue.pop(0)
        if _rectangles(values, hidden, cell, k, hidden_only=True):
            continue  # a cycle of hidden cells already proves it safe: skip the LP
        while _judge(values, hidden, cell, k)[0]:
            new = _widen(values, hidden, cell, k)
            if not new:
                break  # nothing left to hide around it; the referee will say so
            queue += new


def _failing(values, hidden, k) -> list[tuple[int, int]]:
    grid = np.where(hidden, np.nan, values)
    a, b, unknowns = _grid_system(grid)
    return [cell for i, cell in enumerate(unknowns)
            if exposure(*_cell_interval(a, b, i), k)]


def _widen(values: np.ndarray, hidden: np.ndarray, cell: tuple[int, int],
           k: int) -> list[tuple[int, int]]:
    """Hide the cheapest rectangle through ``cell`` that makes it pass; return new cells.

    A rectangle of hidden cells is a cycle along which counts can move without changing
    any total, so it alone guarantees a range around each corner's true value; a
    rectangle whose guaranteed ranges pass for the cell (and its new corners) needs no
    LP. Otherwise the cheapest few are tried by LP with everything else hidden.
    """
    found = _rectangles(values, hidden, cell, k)
    sure = [r for r in found if r[1]]
    if sure:
        best = sure[0][2]
    else:
        best, best_width = None, -1.0
        for _, _, corners in found[:_TRIES]:
            trial = hidden.copy()
            trial[tuple(np.array(corners).T)] = True
            reason, width = _judge(values, trial, cell, k)
            if reason is None:
                best = corners
                break
            if width > best_width:
                best, best_width = corners, width
    if best is None:  # every rectangle through it is hidden: hide its row and column
        best = [(cell[0], c) for c in range(values.shape[1])]
        best += [(r, cell[1]) for r in range(values.shape[0])]
    new = [c for c in best if not hidden[c]]
    for c in new:
        hidden[c] = True
    return new


def _rectangles(values: np.ndarray, hidden: np.ndarray, cell: tuple[int, int],
                k: int, hidden_only: bool = False) -> list[tuple[float, bool, list]]:
    """Rectangles through ``cell`` that hide something new: (cost, sure, corners), best first.

    ``sure``: the rectangle's own cycle keeps the cell, and each newly hidden corner under
    ``k``, safe. Along the cycle a corner moves by +d or -d (its sign follows from the row
    and column equations: a total moves with its cells, a cell against its neighbour).
    With ``hidden_only``, return only the sure rectangles already wholly hidden.
    """
    r0, c0 = cell
    nr, nc = values.shape
    t_row = np.where(np.arange(nr) == nr - 1, -1.0, 1.0)  # -1: the total row's equations
    t_col = np.where(np.arange(nc) == nc - 1, -1.0, 1.0)
    # Hiding a total costs more than a cell: a reader loses a whole line's size.
    weight = np.ones_like(values)
    weight[-1, :] = weight[:, -1] = 3.0
    weight[-1, -1] = 10.0
    cost = np.where(hidden, 0.0, (values + 1.0) * weight)
    found = []
    for r in range(nr):
        for c in range(nc):
            if r == r0 or c == c0:
                continue
            corners = [(r0, c), (r, c0), (r, c)]
            extra = float(sum(cost[x] for x in corners))
            if (extra == 0) != hidden_only:
                continue
            sign = [-t_col[c0] * t_col[c], -t_row[r0] * t_row[r],
                    t_col[c0] * t_col[c] * t_row[r0] * t_row[r]]
            sure = _cycle_safe(values, hidden, [cell, *corners], [1.0, *sign], k)
            if hidden_only and sure:
                return [(0.0, True, corners)]
            if not hidden_only:
                found.append((extra, sure, corners))
    found.sort(key=lambda t: (not t[1], t[0]))
    return found


def _cycle_safe(values, hidden, corners, signs, k) -> bool:
    """Whether one cycle alone widens the cell and every newly hidden small corner enough."""
    v = np.array([values[c] for c in corners])
    s = np.array(signs)
    up = v[s < 0].min(initial=np.inf)  # how far the cycle can run each way
    down = v[s > 0].min(initial=np.inf)
    for i, c in enumerate(corners):
        if i and (hidden[c] or v[i] >= k):
            continue  # already judged, or not small: the referee checks it later
        low, high = (v[i] - down, v[i] + up) if s[i] > 0 else (v[i] - up, v[i] + down)
        if not (high >= k and (low == 0 or high - low >= k)):
            return False
    return True


# --- What an export may show ------------------------------------------------------------------

def check_export(data: pd.DataFrame | None, kind: str, count: str | None = "value_low",
                 allow_small_cells: bool = False) -> dict[str, Any]:
    """Check what a figure or table shows before anything is written; return the record.

    Args:
        data: The table shown: a long table with one shown count per row in ``count``
            (hidden ones NaN), or (``count=None``) a two-way table, with totals when its
            last row and column are ``Total`` (see :func:`suppress`). ``None`` only for
            ``covariate`` figures, which count no people.
        kind: ``case``, ``aggregate`` or ``covariate``, or a registered source id.
        count: Column of the shown counts; ``None`` for a two-way table.
        allow_small_cells: Explicit override; it is recorded.

    Returns:
        The disclosure record for the sidecar (``checked`` is always true).

    Raises:
        InputError: Unknown kind, no data to check, or no such count column.
        DisclosureError: A small group is shown or can be derived.
    """
    k = threshold(kind)
    record: dict[str, Any] = {"kind": kind, "threshold": k, "override": bool(allow_small_cells),
                              "checked": True}
    if kind in registry.SOURCES:  # a source id: record its kind, and the source beside it
        record.update(kind=registry.get(kind).kind, source=kind)
    if data is None:
        if k > 0:
            raise InputError("export", f"no data given to check ({kind} data, k = {k})",
                             "pass data= the table the figure shows (and count= its column)")
        return record | {"cells": 0, "small_cells": 0}
    if count is None:
        return _check_wide(data, k, record)
    if count not in getattr(data, "columns", []):
        raise InputError("export", f"no count column {count!r} in the data to check",
                         f"pass count= one of {list(getattr(data, 'columns', []))}",
                         column=count)
    values = pd.to_numeric(data[count], errors="coerce")
    small = data[(values > 0) & (values < k)]
    record.update({"cells": int(values.notna().sum()), "small_cells": int(len(small))})
    if len(small) and not allow_small_cells:
        raise DisclosureError(
            f"{len(small)} shown cell(s) below {k} ({kind} data); suppress them first "
            f"(analysis.disclosure) or pass allow_small_cells=True to override on record. "
            f"First: {small.head(3).to_dict('records')}")
    return record


def _check_wide(data: pd.DataFrame, k: int, record: dict) -> dict[str, Any]:
    """Check a two-way table: shown cells, and with totals every hidden cell's range."""
    problems = audit(data, k)
    numeric = data.apply(pd.to_numeric, errors="coerce")
    record.update({"cells": int(numeric.notna().sum().sum()),
                   "hidden_cells": int(numeric.isna().sum().sum()),
                   "small_cells": sum("below" in p and p.startswith("cell") for p in problems),
                   "exposed_cells": sum(p.startswith("hidden") for p in problems)})
    for key in ("primary", "secondary"):
        if key in data.attrs:
            record[f"suppressed_{key}"] = data.attrs[key]
    if problems and not record["override"]:
        raise DisclosureError(
            f"{len(problems)} disclosure problem(s) (k = {k}): {'; '.join(problems[:3])}. "
            f"Suppress with analysis.disclosure.suppress(table, k={k}) or pass "
            "allow_small_cells=True to override on record.")
    return record
