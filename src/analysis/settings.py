"""Run settings passed explicitly to the library: data folder, figures folder, source shown."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from analysis import paths
from analysis.errors import InputError

FLOWS_FILE = "flows.csv"


def resolve(path: str | os.PathLike | None, default: Path) -> Path:
    """Return ``path`` as an absolute path; a relative one is taken from the project root.

    Notebooks run with ``notebooks/`` as their working directory, the command line from
    wherever the user stands; resolving against the project root makes ``"mydata"`` mean
    the same folder in both (the README's examples are written from the root).
    """
    if path is None or str(path) == "":
        return default
    path = Path(path).expanduser()
    return path if path.is_absolute() else (paths.ROOT / path).resolve()


@dataclass(frozen=True)
class Settings:
    """Where a run reads and writes, and which source it shows.

    Attributes:
        data_dir: Folder of processed tables (``data/processed`` by default).
        figures_dir: Folder figures and tables are exported to.
        source: Source id shown when a folder holds several (``None``: the default rule).
        params: Any further notebook parameters, recorded in sidecars.
    """

    data_dir: Path = paths.PROCESSED
    figures_dir: Path = paths.FIGURES
    source: str | None = None
    params: dict = field(default_factory=dict)

    @classmethod
    def from_params(cls, data_dir: str | os.PathLike | None = None,
                    figures_dir: str | os.PathLike | None = None, source: str | None = None,
                    require_flows: bool = True, **params) -> Settings:
        """Build settings from notebook or command-line parameters.

        Args:
            data_dir: Data folder; relative paths are taken from the project root.
            figures_dir: Output folder; relative paths are taken from the project root.
            source: Source id to show (``None`` or ``""``: the default rule).
            require_flows: Refuse a data folder without ``flows.csv``.
            **params: Other parameters, kept for the sidecars.

        Raises:
            InputError: The data folder does not exist or holds no flows table.
        """
        data = resolve(data_dir, paths.PROCESSED)
        if require_flows:
            check_data_dir(data)
        return cls(data_dir=data, figures_dir=resolve(figures_dir, paths.FIGURES),
                   source=source or None, params=dict(params))

    def data_file(self, name: str) -> Path:
        """Return a processed table from this data folder, else the committed copy.

        A folder made by ``ingest`` holds the flows of the sources ingested into it; tables
        it does not hold (the 3P index, TIP tiers, covariates) come from ``data/processed``.
        """
        own = self.data_dir / name
        return own if own.exists() else paths.PROCESSED / name


def check_data_dir(data_dir: Path) -> None:
    """Refuse a data folder without a flows table, with the fix (command line and notebooks).

    Raises:
        InputError: The folder is missing or holds no ``flows.csv``.
    """
    if not data_dir.is_dir():
        raise InputError(str(data_dir), "this data folder does not exist",
                         "check the path (in a notebook, relative paths are taken from the "
                         f"project root, {paths.ROOT}), or ingest a source into it first")
    if not (data_dir / FLOWS_FILE).exists():
        raise InputError(str(data_dir), "no flows.csv in this data folder",
                         "ingest a source into it first: python -m analysis ingest "
                         f"glotip|ctdc|template FILE --data-dir {data_dir}")
