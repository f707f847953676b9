"""Run every benchmark script in turn; each prints its Markdown row and writes results/*.json."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCRIPTS = ["bench_glotip.py", "bench_sensitivity.py", "bench_uncertainty.py", "bench_ingest.py",
           "bench_gravity.py", "bench_inference.py", "bench_build.py"]


def main() -> int:
    """Run the benchmarks; return the number that failed."""
    failed = 0
    for script in SCRIPTS:
        print(f"## {script}", flush=True)
        failed += subprocess.run([sys.executable, str(HERE / script)]).returncode != 0
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
