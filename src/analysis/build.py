"""Execute the report notebooks headless, in parallel, with their parameters; collect figures."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from analysis import paths, provenance
from analysis.errors import InputError
from analysis.settings import FLOWS_FILE, Settings

#: Notebooks run at once. The project's machine has 2 cores and each notebook is its own
#: kernel process; more workers would only make them compete.
JOBS = 2


def notebooks(only: list[str] | None = None, folder: Path | None = None) -> list[Path]:
    """Return the report notebooks (``NN-*.ipynb``), filtered by name.

    Args:
        only: Substrings of notebook names to keep (all when None).
        folder: Where to look (default ``notebooks/``).
    """
    found = sorted(Path(folder or paths.NOTEBOOKS).glob("[0-9][0-9]-*.ipynb"))
    if only:
        found = [nb for nb in found if any(o in nb.stem for o in only)]
    return found


def run(only: list[str] | None = None, data_dir: Path | None = None, out: Path | None = None,
        timeout: int = 900, log=None, source: str | None = None, jobs: int = JOBS,
        folder: Path | None = None, preset: str = "screen", lang: str = "en") -> int:
    """Execute the report notebooks, printing progress; name every failure.

    The notebooks are independent (each reads only the data folder), so up to ``jobs`` run
    at once, each in its own worker process with its own kernel.

    Args:
        only: Substrings of notebook names to run (all when None).
        data_dir: Data folder passed to every notebook as ``DATA_DIR`` (None: the
            committed ``data/processed``).
        out: Output folder: executed notebooks in ``out/notebooks``, figures in
            ``out/figures``.
        timeout: Seconds allowed per cell.
        log: Stream for progress (default stderr).
        source: Source to show (``SOURCE``); None: the notebooks' rule, announced here.
        jobs: Notebooks run at once (1: one after another).
        folder: Where the notebooks are (default ``notebooks/``).
        preset: Figure size (``PRESET``): ``screen``, ``single`` (89 mm) or ``double``
            (183 mm), see :mod:`analysis.figures.presets`.
        lang: Language of the figures (``LANG``): ``en`` or ``ja``.

    Returns:
        0 when every notebook ran, 1 when one failed (the message names cell and error).

    Raises:
        InputError: The data folder holds no flows table, or the source is unknown or
            absent from it (before any notebook starts).
    """
    log = log or sys.stderr
    check_style(preset, lang)
    out = Path(out or paths.REPORTS).resolve()
    settings = Settings.from_params(data_dir, out / "figures", source)
    todo = notebooks(only, folder)
    if not todo:
        print(f"no notebook matches {only}", file=log)
        return 1
    shown = announce_source(settings, log if _takes_source(todo) else None)
    executed = out / "notebooks"
    settings.figures_dir.mkdir(parents=True, exist_ok=True)
    executed.mkdir(parents=True, exist_ok=True)
    params = {"DATA_DIR": str(settings.data_dir) if data_dir else None,
              "FIGURES_DIR": str(settings.figures_dir), "SOURCE": shown, "PRESET": preset,
              "LANG": lang, "EXPLORE": False}
    tasks = [(nb, executed, params, timeout) for nb in todo]
    start = time.time()
    workers = max(1, min(jobs, len(todo)))
    if workers > 1:
        print(f"running {len(todo)} notebooks in parallel, {workers} at a time (each in its "
              "own worker process and kernel)", file=log, flush=True)
    failed = _run_workers(tasks, workers, log)
    _report_figures(settings.figures_dir, start, log)
    return 1 if failed else 0


def choose_source(settings: Settings) -> tuple[str, list[str]]:
    """Return the source the notebooks show and the other sources in the data folder.

    The rule is :func:`analysis.flows.pick_source`, the one the notebooks apply: the source
    asked for, else GLOTIP, else the source with most rows. The checks here come first so
    that a bad ``--source`` gets the registry's message and exits 2.

    Raises:
        InputError: The source asked for is not registered or not in the data folder.
    """
    import pandas as pd

    from analysis.sources import registry

    flows_file = settings.data_dir / FLOWS_FILE
    provenance.verify(flows_file)  # a hand-edited table stops here (exit 2), not in a kernel
    table = pd.read_csv(flows_file, usecols=["source"], dtype=str, keep_default_na=False)
    counts = table.source.value_counts()
    present = sorted(counts.index)
    if settings.source:
        registry.get(settings.source)  # an unknown id: the registry's message lists the known
        if settings.source not in present:
            raise InputError(str(flows_file), f"source {settings.source!r} is not in this data "
                             f"folder (present: {', '.join(present) or 'none'})",
                             f"choose one of {', '.join(present)} with --source, or ingest "
                             f"{settings.source!r} into the folder first")
    if not present:
        raise InputError(str(flows_file), "the flows table is empty",
                         "ingest a source into this data folder first")
    from analysis.flows import pick_source

    shown = pick_source(table, settings.source)
    return shown, [s for s in present if s != shown]


def _takes_source(todo: list[Path]) -> bool:
    """Tell whether any of the notebooks declares a ``SOURCE`` parameter (shows flows)."""
    import papermill as pm

    return any("SOURCE" in pm.inspect_notebook(str(nb)) for nb in todo)


def announce_source(settings: Settings, log) -> str:
    """Print which source the figures show (and which others the folder holds); return it.

    The choice is checked even when ``log`` is None (no notebook to run shows flows), so
    a wrong ``--source`` is refused either way.
    """
    shown, others = choose_source(settings)
    if log is None:
        return shown
    if not others:
        why = "the only source in this data folder"
    elif settings.source:
        why = f"as asked; also in this data folder: {', '.join(others)}"
    else:
        why = (f"also in this data folder: {', '.join(others)}; sources are never mixed in "
               "one figure; choose another with --source NAME")
    print(f"source shown: {shown} ({why})", file=log, flush=True)
    return shown


def _run_workers(tasks: list[tuple], jobs: int, log) -> bool:
    """Run each notebook in its own worker process, ``jobs`` at a time.

    After a failure no further notebook starts; those running finish and are reported.

    Returns:
        Whether a notebook failed.
    """
    queue = list(enumerate(tasks, 1))
    running: dict[int, tuple] = {}
    failed = False
    while queue or running:
        while queue and len(running) < jobs and not failed:
            i, task = queue.pop(0)
            print(f"[{i}/{len(tasks)}] {task[0].name} ...", file=log, flush=True)
            running[i] = (task, _start_worker(*task), time.perf_counter())
        if failed and queue:
            skipped = ", ".join(t[0].name for _, t in queue)
            print(f"not started after the failure: {skipped}", file=log, flush=True)
            queue.clear()
        for i in [i for i, (_, proc, _) in running.items() if proc.poll() is not None]:
            task, proc, start = running.pop(i)
            outcome = _outcome(task, proc.returncode, time.perf_counter() - start)
            _print_outcome(i, len(tasks), task[0], outcome, log)
            failed = failed or not outcome["ok"]
        time.sleep(0.1)
    return failed


def _start_worker(nb: Path, executed: Path, params: dict, timeout: int) -> subprocess.Popen:
    """Start ``python -m analysis.build`` on one notebook; its output goes to the kernel log.

    A plain process, not multiprocessing: nothing of the caller's main module is imported
    again (a script without a ``__main__`` guard would otherwise run twice), and the
    kernel inherits the log file as its stderr, so its chatter never buries the progress.
    """
    job = {"notebook": str(nb), "executed": str(executed), "params": params,
           "timeout": timeout}
    (executed / f"{nb.stem}.outcome.json").unlink(missing_ok=True)  # an interrupted run's
    with open(executed / f"{nb.stem}.kernel.log", "wb") as kernel_log:
        return subprocess.Popen([sys.executable, "-m", "analysis.build", json.dumps(job)],
                                stdin=subprocess.DEVNULL, stdout=kernel_log,
                                stderr=subprocess.STDOUT, cwd=nb.parent)


def _outcome(task: tuple, returncode: int, seconds: float) -> dict:
    """Read what a worker wrote; a worker that died without a word is a failure too."""
    nb, executed = task[0], task[1]
    written = executed / f"{nb.stem}.outcome.json"
    if written.exists():
        outcome = json.loads(written.read_text())
        written.unlink()
        return outcome
    return {"ok": False, "seconds": seconds, "cell": None, "first_line": "",
            "ename": "WorkerDied", "evalue": f"the worker process exited with code "
            f"{returncode}; see {executed / (nb.stem + '.kernel.log')}",
            "executed": str(executed / nb.name)}


def check_style(preset: str, lang: str) -> None:
    """Refuse an unknown preset or language before any notebook starts.

    Raises:
        InputError: The preset or language is not one the figures know.
    """
    from analysis.figures.presets import PRESETS

    if preset not in PRESETS:
        raise InputError("--preset", f"unknown preset {preset!r}",
                         f"use one of {', '.join(PRESETS)}")
    from analysis.i18n import LANGS

    if lang not in LANGS:
        raise InputError("--lang", f"unknown language {lang!r}", f"use one of {', '.join(LANGS)}")


def execute(nb: Path, executed: Path, params: dict, timeout: int) -> dict:
    """Execute one notebook with papermill (what a worker process does).

    Only the parameters the notebook declares are passed (notebook 02 shows no flows and
    has no ``SOURCE``). Errors are returned as plain data for the parent to print.

    Returns:
        ``ok``, ``seconds`` and, on failure, ``cell``, ``first_line``, ``ename``, ``evalue``.
    """
    import papermill as pm

    start = time.perf_counter()
    declared = pm.inspect_notebook(str(nb))
    # A notebook gets only the optional parameters it declares (02 shows no flows).
    optional = ("SOURCE", "PRESET", "LANG", "EXPLORE")
    passed = {k: v for k, v in params.items() if k in declared or k not in optional}
    try:
        pm.execute_notebook(str(nb), str(executed / nb.name), parameters=passed,
                            cwd=str(nb.parent), kernel_name="python3",
                            execution_timeout=timeout, progress_bar=False,
                            request_save_on_cell_execute=False)
    except pm.PapermillExecutionError as exc:
        first = next((ln for ln in str(exc.source).splitlines() if ln.strip()), "")[:80]
        return {"ok": False, "seconds": time.perf_counter() - start, "cell": exc.exec_count,
                "first_line": first, "ename": exc.ename, "evalue": exc.evalue,
                "executed": str(executed / nb.name)}
    except Exception as exc:  # a kernel that dies or a cell that times out
        return {"ok": False, "seconds": time.perf_counter() - start, "cell": None,
                "first_line": "", "ename": type(exc).__name__, "evalue": str(exc)[:300],
                "executed": str(executed / nb.name)}
    return {"ok": True, "seconds": time.perf_counter() - start}


def _print_outcome(i: int, n: int, nb: Path, outcome: dict, log) -> None:
    """Print a notebook's done line, or its failure with cell and error."""
    if outcome["ok"]:
        print(f"[{i}/{n}] {nb.name} done in {outcome['seconds']:.0f} s", file=log, flush=True)
        return
    where = (f"cell {outcome['cell']} ({outcome['first_line']!r})" if outcome["cell"]
             else "before any cell failed")
    print(f"FAILED {nb.name}: {where}: {outcome['ename']}: {outcome['evalue']}\n"
          f"  executed copy with the traceback: {outcome['executed']}", file=log, flush=True)


def _report_figures(figures: Path, since: float, log) -> None:
    """List the figures this run wrote (notebooks run together, so not per notebook)."""
    new = sorted(p.name for p in figures.glob("*.png") if p.stat().st_mtime >= since - 1)
    print(f"figures in {figures}: {', '.join(new) if new else '(none written)'}", file=log)


def _worker(job: str) -> int:
    """Run one notebook from a JSON job; write the outcome beside the executed copy."""
    spec = json.loads(job)
    nb, executed = Path(spec["notebook"]), Path(spec["executed"])
    outcome = execute(nb, executed, spec["params"], spec["timeout"])
    tmp = executed / f".{nb.stem}.outcome.json"
    tmp.write_text(json.dumps(outcome, default=str))
    os.replace(tmp, executed / f"{nb.stem}.outcome.json")  # the parent never reads half
    return 0


if __name__ == "__main__":
    sys.exit(_worker(sys.argv[1]))
