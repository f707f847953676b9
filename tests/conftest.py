"""Shared test helpers: paths to the full third-party files, skipped when ../shared is absent."""

import pytest

from analysis import paths

GLOTIP_FULL = paths.shared_file("glotip", "data_glotip_2003-2019.xlsx")


def require(path):
    """Skip the calling test with a message when a shared file is absent."""
    if not path.exists():
        pytest.skip(f"{path} not present (fresh clone without ../shared): skipped")
    return path


def run_report(only: str, out, figures: tuple[str, ...]):
    """Run one report notebook into ``out``, check its figure files; return the sidecars."""
    import io
    import json

    import nbformat

    from analysis import build

    log = io.StringIO()
    assert build.run(only=[only], out=out, timeout=600, log=log) == 0, log.getvalue()
    figs = out / "figures"
    sidecars = {}
    for name in figures:
        for ext in ("pdf", "svg", "png", "json"):
            assert (figs / f"{name}.{ext}").stat().st_size > 0, f"{name}.{ext}"
        sidecars[name] = json.loads((figs / f"{name}.json").read_text())
    executed = nbformat.read(next((out / "notebooks").glob(f"{only}*.ipynb")), as_version=4)
    assert not [o for c in executed.cells if c.cell_type == "code" for o in c.outputs
                if o.output_type == "error"]
    return sidecars, log.getvalue()
