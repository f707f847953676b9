"""The command line: build, ingest, derive, brief, gravity; bad input exits with code 2."""

from __future__ import annotations

import argparse
import importlib
import sys
from pathlib import Path

from analysis.errors import InputError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    build = sub.add_parser("build", help="execute the report notebooks and collect figures")
    build.add_argument("--only", action="append", metavar="NAME",
                       help="run only notebooks whose name contains NAME (repeatable)")
    build.add_argument("--data-dir", type=Path, help="data folder (default data/processed)")
    build.add_argument("--out", type=Path, help="output folder (default reports/)")
    build.add_argument("--source", metavar="NAME",
                       help="source to show when the data folder holds several (one of: "
                            f"{', '.join(_shown_sources())}; default: GLOTIP if present, "
                            "else the source with most rows; the build says which)")
    build.add_argument("--jobs", type=int, default=2,
                       help="notebooks run at once, each in its own kernel (default 2)")
    build.add_argument("--timeout", type=int, default=900, help="seconds per cell")
    build.add_argument("--preset", default="screen", choices=("screen", "single", "double"),
                       help="figure size: screen (default), single (89 mm column) or double "
                            "(183 mm); smallest text >= 6 pt at print size")
    build.add_argument("--lang", default="en", choices=("en", "ja"),
                       help="language of titles, labels, legends and country names")

    ingest = sub.add_parser("ingest", help="validate and load a data file into a data folder")
    ingest.add_argument("source", choices=_ingest_names())
    ingest.add_argument("path", type=Path)
    ingest.add_argument("--data-dir", type=Path, help="target folder (default data/processed)")

    derive = sub.add_parser("derive", help="re-derive a covariate table from its published file")
    derive.add_argument("table", choices=_derive_names())
    derive.add_argument("paths", nargs="*", type=Path,
                        help="published file(s) or folder (default: the copy in ../shared/data)")
    derive.add_argument("--out", type=Path, help="output folder (default data/processed)")

    from analysis import brief, gravity

    brief.cli_configure(sub.add_parser(
        "brief", help="write a brief for lawmakers: a country's gaps in victim-protection law "
                      "and the states whose law already provides them"))
    gravity.cli_configure(sub.add_parser(
        "gravity", help="fit the gravity model on some years and predict others "
                        "(coefficients.csv, predictions.csv)"))
    return parser


def _shown_sources() -> list[str]:
    """Return the registered sources of counts of people (what a notebook can show)."""
    from analysis.sources import registry

    return sorted(s.id for s in registry.SOURCES.values() if s.kind != "covariate")


def _ingest_names() -> list[str]:
    """Return the reader names ``ingest`` takes, from the source registry."""
    from analysis import ingest

    return ingest.reader_names()


def _derive_names() -> list[str]:
    """Return the reader modules in the registry that re-derive a table (``regenerate``)."""
    from analysis import ingest
    from analysis.sources import registry

    return sorted({ingest.module_name(s) for s in registry.SOURCES.values()
                   if ingest.derives(s)})


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 failed notebook, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            return _build(args)
        if args.command == "ingest":
            return _ingest(args)
        if args.command == "derive":
            return _derive(args)
        if args.command == "brief":
            from analysis import brief

            return brief.cli_run(args)
        if args.command == "gravity":
            from analysis import gravity

            return gravity.cli_run(args)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def _ingest(args) -> int:
    """Ingest one file and print a short summary (the full account is in the report)."""
    from analysis import ingest

    result = ingest.ingest(args.source, args.path, args.data_dir)
    tot = result.conservation.sum(numeric_only=True)
    target = args.data_dir or "data/processed"
    harm = result.harmonisation
    unmatched = int((harm["method"] == "unmatched").sum()) if len(harm) else 0
    print(f"{result.source}: {int(tot.rows_read):,} rows read, {int(tot.rows_used):,} used, "
          f"{int(tot.rows_quarantined):,} quarantined, {int(tot.rows_set_aside):,} set aside "
          f"(not flows)")
    for reason, n in result.quarantine.groupby("reason").size().nlargest(5).items():
        print(f"  quarantined: {n:,} x {reason}")
    print(f"flows: {len(result.flows):,} rows, {int(result.flows.censored.sum()):,} censored "
          f"(kept as intervals); duplicated keys: {len(result.duplicates):,}; unmatched "
          f"names: {unmatched:,}")
    print(f"written to {target}/ (report: {result.source}_report.md; the files replaced are "
          f"kept under versions/)")
    return 0


def _build(args) -> int:
    """Run the notebooks; relative folders are taken from where the command is run."""
    from analysis import build

    # An absolute path: the notebooks resolve relative ones against the project root,
    # while a shell user means the folder they stand in.
    data_dir = args.data_dir.expanduser().resolve() if args.data_dir else None
    out = args.out.expanduser().resolve() if args.out else None
    return build.run(only=args.only, data_dir=data_dir, out=out, timeout=args.timeout,
                     source=args.source, jobs=args.jobs, preset=args.preset, lang=args.lang)


def _derive(args) -> int:
    """Re-derive a table through its reader module's ``regenerate``."""
    from analysis import ingest
    from analysis.sources import registry

    source = next(s for s in registry.SOURCES.values() if ingest.module_name(s) == args.table)
    module = importlib.import_module(source.reader.partition(":")[0])
    src = args.paths[0] if len(args.paths) == 1 else (args.paths or None)
    print(_derive_summary(args.table, module.regenerate(src, args.out)))
    return 0


def _derive_summary(table: str, returned) -> str:
    """Summarise a regenerate step: rows, quarantine and review counts when it reports them."""
    result, written = returned if isinstance(returned, tuple) and len(returned) == 2 \
        else (None, returned)
    files = ", ".join(map(str, written)) if isinstance(written, list | tuple) else str(written)
    if not hasattr(result, "table"):
        return f"{table}: wrote {files}"
    return (f"{table}: {len(result.table):,} rows, {len(result.quarantine):,} quarantined, "
            f"{len(result.review):,} names to review; wrote {files}")
