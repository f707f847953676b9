import subprocess
import sys

from analysis import paths


def test_ruff_is_clean():
    out = subprocess.run([sys.executable, "-m", "ruff", "check", "src", "tests", "benchmarks"],
                         cwd=paths.ROOT, capture_output=True, text=True)
    assert out.returncode == 0, out.stdout[-3000:]
