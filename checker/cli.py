"""`checker`: thin command line over the library. Parses arguments, calls, prints, exits.

Exit codes: 0 every selected claim verified; 1 any claim not verified (or none
ran); 2 usage errors and invalid claim files; 130 interrupted (after writing the
partial report). A user's mistake never shows a traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from checker.measure.registry import MeasurementError, load_plugins
from checker.results import master_seed
from checker.spec import ClaimFileError

__all__ = ["main"]

EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DEFAULT_TIMEOUT = 600.0  # seconds a claim may run before its worker is stopped


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    console = Console(stderr=False, highlight=False)
    if not console.is_terminal:
        console = Console(stderr=False, highlight=False, width=140)  # logs: no 80-column wrap
    errors = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        load_plugins(Path.cwd())
        return args.command(args, console, errors)
    except (MeasurementError, ClaimFileError) as exc:
        errors.print(f"[bold red]error[/] {escape(str(exc))}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        errors.print("[yellow]interrupted[/]")
        return 130
    except Exception as exc:
        if os.environ.get("CHECKER_DEBUG"):
            raise
        errors.print(f"[bold red]internal error[/] {escape(f'{type(exc).__name__}: {exc}')}")
        errors.print("  this is a bug in checker; CHECKER_DEBUG=1 shows the traceback")
        return EXIT_USAGE


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="checker",
        description="Check the quantitative claims of ML-theory papers against JAX measurements.",
    )
    commands = parser.add_subparsers(required=True, metavar="COMMAND")

    lint = commands.add_parser("lint", help="validate claim files without running anything")
    lint.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    lint.add_argument("--profile", metavar="NAME", help="lint with profiles.NAME laid over")
    lint.set_defaults(command=_lint)

    verify = commands.add_parser("verify", help="run claims and report their verdicts")
    verify.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    verify.add_argument("--select", metavar="GLOB", help="only claims whose id matches GLOB")
    verify.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR")
    verify.add_argument("--profile", metavar="NAME",
                        help="lay each claim's profiles.NAME over it (larger sizes for a GPU); "
                        "claims without one run as written")  # fmt: skip
    verify.add_argument("--seed", type=master_seed, default=0, metavar="N",
                        help="master seed, 0 to 2**32-1 (default 0)")  # fmt: skip
    verify.add_argument("--seeds", type=_positive_int, metavar="K",
                        help="explore: run with K fresh master seeds (for nightly runs, not gates)")  # fmt: skip
    verify.add_argument("--changed-since", metavar="REF",
                        help="only claims whose YAML or measurement code changed since git REF")  # fmt: skip
    verify.add_argument("--workers", type=_positive_int, default=_default_workers(), metavar="N",
                        help="claims run in N worker processes "
                        "(default: $CHECKER_WORKERS, else the number of cores)")  # fmt: skip
    verify.add_argument("--timeout", type=_timeout, metavar="SECONDS",
                        help="stop a claim after SECONDS and report it as error (default: "
                        f"$CHECKER_TIMEOUT, else {DEFAULT_TIMEOUT:g}; 0: no limit, and with "
                        "--workers 1 the claims run in this process)")  # fmt: skip
    verify.add_argument("--executor", choices=("local", "dask"), default="local",
                        help="local processes (default) or a Dask distributed cluster")  # fmt: skip
    verify.add_argument("--scheduler", metavar="ADDRESS",
                        help="the Dask scheduler, e.g. tcp://10.0.0.5:8786 (with --executor dask)")  # fmt: skip
    verify.add_argument("--shard-points", type=_positive_int, metavar="N",
                        help="with --executor dask, split a claim that measures more than N "
                             "sweep points into tasks of N points each (default 16)")  # fmt: skip
    verify.add_argument("--no-cache", action="store_true", help="re-run cached claims")
    verify.add_argument("--cache-dir", type=Path, metavar="DIR",
                        help="result cache (default $CHECKER_CACHE_DIR or ~/.cache/checker)")  # fmt: skip
    verify.set_defaults(command=_verify)

    mutate = commands.add_parser("mutate", help="kill rate of each claim's check on wrong formulas")
    mutate.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    mutate.add_argument("--select", metavar="GLOB", help="only claims whose id matches GLOB")
    mutate.add_argument("--seed", type=master_seed, default=0, metavar="N")
    mutate.add_argument("--delta", type=_positive_float, default=0.2, metavar="D",
                        help="constants are scaled by 1 +/- D (default 0.2)")  # fmt: skip
    mutate.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR")
    mutate.add_argument("--min-kill", type=_fraction, default=0.0, metavar="RATE",
                        help="exit 1 when fewer than RATE (0-1) of the mutants are killed, "
                             "overall or for any one claim")  # fmt: skip
    mutate.set_defaults(command=_mutate)

    falsify = commands.add_parser("falsify", help="search beyond the sweep for a counterexample")
    falsify.add_argument("claim_id", metavar="ID")
    falsify.add_argument("paths", nargs="*", type=Path, default=[Path("claims")], metavar="PATH")
    falsify.add_argument("--budget", type=_positive_float, default=60.0, metavar="SECONDS")
    falsify.add_argument("--drop", metavar="HYPOTHESIS",
                         help="search outside this require: hypothesis too (does it bear load?)")  # fmt: skip
    falsify.add_argument("--seed", type=master_seed, default=0, metavar="N")
    falsify.add_argument("--strategy", choices=("auto", "random"), default="auto",
                         help="auto: gradient ascent on continuous inputs where the measurement "
                              "is differentiable, random draws otherwise")  # fmt: skip
    falsify.set_defaults(command=_falsify)

    show = commands.add_parser(
        "show", help="one claim: statement, formula, hypotheses, last result"
    )
    show.add_argument("claim_id", metavar="ID")
    show.add_argument("paths", nargs="*", type=Path, default=[Path("claims")], metavar="PATH")
    show.add_argument("--report-dir", type=Path, default=Path("reports"), metavar="DIR")
    show.set_defaults(command=_show)

    new = commands.add_parser("new", help="scaffold a claim file that lints clean")
    new.add_argument("claim_id", metavar="ID", help="paper-slug/claim-name, e.g. smith2024/rate")
    new.add_argument("--measurement", metavar="NAME", help="a registered measurement")
    new.add_argument("--claims-dir", type=Path, default=Path("claims"), metavar="DIR")
    new.set_defaults(command=_new)

    schema = commands.add_parser("schema", help="print the claim format as JSON Schema")
    schema.set_defaults(command=_schema)

    listing = commands.add_parser("list", help="list claims: id, paper, rule (runs nothing)")
    listing.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    listing.add_argument(
        "--markdown", action="store_true", help="a Markdown table (claims/README.md)"
    )
    listing.add_argument("--verdicts", type=Path, metavar="REPORT_JSON",
                         help="take each claim's last verdict from this report.json")  # fmt: skip
    listing.set_defaults(command=_list)
    return parser


def _default_workers() -> int:
    try:
        return max(1, int(os.environ.get("CHECKER_WORKERS", "")))
    except ValueError:
        return os.cpu_count() or 1


def _default_timeout() -> float | None:
    """The per-claim watchdog: $CHECKER_TIMEOUT seconds, else DEFAULT_TIMEOUT; 0 turns it off.

    A measurement can hang inside XLA, where Ctrl-C cannot reach it; a claim in a
    worker process under a time limit is stopped whatever it does.
    """
    try:
        seconds = _timeout(os.environ.get("CHECKER_TIMEOUT", ""))
    except (ValueError, argparse.ArgumentTypeError):
        seconds = DEFAULT_TIMEOUT
    return seconds or None


def _timeout(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0 <= value < float("inf"):
        raise argparse.ArgumentTypeError(f"expected seconds (0 for no limit), got {text}")
    return value


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a positive integer, got {text}")
    return value


def _positive_float(text: str) -> float:
    value = float(text)
    if not value > 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text}")
    return value


def _fraction(text: str) -> float:
    value = float(text)
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a fraction between 0 and 1, got {text}")
    return value


def _unknown_profile(name: str | None, plans: Sequence[Any], errors: Console) -> bool:
    """A --profile no claim defines is a typo, not a request for the default sizes."""
    if name is None or any(p.claim_file.profile == name for p in plans):
        return False
    errors.print(f"[bold red]error[/] --profile {escape(name)}: no claim defines profiles."
                 f"{escape(name)}; claims without it would run as written")  # fmt: skip
    return True


def _unusable_report_dir(folder: Path, errors: Console) -> bool:
    """A report folder that cannot be written is found before any claim runs, not after."""
    from checker.report.files import report_dir_problem

    problem = report_dir_problem(folder)
    if problem is not None:
        errors.print(f"[bold red]error[/] {escape(problem)}; nothing was run")
    return problem is not None


def _lint(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from checker.lintcache import lint_cached
    from checker.paths import default_cache_dir
    from checker.report.terminal import print_problems

    outcome = lint_cached(args.paths, args.profile, default_cache_dir())
    if outcome.problems:
        print_problems(outcome.problems, errors)
        errors.print(f"{len(outcome.problems)} problem(s) in {outcome.files} file(s)")
        return EXIT_USAGE
    if args.profile and not any(c.profile == args.profile for c in outcome.clean):
        errors.print(f"[bold red]error[/] --profile {escape(args.profile)}: no claim defines "
                     f"profiles.{escape(args.profile)}")  # fmt: skip
        return EXIT_USAGE
    remembered = outcome.files - outcome.planned
    note = f" ({remembered} unchanged since they last linted clean)" if remembered else ""
    console.print(f"[green]ok[/] {len(outcome.clean)} claim(s) valid{note}")
    return EXIT_OK


def _list(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from rich.table import Table

    from checker.report import claims_table, last_verdicts, print_problems
    from checker.report.terminal import plain
    from checker.spec import ClaimFile, claim_files, validate_file

    claims, problems = [], []
    for path in claim_files(list(args.paths)):
        result = validate_file(path)
        if isinstance(result, ClaimFile):
            claims.append(result.claim)
        else:
            problems.extend(result)
    if args.markdown:
        verdicts = last_verdicts(args.verdicts) if args.verdicts else {}
        print(claims_table(claims, verdicts), end="")
    else:
        table = Table("id", "paper", "rule", "title")
        for claim in claims:  # claim text as `plain` cells: never markup, controls escaped
            table.add_row(plain(claim.id), plain(f"{claim.source.authors[0]} {claim.source.year}"),
                          claim.agreement.rule, plain(claim.title))  # fmt: skip
        console.print(table)
    print_problems(problems, errors)
    return EXIT_USAGE if problems else EXIT_OK


def _mutate(args: argparse.Namespace, console: Console, errors: Console) -> int:
    import json

    from rich.table import Table

    from checker.jsonio import atomic_write
    from checker.mutate import mutate_plan
    from checker.report import print_problems
    from checker.report.mutation import claim_digest
    from checker.verify import lint, select
    from checker.workers import pin_threads

    if _unusable_report_dir(args.report_dir, errors):
        return EXIT_USAGE
    library = lint(args.paths)
    if library.problems:
        print_problems(library.problems, errors)
        return EXIT_USAGE
    pin_threads()
    results = [mutate_plan(p, args.seed, args.delta) for p in select(library.plans, args.select)]
    table = Table("claim", "killed", "rate", "surviving changes (first 2)", title="checker mutate")
    for r in results:
        rate = f"{r.killed / r.total:.0%}" if r.total else "-"
        seen = f" (+{len(r.equivalent)} equiv.)" if r.equivalent else ""
        table.add_row(r.id, f"{r.killed}/{r.total}{seen}", rate,
                      escape(r.reason or "; ".join(r.changes[:2])))  # fmt: skip
    console.print(table)
    total, killed = sum(r.total for r in results), sum(r.killed for r in results)
    equivalent = sum(len(r.equivalent) for r in results)
    paths = {p.claim.id: p.claim_file.path for p in library.plans}
    data = {"total": total, "killed": killed, "equivalent": equivalent,
            "claims": [{**r.as_dict(), "digest": claim_digest(paths[r.id])} for r in results]}  # fmt: skip
    args.report_dir.mkdir(parents=True, exist_ok=True)
    atomic_write(args.report_dir / "mutation.json", json.dumps(data, indent=1) + "\n")
    if not total:
        errors.print("[bold red]error[/] no mutant ran: nothing was tested")
        return EXIT_FAILED
    console.print(f"killed {killed}/{total} mutants ({killed / total:.1%}); {equivalent} "
                  "equivalent under their rule, not counted; "
                  f"{args.report_dir / 'mutation.json'} (the next checker verify into "
                  f"{args.report_dir} shows it in index.html)")  # fmt: skip
    weak = [r.id for r in results if r.total and r.killed < args.min_kill * r.total]
    if killed < args.min_kill * total or weak:
        errors.print(f"[bold red]error[/] kill rate below --min-kill {args.min_kill:g}"
                     + (f" for {escape(', '.join(weak))}" if weak else ""))  # fmt: skip
        return EXIT_FAILED
    return EXIT_OK


def _falsify(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from checker.falsify import falsify
    from checker.verify import lint
    from checker.workers import pin_threads

    plan = next((p for p in lint(args.paths).plans if p.claim.id == args.claim_id), None)
    if plan is None:
        errors.print(f"[bold red]error[/] no valid claim with id {escape(args.claim_id)!r}")
        return EXIT_USAGE
    names = {h.name for h in plan.claim.hypotheses if h.require}
    if args.drop is not None and args.drop not in names:
        errors.print(f"[bold red]error[/] --drop: no require: hypothesis {escape(args.drop)!r}; "
                     f"these bear on parameters: {escape(', '.join(sorted(names)) or 'none')}")  # fmt: skip
        return EXIT_USAGE
    pin_threads()
    result = falsify(plan, args.budget, args.seed, args.drop, strategy=args.strategy)
    region = ", ".join(f"{k} in [{lo:.3g}, {hi:.3g}]" for k, (lo, hi) in result.region.items())
    dropped = f" without hypothesis {args.drop!r}" if args.drop else ""
    if result.reason:
        console.print(f"{result.id}: not searched: {result.reason}", markup=False)
        return EXIT_USAGE
    how = (f"gradient ascent ({result.gradient_steps} steps) and random draws"
           if result.strategy == "gradient" else "random draws")  # fmt: skip
    how += f" ({result.fallback})" if result.fallback else ""
    searched = f"{result.tried} points of {region}; search: {how}, {result.seconds:.1f} s"
    if result.found is None:
        console.print(f"{result.id}: no counterexample{dropped} in {searched}", markup=False)
        return EXIT_OK
    point = ", ".join(f"{k}={v:g}" for k, v in result.found.point.items())
    console.print(f"{result.id}: counterexample{dropped} at {point} ({result.found.figure}), "
                  f"found by {result.found.found_by} search, after {searched}", markup=False)  # fmt: skip
    return EXIT_FAILED


def _show(args: argparse.Namespace, console: Console, errors: Console) -> int:
    import sympy as sp

    from checker.latex import check_latex
    from checker.report import last_verdicts, print_problems
    from checker.report.terminal import print_line
    from checker.verify import lint

    library = lint(args.paths)
    plan = next((p for p in library.plans if p.claim.id == args.claim_id), None)
    if plan is None:
        print_problems([p for p in library.problems if args.claim_id.split("/")[-1] in str(p)],
                       errors)  # fmt: skip
        print_line(errors, ("error", "bold red"), f" no valid claim with id {args.claim_id!r} "
                   f"under {', '.join(map(str, args.paths))}")  # fmt: skip
        return EXIT_USAGE
    claim, source = plan.claim, plan.claim.source
    lines = [f"{claim.id}: {claim.title}",
             f"{', '.join(source.authors)} ({source.year}), {source.title}"
             + (f", arXiv:{source.arxiv}" if source.arxiv else ""),
             f"where: {source.where}", f"file: {plan.claim_file.path}",
             "", " ".join(claim.statement.split()), "",
             *([f"{claim.prediction.target} = "] if claim.prediction.form == "expr" else
               [claim.prediction.text(), ""]),
             *sp.pretty(plan.check.prediction, use_unicode=True).splitlines()]  # fmt: skip
    printed = check_latex(plan)
    if printed is not None:
        lines += [
            "",
            f"as printed: {claim.latex.text}",
            f"LaTeX {printed.outcome}: {printed.message}",
        ]
    for h in claim.hypotheses:
        kind = "require" if h.require else "observe"
        lines.append(f"  {kind} {h.name}: {h.require or h.observe}  {h.text}")
    lines += ["", f"agreement: {claim.agreement.model_dump()}"]
    lines += [f"  {line}" for line in _derivations(plan.check.agreement)]
    lines += [f"  must-fail {v.name}: {v.why}" for v in claim.must_fail]
    last = last_verdicts(args.report_dir / "report.json").get(claim.id)
    if last:
        agreement = last.get("agreement") or {}
        lines += ["", f"last result: {last['verdict']} ({agreement.get('label', '')} "
                  f"{agreement.get('figure', '')} {agreement.get('relation', '')} "
                  f"{agreement.get('limit', '')}), seed {last.get('seed')}"]  # fmt: skip
    else:
        lines += ["", f"last result: none in {args.report_dir / 'report.json'}"]
    for line in lines:  # one print a line: claim text cannot add lines of its own
        print_line(console, line)
    return EXIT_OK


def _derivations(agreement: Any) -> list[str]:
    """What the plan layer derived for the rule, one line each (checker.derive)."""
    from checker.derived import derived

    found = derived(agreement)
    lines = []
    if found.formula:
        lines.append(f"asymptotic exponent in {agreement.variable}: {found.formula}")
    if "derived_limit" in found.notes:
        lines.append(f"derived limit: {found.notes['derived_limit']}, "
                     f"order: {found.notes['derived_order']}")  # fmt: skip
    if agreement.rule == "fit" and found.affine:
        lines.append("affine in the fit constants: fitted in closed form")
    return lines


def _new(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from checker.measure.registry import get_measurement, registered_measurements
    from checker.scaffold import ID_PATTERN, scaffold_claim

    if not ID_PATTERN.match(args.claim_id):
        errors.print(f"[bold red]error[/] {args.claim_id!r} is not a claim id; "
                     "ids look like paper-slug/claim-name, lower case (smith2024/rate)")  # fmt: skip
        return EXIT_USAGE
    name = args.measurement or sorted(registered_measurements())[0]
    measurement = get_measurement(name)
    if measurement is None:
        known = ", ".join(sorted(registered_measurements()))
        errors.print(f"[bold red]error[/] unknown measurement {name!r}; registered: {known}")
        return EXIT_USAGE
    paper, claim_name = args.claim_id.split("/")
    path = args.claims_dir / paper / f"{claim_name}.yaml"
    if path.exists():
        errors.print(f"[bold red]error[/] {path} exists; not overwriting it")
        return EXIT_USAGE
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(scaffold_claim(args.claim_id, measurement), encoding="utf-8")
    console.print(f"wrote {path}; fill the TODOs, then: checker lint {path}", highlight=False)
    return EXIT_OK


def _schema(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from checker.scaffold import claim_schema

    sys.stdout.write(claim_schema())
    return EXIT_OK


def _verify(args: argparse.Namespace, console: Console, errors: Console) -> int:
    from checker.cache import ResultCache
    from checker.paths import default_cache_dir
    from checker.report import github_annotations, print_results, report_dict, write_reports

    if args.executor == "dask" and (not args.scheduler or args.timeout is not None):
        errors.print("[bold red]error[/] --executor dask needs --scheduler ADDRESS "
                     "(and takes no --timeout: the cluster's own limits apply)")  # fmt: skip
        return EXIT_USAGE
    if args.shard_points and args.executor != "dask":
        errors.print("[bold red]error[/] --shard-points splits sweeps over a Dask cluster: "
                     "add --executor dask --scheduler ADDRESS")  # fmt: skip
        return EXIT_USAGE
    if _unusable_report_dir(args.report_dir, errors):
        return EXIT_USAGE
    if args.cache_dir:  # results, lint, compilations, here and in the workers
        os.environ["CHECKER_CACHE_DIR"] = str(args.cache_dir)
    cache = ResultCache(default_cache_dir(), read=not args.no_cache)
    seeds = _explore_seeds(args.seeds) if args.seeds else [args.seed]
    started = time.perf_counter()
    ran = _remembered(args, cache) or _planned_and_run(args, cache, seeds, console, errors)
    if isinstance(ran, int):
        return ran
    results, views, interrupted = ran
    print_results(results, console)
    report = report_dict(results, views, seeds[0], time.perf_counter() - started)
    report["environment"]["profile"] = args.profile
    if args.seeds:
        report["environment"]["seeds"] = seeds
        console.print(f"explored master seeds {', '.join(map(str, seeds))}; each row shows "
                      "the first seed that did not verify, if any", highlight=False)  # fmt: skip
    if interrupted:
        report["summary"].update(incomplete=True, ok=False, not_run=len(views) - len(results))
    paths = write_reports(results, views, report, args.report_dir)
    if interrupted:
        errors.print(f"[yellow]interrupted[/]: {len(results)} of {len(views)} claim(s) finished; "
                     f"partial report (marked incomplete): {paths['json']}")  # fmt: skip
        return 130
    if os.environ.get("GITHUB_ACTIONS") == "true":
        for line in github_annotations(results, views):
            print(line)
    summary = report["summary"]
    console.print(
        f"{summary['verified']}/{summary['total']} verified from {summary['papers']} paper(s) "
        f"in {summary['seconds']:.1f} s; report: {paths['html']}"
    )
    return EXIT_OK if summary["ok"] else EXIT_FAILED


def _remembered(args: argparse.Namespace, cache: Any) -> tuple[list, dict, bool] | None:
    """Every selected claim's view and result, kept from an earlier run of the same files and
    code: the re-run of an unchanged library plans nothing and imports neither SymPy nor JAX.
    None when anything is missing, and the claims are linted and planned as usual."""
    from checker.lintcache import remembered_views

    if not cache.read or args.changed_since is not None or args.seeds:
        return None
    views = remembered_views(args.paths, args.profile, args.select, cache.folder)
    if views is None:
        return None
    results = [cache.get(view, args.seed) for view in views]
    if any(result is None for result in results):
        return None
    return results, {view.claim.id: view for view in views}, False


def _planned_and_run(
    args: argparse.Namespace, cache: Any, seeds: list[int], console: Console, errors: Console
) -> tuple[list, dict, bool] | int:
    """Lint and plan the library, run the selected claims; an exit code when nothing can run."""
    from checker.changes import ChangeError, changed_files, touched_by
    from checker.latex import claim_view
    from checker.lintcache import ViewCache, remember_clean
    from checker.report import print_problems
    from checker.verify import lint, select
    from checker.workers import pin_threads

    library = lint(args.paths, args.profile)
    if library.problems:
        print_problems(library.problems, errors)
        errors.print(f"{len(library.problems)} problem(s); nothing was run")
        return EXIT_USAGE
    if _unknown_profile(args.profile, library.plans, errors):
        return EXIT_USAGE
    remember_clean(library.plans, args.profile, cache.folder)
    plans = select(library.plans, args.select)
    if args.changed_since is not None:
        try:
            plans = touched_by(plans, changed_files(args.changed_since))
        except ChangeError as exc:
            errors.print(f"[bold red]error[/] --changed-since: {escape(str(exc))}")
            return EXIT_USAGE
        if not plans:
            console.print(f"no claim changed since {args.changed_since}; nothing to run")
            return EXIT_OK
    if not plans:
        errors.print(f"no claim matches --select {args.select!r}")
        return EXIT_FAILED
    views = {plan.claim.id: claim_view(plan) for plan in plans}
    kept = ViewCache(cache.folder)
    for view in views.values():
        kept.put(view, args.profile)
    pin_threads()  # the same float results in-process and in workers
    results, interrupted = _run_with_progress(plans, seeds, args, cache, console)
    return results, views, interrupted


def _run_with_progress(
    plans: list, seeds: list[int], args: argparse.Namespace, cache: Any, console: Console
) -> tuple[list, bool]:
    """Every plan at every seed; with several seeds, each claim's least verified result."""
    from checker.verify import least_verified, run_plans

    rounds: list[list] = []
    finished: list = []
    with _progress(console) as progress:
        task = progress.add_task("starting", total=len(plans) * len(seeds))

        def done(result: Any) -> None:
            finished.append(result)
            progress.advance(task)

        try:
            for seed in seeds:
                finished = []
                rounds.append(run_plans(
                    plans, seed=seed,
                    on_start=lambda plan: progress.update(task, description=plan.claim.id),
                    on_done=done, cache=cache, workers=args.workers, timeout=_claim_timeout(args),
                    scheduler=args.scheduler if args.executor == "dask" else None,
                    shard_points=args.shard_points,
                ))  # fmt: skip
        except KeyboardInterrupt:
            rounds.append(finished)
            return least_verified(rounds), True
    return least_verified(rounds), False


def _claim_timeout(args: argparse.Namespace) -> float | None:
    """--timeout, else the default watchdog; None (no limit) for 0 or on a Dask cluster."""
    if args.executor == "dask":
        return None
    return _default_timeout() if args.timeout is None else (args.timeout or None)


def _explore_seeds(count: int) -> list[int]:
    """Fresh master seeds for --seeds K (nightly exploration); printed, so reproducible."""
    import secrets

    return [secrets.randbelow(2**31) for _ in range(count)]


def _progress(console: Console) -> Progress:
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    )


if __name__ == "__main__":
    sys.exit(main())
