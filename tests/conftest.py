"""Shared test helpers: paths to the full third-party files, skipped when ../shared is absent."""

import pytest

from analysis import paths

GLOTIP_FULL = paths.shared_file("glotip", "data_glotip_2003-2019.xlsx")


def require(path):
    """Skip the calling test with a message when a shared file is absent."""
    if not path.exists():
        pytest.skip(f"{path} not present (fresh clone without ../shared): skipped")
    return path
