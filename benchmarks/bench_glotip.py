"""Benchmark: read + harmonise the full GLOTIP export vs a raw pandas read; `import analysis` time.

Run: .venv/bin/python benchmarks/bench_glotip.py  (needs ../shared/data/glotip; writes
benchmarks/results/glotip.json and prints a Markdown table for the README).
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from analysis import paths  # noqa: E402

REPEATS = 5


def _time(fn, repeats=REPEATS):
    out = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t0)
    return out


def bench_read(path: Path) -> dict:
    import pandas as pd

    from analysis.sources import glotip

    glotip.read(path)  # warm: imports, mapping file cache
    raw, ours = [], []
    for _ in range(REPEATS):  # interleaved so machine noise hits both alike
        raw += _time(lambda: pd.read_excel(path, engine="calamine", header=2), 1)
        ours += _time(lambda: glotip.read(path), 1)
    ratio = [o / r for o, r in zip(ours, raw, strict=True)]
    return {"raw_read_excel_calamine_s": statistics.median(raw),
            "read_and_harmonise_s": statistics.median(ours),
            "ratio_median": statistics.median(ratio), "goal_ratio": 1.5,
            "repeats": REPEATS}


def bench_import() -> dict:
    cmd = [sys.executable, "-X", "importtime", "-c", "import analysis"]
    wall = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import analysis"], check=True)
        wall.append(time.perf_counter() - t0)
    base = _time(lambda: subprocess.run([sys.executable, "-c", "pass"], check=True))
    err = subprocess.run(cmd, capture_output=True, text=True).stderr
    heavy = [m for m in ("pandas", "numpy", "matplotlib", "geopandas") if f" {m}\n" in err]
    return {"import_analysis_wall_s": statistics.median(wall),
            "bare_python_wall_s": statistics.median(base), "goal_s": 0.3,
            "heavy_modules_imported": heavy}


def main() -> None:
    path = paths.shared_file("glotip", "data_glotip_2003-2019.xlsx")
    results = {"machine": f"{platform.machine()}, {platform.python_version()}"}
    if path.exists():
        results["glotip"] = bench_read(path)
    results["import"] = bench_import()
    out = HERE / "results" / "glotip.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(results, indent=2) + "\n")
    g, i = results.get("glotip"), results["import"]
    if g:
        print(f"| GLOTIP 2003-2019 read + harmonise | {g['read_and_harmonise_s']:.2f} s | "
              f"raw read_excel(calamine) {g['raw_read_excel_calamine_s']:.2f} s | "
              f"ratio {g['ratio_median']:.2f}x (goal <= 1.5x) |")
    print(f"| python -c 'import analysis' | {i['import_analysis_wall_s']:.3f} s | bare python "
          f"{i['bare_python_wall_s']:.3f} s | goal < 0.3 s; heavy modules: "
          f"{i['heavy_modules_imported'] or 'none'} |")


if __name__ == "__main__":
    main()
