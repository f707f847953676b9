"""Benchmark: the protection sensitivity analysis (10,000 Dirichlet weight draws, every country).

Run: .venv/bin/python benchmarks/bench_sensitivity.py  (writes benchmarks/results/sensitivity.json
and prints a Markdown line for the README). Goal: under 1 s on the project's 2-core machine.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "src"))

from analysis import protection  # noqa: E402

N_DRAWS = 10_000
SEED = 20241
REPEATS = 7
GOAL_S = 1.0


def main() -> None:
    codebook = protection.load_codebook()
    coding = protection.load_coding(codebook=codebook)
    year = protection.latest_year()
    scores = protection.as_of(coding, year).drop(index=protection.EU_FLOOR)
    protection.sensitivity(scores, n_draws=N_DRAWS, seed=SEED)  # warm-up (imports, caches)
    times = []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        protection.sensitivity(scores, n_draws=N_DRAWS, seed=SEED)
        times.append(time.perf_counter() - t0)
    median = statistics.median(times)
    result = {"machine": f"{platform.machine()}, Python {platform.python_version()}, "
                         f"{os.cpu_count()} cores",
              "countries": scores.shape[0], "provisions": scores.shape[1], "draws": N_DRAWS,
              "year": year, "repeats": REPEATS, "median_s": round(median, 4),
              "min_s": round(min(times), 4), "max_s": round(max(times), 4), "goal_s": GOAL_S,
              "meets_goal": median < GOAL_S}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "sensitivity.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| protection sensitivity ({N_DRAWS:,} draws x {scores.shape[0]} countries x "
          f"{scores.shape[1]} provisions) | median {median:.3f} s of {REPEATS} runs "
          f"(min {min(times):.3f}, max {max(times):.3f}) | goal < {GOAL_S:g} s: "
          f"{'met' if median < GOAL_S else 'NOT met'} |")


if __name__ == "__main__":
    main()
