"""Execute the report notebooks headless with their parameters and collect their figures."""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from analysis import paths


def notebooks(only: list[str] | None = None) -> list[Path]:
    """Return the report notebooks (``notebooks/NN-*.ipynb``), filtered by name."""
    found = sorted(paths.NOTEBOOKS.glob("[0-9][0-9]-*.ipynb"))
    if only:
        found = [nb for nb in found if any(o in nb.stem for o in only)]
    return found


def run(only: list[str] | None = None, data_dir: Path | None = None, out: Path | None = None,
        timeout: int = 900, log=None) -> int:
    """Execute notebooks one by one, printing progress; stop at the first failure.

    Args:
        only: Substrings of notebook names to run (all when None).
        data_dir: Data folder passed to every notebook as ``DATA_DIR``.
        out: Output folder: executed notebooks in ``out/notebooks``, figures in
            ``out/figures``.
        timeout: Seconds allowed per cell.
        log: Stream for progress (default stderr).

    Returns:
        0 when every notebook ran, 1 when one failed (the message names cell and error).
    """
    log = log or sys.stderr
    out = Path(out or paths.REPORTS).resolve()
    figures, executed = out / "figures", out / "notebooks"
    figures.mkdir(parents=True, exist_ok=True)
    executed.mkdir(parents=True, exist_ok=True)
    params = {"DATA_DIR": str(Path(data_dir).resolve()) if data_dir else None,
              "FIGURES_DIR": str(figures)}
    with _environment(ANALYSIS_FIGURES_DIR=str(figures), ANALYSIS_DATA_DIR=params["DATA_DIR"]):
        return _run_all(notebooks(only), only, params, figures, executed, timeout, log)


def _run_all(todo, only, params, figures, executed, timeout, log) -> int:
    import papermill as pm

    if not todo:
        print(f"no notebook matches {only}", file=log)
        return 1
    for i, nb in enumerate(todo, 1):
        print(f"[{i}/{len(todo)}] {nb.name} ...", file=log, flush=True)
        start = time.perf_counter()
        before = set(figures.glob("*"))
        try:
            with _kernel_log(executed / f"{nb.stem}.kernel.log"):
                pm.execute_notebook(str(nb), str(executed / nb.name), parameters=params,
                                    cwd=str(paths.NOTEBOOKS), kernel_name="python3",
                                    execution_timeout=timeout, progress_bar=False,
                                    request_save_on_cell_execute=False)
        except pm.PapermillExecutionError as exc:
            first = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")[:80]
            print(f"FAILED {nb.name}: cell {exc.exec_count} ({first!r}): {exc.ename}: "
                  f"{exc.evalue}\n"
                  f"  executed copy with the traceback: {executed / nb.name}", file=log)
            return 1
        new = sorted(p.name for p in set(figures.glob("*")) - before if p.suffix == ".png")
        print(f"      done in {time.perf_counter() - start:.0f} s; figures: "
              f"{', '.join(new) if new else '(updated existing)'}", file=log, flush=True)
    print(f"figures in {figures}", file=log)
    return 0


@contextmanager
def _kernel_log(path: Path):
    """Send what the kernel process writes to stderr into ``path`` instead of the terminal.

    The kernel inherits file descriptor 2; its start-up and shut-down chatter would bury
    the progress lines. What it writes stays available in the log file.
    """
    sys.stderr.flush()
    saved = os.dup(2)
    with open(path, "wb") as fh:
        os.dup2(fh.fileno(), 2)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, 2)
            os.close(saved)


@contextmanager
def _environment(**values: str | None):
    """Set environment variables for the kernels (None: leave as is); restore them after."""
    saved = {k: os.environ.get(k) for k in values}
    try:
        for key, value in values.items():
            if value is not None:
                os.environ[key] = value
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
