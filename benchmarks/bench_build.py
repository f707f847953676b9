"""Benchmark: `make figures` end to end (every report notebook, headless) on this machine.

Run: .venv/bin/python benchmarks/bench_build.py  (writes benchmarks/results/build.json).
The virtual environment is assumed to exist, as after the first `make figures`.
"""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        t0 = time.perf_counter()
        run = subprocess.run([sys.executable, "-m", "analysis", "build", "--out", out],
                             cwd=ROOT, capture_output=True, text=True)
        total = time.perf_counter() - t0
        figures = sorted(p.name for p in Path(out, "figures").glob("*.png"))
    if run.returncode:
        sys.exit(f"build failed:\n{run.stderr[-2000:]}")
    # Notebooks run two at a time and finish out of order: read each one's own end line.
    steps = dict(re.findall(r"\] (\S+\.ipynb) done in (\d+) s", run.stderr))
    result = {"machine": f"{platform.machine()}, {platform.python_version()}, 2 cores",
              "total_s": round(total, 1), "per_notebook_s": {k: int(v) for k, v in steps.items()},
              "figures": len(figures)}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "build.json").write_text(json.dumps(result, indent=2) + "\n")
    per = ", ".join(f"{k} {v} s" for k, v in result["per_notebook_s"].items())
    print(f"| make figures end to end | {result['total_s']} s ({per}) | {len(figures)} figures |")


if __name__ == "__main__":
    main()
