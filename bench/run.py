"""Run the benchmarks and print one table: ``python -m bench.run [--quick] [--only a,b]``."""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time

from bench import bench_fanout, bench_intake, bench_live, bench_map, bench_routing, bench_traffic
from bench.common import ROOT, Result, scratch_database

BENCHMARKS = {
    "routing": lambda url, quick: bench_routing.run(url, 20_000 if quick else 200_000),
    "intake": lambda url, quick: bench_intake.run(url, 3 if quick else 15),
    "map": lambda url, quick: bench_map.run(
        url, [10_000, 50_000] if quick else [10_000, 100_000, 1_000_000], 20 if quick else 60),
    "live": lambda url, quick: bench_live.run(url, 20 if quick else 60, 8 if quick else 20),
    "traffic": lambda url, quick: bench_traffic.run(url, 2 if quick else 7),
    "fanout": lambda url, quick: bench_fanout.run(url, 1_000 if quick else 10_000),
}


def print_table(results: list[Result]) -> None:
    """Print figure, ceiling, ratio, target and pass/short for every result."""
    header = f"{'benchmark':58} {'figure':>14} {'ceiling':>14} {'ratio':>7}  {'target':34} result"
    print(header)
    print("-" * len(header))
    for r in results:
        ceiling = f"{r.ceiling:,.1f}" if r.ceiling else "-"
        ratio = f"{r.ratio:.2f}" if r.ratio is not None else "-"
        print(f"{r.name:58} {r.figure:>10,.1f} {r.unit:<3} {ceiling:>14} {ratio:>7}  "
              f"{r.target:34} {'pass' if r.passed else 'SHORT'}")
        if r.ceiling_name or r.notes:
            print(f"{'':58}   ceiling: {r.ceiling_name or '-'}; {r.notes}")


def main(argv: list[str] | None = None) -> int:
    """Run the chosen benchmarks on a scratch database and write bench/results/*.json."""
    parser = argparse.ArgumentParser(prog="python -m bench.run")
    parser.add_argument("--quick", action="store_true", help="short smoke run")
    parser.add_argument("--only", help=f"comma-separated subset of {', '.join(BENCHMARKS)}")
    args = parser.parse_args(argv)
    chosen = args.only.split(",") if args.only else list(BENCHMARKS)
    unknown = [name for name in chosen if name not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark(s): {', '.join(unknown)}")
    print("preparing a scratch database (dasan_bench) with Seoul loaded ...", flush=True)
    url = scratch_database()
    results: list[Result] = []
    for name in chosen:
        print(f"running {name} ...", flush=True)
        results.extend(BENCHMARKS[name](url, args.quick))
    print()
    print_table(results)
    out = ROOT / "bench/results"
    out.mkdir(parents=True, exist_ok=True)
    path = out / time.strftime("%Y%m%d-%H%M%S.json")
    path.write_text(json.dumps({
        "quick": args.quick, "machine": platform.platform(), "cpus": __import__("os").cpu_count(),
        "results": [r.as_dict() for r in results]}, indent=1))
    print(f"\nwritten to {path.relative_to(ROOT)}")
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
