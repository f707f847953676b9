"""Benchmark: the joint Monte Carlo (10,000 draws of weights and coding errors, every entity).

Run: .venv/bin/python benchmarks/bench_uncertainty.py  (writes benchmarks/results/uncertainty.json
and prints a Markdown line for the README). Goal: 10,000 joint draws in at most 2 s on the
project's 2-core machine.
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
GOAL_S = 2.0


def main() -> None:
    """Time the joint simulation and the full headline table; write the JSON result."""
    codebook = protection.load_codebook()
    coding = protection.load_coding(codebook=codebook)
    year = protection.latest_year()
    scores = protection.as_of(coding, year)
    conf = protection.as_of(coding, year, value="confidence")
    protection.simulate(scores, conf, codebook, "joint", N_DRAWS, SEED)  # warm-up
    times, full = [], []
    for _ in range(REPEATS):
        t0 = time.perf_counter()
        draws = protection.simulate(scores, conf, codebook, "joint", N_DRAWS, SEED)
        protection.rank_intervals(draws, scores)
        times.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        protection.headlines(scores, conf, codebook, year, N_DRAWS, SEED)
        full.append(time.perf_counter() - t0)
    median = statistics.median(times)
    result = {"machine": f"{platform.machine()}, Python {platform.python_version()}, "
                         f"{os.cpu_count()} cores",
              "entities": scores.shape[0], "provisions": scores.shape[1], "draws": N_DRAWS,
              "year": year, "repeats": REPEATS, "median_s": round(median, 4),
              "min_s": round(min(times), 4), "max_s": round(max(times), 4),
              "headlines_all_modes_median_s": round(statistics.median(full), 4),
              "goal_s": GOAL_S, "meets_goal": median <= GOAL_S}
    (HERE / "results").mkdir(exist_ok=True)
    (HERE / "results" / "uncertainty.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"| joint uncertainty ({N_DRAWS:,} draws x {scores.shape[0]} entities x "
          f"{scores.shape[1]} provisions, with rank intervals) | median {median:.3f} s of "
          f"{REPEATS} runs (min {min(times):.3f}, max {max(times):.3f}; all three modes "
          f"with headlines {statistics.median(full):.3f} s) | goal <= {GOAL_S:g} s: "
          f"{'met' if median <= GOAL_S else 'NOT met'} |")


if __name__ == "__main__":
    main()
