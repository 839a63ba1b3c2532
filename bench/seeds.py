"""Robustness of the claim library over master seeds: flake rate and must-fail detection.

A claim is only as good as its worst seed. This runs every claim under the
given paths with master seeds start..start+K-1 (each seed re-draws every
per-seed key of every claim) and prints, per claim, how many seeds verified,
the worst margin of the claim's own check and of its must-fail variants, and
the cold (first, with JIT) and warm seconds. Margin is figure/limit, oriented
so that below 1 means "holds": the claim wants every margin below 1, each
variant wants it above 1. Then the totals:

    flake rate      = (claim, seed) pairs not verified / all pairs   (goal 0)
    detection rate  = variant runs that disagreed / variant runs     (goal 1)

Usage, from the repository root:

    python bench/seeds.py claims/ --seeds 5            # issue 3: five seeds
    python bench/seeds.py claims/ --seeds 20 --json reports/seeds.json
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from checker.measure import load_plugins
from checker.run import ClaimResult
from checker.verify import lint, run_plans, select


def margin(result: ClaimResult | None, agreement: object | None = None) -> float:
    """How far a check is from its limit, oriented so that < 1 holds and > 1 fails.

    figure/limit for a positive limit; limit/figure for a negative one (rate
    rules: a slope of -0.5 against a limit of -0.25 is 0.5); for a zero limit
    (a plain bound) 0 when it holds and inf when it does not. nan: no figure.
    """
    verdict = agreement if agreement is not None else (result.agreement if result else None)
    if verdict is None or not math.isfinite(verdict.limit):
        return math.nan
    figure, limit = verdict.figure, verdict.limit
    if verdict.relation == ">=":
        figure, limit = -figure, -limit
    if limit == 0:
        return 0.0 if figure <= 0 else math.inf
    if limit > 0:
        return figure / limit
    return limit / figure if figure < 0 else math.inf


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("paths", nargs="+", type=Path)
    parser.add_argument("--seeds", type=int, default=5, help="number of master seeds")
    parser.add_argument("--start", type=int, default=0, help="first master seed")
    parser.add_argument("--select", metavar="GLOB")
    parser.add_argument("--json", type=Path, help="write every figure here")
    args = parser.parse_args(argv)
    load_plugins(Path.cwd())
    library = lint(args.paths)
    if library.problems:
        print("\n".join(map(str, library.problems)), file=sys.stderr)
        return 2
    plans = select(library.plans, args.select)
    seeds = range(args.start, args.start + args.seeds)
    rows: dict[str, list[ClaimResult]] = {p.claim.id: [] for p in plans}
    for seed in seeds:
        started = time.perf_counter()
        for result in run_plans(plans, seed=seed):
            rows[result.id].append(result)
        print(f"seed {seed}: {time.perf_counter() - started:.1f} s", file=sys.stderr)
    Console(width=160).print(_table(rows, len(seeds)))
    flakes, variants, detected = _totals(rows)
    pairs = len(plans) * len(seeds)
    print(f"claims {len(plans)}, master seeds {seeds.start}..{seeds.stop - 1}")
    print(f"flake rate: {flakes}/{pairs} = {flakes / max(pairs, 1):.4f}")
    print(f"must-fail detection: {detected}/{variants} = {detected / max(variants, 1):.4f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(_dump(rows), indent=1))
    return 0 if flakes == 0 and detected == variants else 1


def _table(rows: dict[str, list[ClaimResult]], seeds: int) -> Table:
    table = Table("claim", "verified", "worst claim margin", "worst variant margin",
                  "cold s", "warm s", title=f"claim library over {seeds} master seeds")  # fmt: skip
    for claim_id, results in rows.items():
        verified = sum(r.verdict == "verified" for r in results)
        own = [margin(r) for r in results]
        others = [margin(None, v.agreement) for r in results for v in r.must_fail]
        warm = [r.seconds for r in results[1:]] or [math.nan]
        table.add_row(
            claim_id,
            f"{verified}/{len(results)}",
            f"{max(own, default=math.nan):.3g}",
            f"{min(others, default=math.nan):.3g}",
            f"{results[0].seconds:.1f}",
            f"{sum(warm) / len(warm):.1f}",
        )
    return table


def _totals(rows: dict[str, list[ClaimResult]]) -> tuple[int, int, int]:
    flakes = sum(r.verdict != "verified" for results in rows.values() for r in results)
    runs = [v for results in rows.values() for r in results for v in r.must_fail]
    return flakes, len(runs), sum(v.verdict == "disagrees" for v in runs)


def _dump(rows: dict[str, list[ClaimResult]]) -> dict:
    return {
        claim_id: [
            {
                "seed": r.seed,
                "verdict": r.verdict,
                "seconds": r.seconds,
                "margin": margin(r),
                "reason": r.reason,
                "variants": {v.name: [v.verdict, margin(None, v.agreement)] for v in r.must_fail},
            }
            for r in results
        ]
        for claim_id, results in rows.items()
    }


if __name__ == "__main__":
    raise SystemExit(main())
