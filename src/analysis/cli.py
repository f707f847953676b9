"""The command line: build the report notebooks, ingest new data; bad input exits with code 2."""

from __future__ import annotations

import argparse
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
    build.add_argument("--timeout", type=int, default=900, help="seconds per cell")

    ingest = sub.add_parser("ingest", help="validate and load a data file into a data folder")
    ingest.add_argument("source", choices=["glotip", "ctdc", "template"])
    ingest.add_argument("path", type=Path)
    ingest.add_argument("--data-dir", type=Path, help="target folder (default data/processed)")

    derive = sub.add_parser("derive", help="re-derive the 3P or TIP table from its published file")
    derive.add_argument("table", choices=["threep", "tip"])
    derive.add_argument("paths", nargs="*", type=Path,
                        help="published file(s) or folder (default: the copy in ../shared/data)")
    derive.add_argument("--out", type=Path, help="output folder (default data/processed)")
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 failed notebook, 2 bad input)."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "build":
            from analysis import build

            _check_data_dir(args.data_dir)
            return build.run(only=args.only, data_dir=args.data_dir, out=args.out,
                             timeout=args.timeout)
        if args.command == "ingest":
            return _ingest(args)
        if args.command == "derive":
            return _derive(args)
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


def _derive(args) -> int:
    from analysis.sources import threep, tip

    module = {"threep": threep, "tip": tip}[args.table]
    src = args.paths[0] if len(args.paths) == 1 else (args.paths or None)
    result, written = module.regenerate(src, args.out)
    print(f"{args.table}: {len(result.table):,} rows, {len(result.quarantine):,} quarantined, "
          f"{len(result.review):,} names to review; wrote {', '.join(map(str, written))}")
    return 0


def _check_data_dir(data_dir: Path | None) -> None:
    """Refuse a data folder without a flows table before any notebook starts."""
    if data_dir is None:
        return
    if not (data_dir / "flows.csv").exists():
        raise InputError(str(data_dir), "no flows.csv in this data folder",
                         "ingest a source into it first: python -m analysis ingest "
                         f"glotip|ctdc|template FILE --data-dir {data_dir}")
