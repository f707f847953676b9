"""Benchmark: ingest a synthetic 1,000,000-row CTDC-shaped case file, against a raw pyarrow read.

Run: ``python benchmarks/bench_ingest.py [--rows N] [--repeat R]``. Each measurement runs in
its own subprocess, so its peak memory (``ru_maxrss``) is its own; the file is generated
(seeded) into a temporary folder and removed afterwards. Results go to
``benchmarks/results/ingest.json`` and are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "ingest.json"
GOAL_SECONDS, GOAL_PEAK_MB = 5.0, 1500.0
SEED = 20200414
#: Citizenship codes as the 2020 release has them (most common first), plus the odd ones.
CODES = ["PH", "UA", "MD", "US", "ID", "KH", "BY", "MM", "GH", "RO", "KG", "UZ", "BG", "HT",
         "VN", "LK", "NG", "LA", "AF", "SN", "MG", "KE", "TH", "MX", "CN", "NP", "UK", "XK",
         "NA", "0", "-99"]
DESTS = ["US", "UA", "MD", "RU", "PH", "ID", "KH", "MY", "GH", "TH", "AE", "BY", "SA", "PL",
         "JP", "KW", "RO", "KZ", "BG", "QA", "HT", "BA", "TR", "JO", "0", "-99"]
AGES = ["-99", "9--17", "30--38", "18--20", "21--23", "24--26", "39--47", "27--29", "48+",
        "0--8"]


def generate(path: Path, rows: int, seed: int = SEED) -> Path:
    """Write a CTDC-shaped CSV (the 7-column subset layout) with ``rows`` rows."""
    rng = np.random.default_rng(seed)

    def pick(values, p=None):
        return pa.array(np.asarray(values, dtype=object)[rng.choice(len(values), rows, p=p)])

    def zipf(n):  # a few codes dominate, as in the release
        w = 1 / np.arange(1, n + 1)
        return w / w.sum()

    table = pa.table({
        "yearOfRegistration": pa.array(rng.integers(2002, 2019, rows)),
        "gender": pick(["Female", "Male"], [0.73, 0.27]),
        "ageBroad": pick(AGES, zipf(len(AGES))),
        "citizenship": pick(CODES, zipf(len(CODES))),
        "isForcedLabour": pick(["0.0", "1.0", "-99"]),
        "isSexualExploit": pick(["0.0", "1.0", "-99"]),
        "CountryOfExploitation": pick(DESTS, zipf(len(DESTS))),
    })
    pacsv.write_csv(table, path, write_options=pacsv.WriteOptions(quoting_style="none"))
    return path


def _child(mode: str, path: str, out_dir: str) -> dict:
    """Run one measurement inside this (fresh) process; return seconds and peak memory."""
    import resource

    if mode == "raw":
        start = time.perf_counter()
        table = pacsv.read_csv(path)
        seconds = time.perf_counter() - start
        rows = table.num_rows
    else:
        from analysis import ingest

        start = time.perf_counter()
        result = ingest.ingest("ctdc", path, out_dir)
        seconds = time.perf_counter() - start
        rows = int(result.conservation.rows_read.sum())
        assert rows == int(result.conservation.rows_used.sum()
                           + result.conservation.rows_quarantined.sum())
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux
    return {"seconds": seconds, "peak_mb": peak_mb, "rows": rows}


def measure(mode: str, path: Path, tmp: Path, repeat: int) -> dict:
    """Run ``mode`` ``repeat`` times, each in a new interpreter; keep the median and the max."""
    runs = []
    for i in range(repeat):
        out = tmp / f"data-{mode}-{i}"
        proc = subprocess.run([sys.executable, __file__, "--child", mode, str(path), str(out)],
                              capture_output=True, text=True, check=True)
        runs.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    return {"seconds_median": statistics.median(r["seconds"] for r in runs),
            "seconds_runs": [round(r["seconds"], 3) for r in runs],
            "peak_mb_max": max(r["peak_mb"] for r in runs), "rows": runs[0]["rows"]}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--child", nargs=3, metavar=("MODE", "PATH", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(*args.child)))
        return
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        tmp = Path(tmp)
        path = generate(tmp / "ctdc_synthetic.csv", args.rows)
        raw = measure("raw", path, tmp, args.repeat)
        ing = measure("ingest", path, tmp, args.repeat)
        size_mb = path.stat().st_size / 1e6
    result = {
        "benchmark": "ingest ctdc (read, validate, harmonise, aggregate, write) vs "
                     "pyarrow.csv.read_csv of the same file",
        "rows": args.rows, "file_mb": round(size_mb, 1), "seed": SEED, "repeat": args.repeat,
        "machine": {"python": platform.python_version(), "cpus": _cpus(),
                    "platform": platform.platform()},
        "pyarrow_raw_read": raw, "ingest_ctdc": ing,
        "ratio_seconds": ing["seconds_median"] / raw["seconds_median"],
        "ratio_peak_mb": ing["peak_mb_max"] / raw["peak_mb_max"],
        "goal": {"seconds": GOAL_SECONDS, "peak_mb": GOAL_PEAK_MB},
        "meets_goal": ing["seconds_median"] <= GOAL_SECONDS
        and ing["peak_mb_max"] <= GOAL_PEAK_MB,
        "measured": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(_markdown(result))


def _cpus() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()


def _markdown(r: dict) -> str:
    raw, ing = r["pyarrow_raw_read"], r["ingest_ctdc"]
    return "\n".join([
        f"Ingest benchmark: {r['rows']:,} CTDC-shaped rows ({r['file_mb']} MB), "
        f"{r['machine']['cpus']} CPUs, median of {r['repeat']} runs",
        "",
        "| step | seconds | peak memory (MB) |",
        "|---|---:|---:|",
        f"| pyarrow.csv.read_csv (raw) | {raw['seconds_median']:.2f} | {raw['peak_mb_max']:.0f} |",
        f"| ingest ctdc (to flows + reports) | {ing['seconds_median']:.2f} | "
        f"{ing['peak_mb_max']:.0f} |",
        f"| ratio ingest / raw | {r['ratio_seconds']:.1f}x | {r['ratio_peak_mb']:.1f}x |",
        f"| goal | <= {r['goal']['seconds']:.0f} | <= {r['goal']['peak_mb']:.0f} |",
        "",
        f"Goal met: {'yes' if r['meets_goal'] else 'NO'}.",
    ])


if __name__ == "__main__":
    main()
