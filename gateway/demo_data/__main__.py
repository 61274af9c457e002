"""``python -m gateway.demo_data OUT_DIR [--seed N] [--size small|medium|large|N]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from gateway.demo_data.generate import SIZES, generate_region


def main(argv: list[str] | None = None) -> int:
    """Generate a region and print one line per file written."""
    parser = argparse.ArgumentParser(
        prog="python -m gateway.demo_data", description="Genereer een fictieve regio."
    )
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--size", default="small", help=f"{', '.join(SIZES)} of een aantal eenheden"
    )
    parser.add_argument("--force", action="store_true", help="overschrijf een bestaande map")
    args = parser.parse_args(argv)
    size: str | int = int(args.size) if args.size.isdigit() else args.size
    if args.out_dir.exists() and any(args.out_dir.iterdir()) and not args.force:
        print(f"FAIL: {args.out_dir} is niet leeg (gebruik --force)", file=sys.stderr)
        return 2
    try:
        truth = generate_region(args.out_dir, seed=args.seed, size=size)
    except ValueError as exc:
        print(f"FAIL: {exc}", file=sys.stderr)
        return 2
    for item in truth.files:
        print(
            f"OK: {item.file:34} {item.format:22} {item.records:6} records  (partij {item.party})"
        )
    print(
        f"OK: {len(truth.patterns)} patronen, {len(truth.hub.records)} records op het opvangadres"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
