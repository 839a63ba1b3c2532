"""Performance, measured side by side in one run on one machine, printed as ratios.

Sections (pick with --only a,b,...):

  a  the library cold vs warm (result cache; nothing planned) vs warm with
     every claim planned again vs --no-cache with a warm JAX compilation
     cache, each a fresh `checker verify` process
  b  seeds batched with vmap vs a Python loop over seeds, per measurement
     family (both compiled once, timed warm)
  c  a compiled prediction on 10^5 points vs SymPy's own evaluation (evalf)
  d  `checker lint` and `checker list` on 100 claims, and which heavy modules
     each imports; cold lint's imports timed apart from its claims
  e  1 vs N workers on the library (no caches): in-process, in-process on one core;
     CPU time of each, and the machine's own ceiling for N processes
  f  the empirical NTK of nets.empirical_ntk vs a plain jax.jacobian
     contraction (the reference), same width and inputs, against the closed form
  g  a `fit` rule solved in closed form (prediction affine in its constants)
     vs Levenberg-Marquardt, on the same measured points
  h  a large sweep on a Dask cluster (a LocalCluster of --workers one-thread
     workers, started afresh per run): the claim sent whole vs split into
     shards of one point (--shard-points 1); needs checker[dask]
  i  a batch too large for memory (arora2019's measurement): one vmapped call
     vs the runner's slices, each in a fresh process (wall, system time, peak
     memory)

Usage, from the repository root:  python bench/perf.py [--only a,c] [claims/]
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("claims", nargs="?", type=Path, default=ROOT / "claims")
    parser.add_argument("--only", default="a,b,c,d,e,f,g,h,i")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args()
    if not any(args.claims.rglob("*.yaml")):
        parser.error(
            f"no claim files under {args.claims} (pick sections with --only, e.g. --only d)"
        )
    print(f"machine: {os.cpu_count()} cores, {sys.platform}, Python {sys.version.split()[0]}")
    _compile_bytecode()
    sections = {"a": caches, "b": vmap_vs_loop, "c": prediction_speed, "d": lint_and_list,
                "e": workers, "f": empirical_ntk, "g": closed_form_fit,
                "h": dask_shards, "i": sliced_batch}  # fmt: skip
    for name in args.only.split(","):
        print(f"\n== {name}: {sections[name].__doc__.strip().splitlines()[0]}")
        sections[name](args)
    return 0


def _compile_bytecode() -> None:
    """Time what an installed copy does: with checker's modules compiled to bytecode.

    pip compiles installed packages, and an editable install writes bytecode on its first
    import. Where PYTHONDONTWRITEBYTECODE is set (some sandboxes and containers set it),
    every process compiled checker's source again, 0.1-0.2 s of each short command.
    """
    import compileall

    compileall.compile_dir(ROOT / "checker", quiet=1)
    if os.environ.get("PYTHONDONTWRITEBYTECODE"):
        print("checker's bytecode compiled ahead (PYTHONDONTWRITEBYTECODE is set here)")


def _verify(claims: Path, cache: Path, *extra: str, env: dict | None = None) -> float:
    return _verify_with_cpu(claims, cache, *extra, env=env)[0]


def _verify_with_cpu(
    claims: Path, cache: Path, *extra: str, env: dict | None = None, core: int | None = None
) -> tuple[float, float]:
    """Wall seconds and CPU seconds (user + system, workers included) of one verify."""
    import resource

    command = [sys.executable, "-m", "checker.cli", "verify", str(claims), "--cache-dir",
               str(cache), "--report-dir", str(cache / "reports"), *extra]  # fmt: skip
    if core is not None:  # held to the core from its first instruction (no fork after JAX)
        held = f"import os, sys; os.sched_setaffinity(0, {{{core}}}); os.execv(sys.argv[1], sys.argv[1:])"
        command = [sys.executable, "-c", held, *command]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(
        command, capture_output=True, text=True, env={**os.environ, **(env or {})}
    )
    seconds = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        print(done.stdout[-3000:], done.stderr[-3000:])
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu


def caches(args: argparse.Namespace) -> None:
    """Library cold vs warm result cache vs warm compilation cache."""
    with tempfile.TemporaryDirectory() as folder:
        cache = Path(folder)
        workers = ("--workers", str(args.workers))
        cold = _verify(args.claims, cache, *workers)
        warm = min(_verify(args.claims, cache, *workers) for _ in range(3))
        planned = []
        for _ in range(3):  # results cached, but every claim linted and planned (SymPy)
            shutil.rmtree(cache / "views", ignore_errors=True)
            planned.append(_verify(args.claims, cache, *workers))
        compiled = _verify(args.claims, cache, "--no-cache", *workers)
    print(f"cold {cold:.1f} s | warm (results cached, nothing planned) {warm:.2f} s | the same, "
          f"every claim planned {min(planned):.2f} s | --no-cache, compilations cached "
          f"{compiled:.1f} s  (warm runs: best of 3)")  # fmt: skip
    print(f"ratios: cold/warm {cold / warm:.1f}x, planned/warm {min(planned) / warm:.1f}x, "
          f"cold/compile-cached {cold / compiled:.2f}x")  # fmt: skip


def _timed(function: Callable[[], object], repeats: int = 3) -> float:
    import jax

    jax.block_until_ready(function())  # compile
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        jax.block_until_ready(function())
        best = min(best, time.perf_counter() - started)
    return best


def vmap_vs_loop(args: argparse.Namespace) -> None:
    """vmap over seeds vs a Python loop over seeds, per measurement family."""
    from checker.verify import lint

    library = lint([args.claims])
    seen: set[str] = set()
    for plan in sorted(library.plans, key=lambda p: p.claim.id):
        family = plan.measurement.name.split(".")[0]
        if family not in seen and not plan.claim.x64:
            seen.add(family)
            _family_timing(plan, family)


def _family_timing(plan: object, family: str) -> None:
    import dataclasses

    import jax
    import numpy as np

    from checker.run import _batched, _seed_keys

    m, check = plan.measurement, plan.check
    point = check.sweep[0]
    params, inputs = check.params_at(m, point), check.inputs_at(m, point)
    keys = _seed_keys(plan.claim.id, 0, plan.claim.measurement.seeds)
    stacked = {k: np.asarray([v], np.float32) for k, v in inputs.items()}
    # vmap whatever the family is registered with (a "loop" family's own batching would
    # time the loop twice, as this section did for one stop)
    batched = _batched(dataclasses.replace(m, batching="vmap"), params, False)
    one = jax.jit(lambda key, x: dict(m.fn(key, params, **x)))
    scalars = {k: np.float32(v) for k, v in inputs.items()}
    vmapped = _timed(lambda: batched(keys, stacked))
    looped = _timed(lambda: [one(k, scalars) for k in keys])
    print(f"{family:16s} {plan.claim.id:45s} seeds {len(keys):3d}: vmap {vmapped * 1e3:8.1f} ms"
          f", loop {looped * 1e3:8.1f} ms, loop/vmap {looped / vmapped:5.2f}x"
          f" (registered: {m.batching})")  # fmt: skip


def prediction_speed(args: argparse.Namespace) -> None:
    """A compiled prediction on 1e5 points vs SymPy's evalf."""
    import jax
    import numpy as np

    from checker.compile import compile_expr, jax_backend
    from checker.expr import parse_expr, symbols_for

    names = symbols_for(["s", "t", "tau", "u0"])
    expr = parse_expr("s*exp(2*s*t/tau) / (exp(2*s*t/tau) - 1 + s/u0)", names)
    symbols = [names[k] for k in ("s", "t", "tau", "u0")]
    rng = np.random.default_rng(0)
    values = [rng.uniform(0.5, 2.0, 100_000) for _ in symbols]
    with jax.enable_x64(True):
        compiled = jax.jit(compile_expr(expr, symbols, jax_backend()))
        per_point_jax = _timed(lambda: compiled(*values)) / 1e5
        got = np.asarray(compiled(*values))[:5]
    sample = 300
    started = time.perf_counter()
    for i in range(sample):
        expr.evalf(subs={s: v[i] for s, v in zip(symbols, values, strict=True)})
    per_point_sympy = (time.perf_counter() - started) / sample
    want = [float(expr.evalf(subs={s: v[i] for s, v in zip(symbols, values, strict=True)}))
            for i in range(5)]  # fmt: skip
    assert np.allclose(got, want, rtol=1e-12), (got, want)
    print(
        f"1e5 points: compiled {per_point_jax * 1e5 * 1e3:.2f} ms; SymPy evalf "
        f"{per_point_sympy * 1e6:.0f} us/point (x1e5 = {per_point_sympy * 1e5:.0f} s); "
        f"ratio {per_point_sympy / per_point_jax:,.0f}x; same values to 1e-12"
    )


def lint_and_list(args: argparse.Namespace) -> None:
    """lint and list on 100 claims, and what they import."""
    files = sorted(f for f in args.claims.rglob("*.yaml"))
    with tempfile.TemporaryDirectory() as folder:
        target = Path(folder) / "claims"
        for i in range(100):
            source = files[i % len(files)]
            text = re.sub(r"^id: \S+/(\S+)$", rf"id: copy{i:03d}/\1", source.read_text(),
                          count=1, flags=re.MULTILINE)  # fmt: skip
            (target / f"c{i:03d}").mkdir(parents=True)
            (target / f"c{i:03d}" / source.name).write_text(text)
        cache = Path(folder) / "cache"  # empty: nothing of this machine's earlier runs
        runs = (
            ("lint", "cold: empty cache, every file planned, every LaTeX formula parsed"),
            ("lint", "again: the 100 files unchanged since they linted clean"),
            ("list", "list"),
        )
        for command, what in runs:
            probe = (
                "import sys, time; t = time.perf_counter(); from checker.cli import main; "
                f"code = main([{command!r}, {str(target)!r}]); "
                "print('SECONDS', time.perf_counter() - t); "
                "print('HEAVY', sorted({m for m in sys.modules} & "
                "{'jax._src', 'jaxlib', 'sympy.core', 'scipy.stats', 'matplotlib.figure'}))"
            )
            env = {**os.environ, "CHECKER_CACHE_DIR": str(cache)}
            started = time.perf_counter()
            done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                                  env=env)  # fmt: skip
            total = time.perf_counter() - started
            lines = [x for x in done.stdout.splitlines() if x.startswith(("SECONDS", "HEAVY"))]
            inside = float(lines[0].split()[1])
            print(f"checker {command} on 100 claims ({what}): {inside:.2f} s in main(), "
                  f"{total:.2f} s with interpreter start; heavy modules imported: "
                  f"{lines[1].split(' ', 1)[1]}")  # fmt: skip
        _cold_lint_split(target, Path(folder) / "cache-split")


def _cold_lint_split(target: Path, cache: Path) -> None:
    """Cold lint once more, its imports timed apart from its claims: what is per claim."""
    probe = (
        "import time; t = time.perf_counter(); from checker.cli import main; "
        "import checker.verify, checker.latex, checker.lintcache; u = time.perf_counter(); "
        f"main(['lint', {str(target)!r}]); print('SPLIT', u - t, time.perf_counter() - u)"
    )
    env = {**os.environ, "CHECKER_CACHE_DIR": str(cache)}
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env)
    line = next(x for x in done.stdout.splitlines() if x.startswith("SPLIT"))
    imports, claims = map(float, line.split()[1:])
    print(
        f"cold lint again, split: {imports:.2f} s importing what planning needs (pydantic, "
        f"NumPy, SymPy), then {claims:.2f} s for the 100 claims ({claims * 10:.1f} ms each)"
    )


def workers(args: argparse.Namespace) -> None:
    """1 vs N worker processes on the library.

    `--workers 1 --timeout 0` runs in-process, where XLA's own threads keep more
    than one core busy; the same run held to one core is one worker as each of
    N workers is (one core each). The first ratio is what a user gains, the
    second how the pool itself scales. The CPU time of each run says how many
    cores one run already keeps busy, hence the most N workers can gain.
    """
    one_core = min(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    runs = {"1 in-process": (("--workers", "1", "--timeout", "0"), None),
            "1 in-process held to one core": (("--workers", "1", "--timeout", "0"), one_core),
            f"{args.workers} workers": (("--workers", str(args.workers)), None)}  # fmt: skip
    times, cpu, timings, claims = {}, {}, None, {}
    for name, (flags, core) in runs.items():
        folder = Path(tempfile.mkdtemp())
        if timings is not None:  # what a later run knows: how long each claim took last time
            (folder / "timings").mkdir()
            shutil.copy(timings, folder / "timings")
        times[name], cpu[name] = _verify_with_cpu(args.claims, folder, *flags, core=core,
                                                  env={"CHECKER_COMPILE_CACHE": "0"})  # fmt: skip
        keep = Path(tempfile.mkdtemp()) / "last-run.json"
        shutil.copy(folder / "timings" / "last-run.json", keep)
        timings, claims[name] = keep, json.loads(keep.read_text())
        shutil.rmtree(folder, ignore_errors=True)
    one, single, many = times.values()
    print(
        f"1 worker in-process {one:.1f} s, held to one core {single:.1f} s, {args.workers} "
        f"workers {many:.1f} s (longest first, by the previous run's times): {one / many:.2f}x "
        f"over in-process, {single / many:.2f}x over one worker on one core"
    )
    cores = os.cpu_count() or 1
    print("CPU time (workers included) and cores kept busy on average: " + ", ".join(
        f"{name} {cpu[name]:.0f} s, {cpu[name] / times[name]:.2f}" for name in runs))  # fmt: skip
    print(f"so {cores} cores can make the in-process run at most "
          f"{cores * one / cpu['1 in-process']:.2f}x faster, were no work added by splitting it")  # fmt: skip
    _slowed_in_the_pool(*claims.values())
    for what, work in (("a pure-Python loop", _spin), ("jitted JAX", _jax_spin)):
        alone, side_by_side = _machine_ceiling(args.workers, work)
        print(
            f"the machine's own ceiling, {what}: {alone:.2f} s alone and {side_by_side:.2f} s "
            f"with {args.workers} copies side by side, in spawned processes: "
            f"{args.workers * alone / side_by_side:.2f}x throughput"
        )


def _slowed_in_the_pool(
    in_process: dict[str, float], alone: dict[str, float], beside: dict[str, float]
) -> None:
    """Each claim's own time (measured where it ran) in one process on one core vs in the pool."""
    sums = [sum(t.values()) for t in (in_process, alone, beside)]
    print(f"the claims' own times summed: {sums[0]:.1f} s in-process, {sums[1]:.1f} s on one "
          f"core, {sums[2]:.1f} s in the pool ({sums[2] / sums[1]:.2f}x)")  # fmt: skip
    ratios = sorted(((beside[k] / alone[k], k) for k in alone if k in beside), reverse=True)
    print("slowed most in the pool: " + ", ".join(
        f"{k} {alone[k]:.1f} -> {beside[k]:.1f} s" for _, k in ratios[:6]))  # fmt: skip


def _spin(steps: int) -> float:
    started, total = time.perf_counter(), 0
    for i in range(steps):
        total += i
    return time.perf_counter() - started


def _jax_spin(steps: int) -> float:
    """Small jitted array work set up as a worker's (BLAS pinned): matmuls, exp, sums."""
    import jax

    step = _jax_step()
    x = jax.random.normal(jax.random.key(0), (256, 256))
    step(x).block_until_ready()
    started = time.perf_counter()
    for _ in range(steps // 10_000):
        x = step(x)
    x.block_until_ready()
    return time.perf_counter() - started


@functools.cache
def _jax_step() -> Callable[[Any], Any]:
    """Jitted once per process: the warm-up call compiles it, the timed call reuses it."""
    from checker.workers import pin_threads

    pin_threads()
    import jax
    import jax.numpy as jnp

    def step(x: Any) -> Any:
        h = jnp.tanh(x @ x.T / x.shape[1])
        return x + 1e-3 * jnp.exp(-((h @ x) ** 2)).sum(axis=0, keepdims=True)

    return jax.jit(step)


def _machine_ceiling(
    processes: int, work: Callable[[int], float] = _spin, steps: int = 30_000_000
) -> tuple[float, float]:
    """What N CPU-bound processes gain here at best, as the pool's yardstick: each process
    held to its own core, as workers are, and started together; the least disturbed of 3."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else [None]

    def slowest(count: int) -> float:
        barrier, times = context.Barrier(count), context.Queue()
        started = [context.Process(target=_timed_on_core, args=(cores[i % len(cores)], work,
                                   steps, barrier, times)) for i in range(count)]  # fmt: skip
        for process in started:
            process.start()
        seconds = max(times.get() for _ in started)
        for process in started:
            process.join()
        return seconds

    return min(slowest(1) for _ in range(3)), min(slowest(processes) for _ in range(3))


def _timed_on_core(core: int | None, work: Callable[[int], float], steps: int, barrier: Any,
                   times: Any) -> None:  # fmt: skip
    if core is not None:
        os.sched_setaffinity(0, {core})
    work(steps // 100)  # imports and compilation before the clock
    barrier.wait()
    times.put(work(steps))


def empirical_ntk(args: argparse.Namespace) -> None:
    """nets.empirical_ntk vs a plain jax.jacobian contraction."""
    import jax
    import jax.numpy as jnp
    import numpy as np

    from checker.measure import nets

    width, dim, batch = 4096, 8, 16
    key = jax.random.PRNGKey(0)
    params = nets.mlp_init(key, [dim, width, 1])
    x = jax.random.normal(jax.random.PRNGKey(1), (batch, dim))
    x = x / jnp.linalg.norm(x, axis=1, keepdims=True) * dim**0.5

    def f(p, inputs):
        return nets.mlp_apply(p, inputs)[:, 0]

    ours = jax.jit(lambda p: nets.empirical_ntk(f, p, x, x))

    def reference(p):
        jac = jax.jacobian(f)(p, x)
        leaves = jax.tree_util.tree_leaves(jac)
        return sum(j.reshape(batch, -1) @ j.reshape(batch, -1).T for j in leaves)

    reference = jax.jit(reference)
    t_ours, t_ref = _timed(lambda: ours(params)), _timed(lambda: reference(params))
    gap = float(jnp.max(jnp.abs(ours(params) - reference(params))))
    cos = np.clip(np.asarray(x @ x.T) / dim, -1, 1)
    theta = np.arccos(cos)
    derivative = (np.pi - theta) / (2 * np.pi)  # E[relu'(u) relu'(v)]
    nngp = (np.sin(theta) + (np.pi - theta) * cos) / (2 * np.pi)  # E[relu(u) relu(v)]
    closed = cos * derivative + nngp + derivative + 1.0  # weights, then hidden and output biases
    error = float(np.max(np.abs(np.asarray(ours(params)) - closed)))
    print(
        f"width {width}, {batch} inputs: ours {t_ours * 1e3:.1f} ms, reference "
        f"{t_ref * 1e3:.1f} ms, reference/ours {t_ref / t_ours:.2f}x; max |ours - ref| "
        f"{gap:.1e}; max |ours - closed form| {error:.3f} (finite width)"
    )


def closed_form_fit(args: argparse.Namespace) -> None:
    """Closed-form fit vs Levenberg-Marquardt, same measured points (the shipped affine fit claim)."""
    from checker import agree
    from checker.plan import plan_claim
    from checker.run import ClaimRunner
    from checker.spec import validate_file

    plan = plan_claim(validate_file(args.claims / "lobacheva2020" / "ensemble-one-over-m.yaml"))
    check, runner = plan.check, ClaimRunner(plan, seed=0)
    outputs = runner.measure(check)
    points = [runner._point(check, p, v, o) for p, v, o in
              zip(check.sweep, runner.values(check), outputs, strict=True)]  # fmt: skip
    fit = [str(s) for s in check.fit]
    rules = {"closed form": check.agreement,
             "least squares": agree.with_derived(check.agreement, agree.Derived())}  # fmt: skip
    verdicts, seconds = {}, {}
    for name, rule in rules.items():
        verdicts[name] = agree.decide(rule, points, fit)
        seconds[name] = min(_wall(lambda r=rule: agree.decide(r, points, fit)) for _ in range(20))
    closed, lm = (verdicts[k].details["constants"] for k in rules)
    gap = max(abs(closed[k] - lm[k]) / abs(lm[k]) for k in lm)
    print(f"{plan.claim.id}: closed form {seconds['closed form'] * 1e3:.2f} ms, least squares "
          f"{seconds['least squares'] * 1e3:.2f} ms per rule evaluation: "
          f"{seconds['least squares'] / seconds['closed form']:.1f}x; constants {closed} vs "
          f"{lm} (relative gap {gap:.1e})")  # fmt: skip


def dask_shards(args: argparse.Namespace, claim: str = "arora2019") -> None:
    """A large sweep on a Dask LocalCluster: the claim sent whole vs in shards of one point."""
    try:
        import distributed
    except ImportError:
        print("skipped: install checker[dask]")
        return
    figures, seconds = {}, {}
    for how, extra in (("whole", ()), ("shards of one point", ("--shard-points", "1"))):
        with (
            distributed.LocalCluster(n_workers=args.workers, threads_per_worker=1,
                                     processes=True, dashboard_address=None) as cluster,
            tempfile.TemporaryDirectory() as folder,
        ):  # fmt: skip
            cache = Path(folder)
            seconds[how] = _verify(args.claims / claim, cache, "--no-cache", "--executor", "dask",
                                   "--scheduler", cluster.scheduler_address, *extra)  # fmt: skip
            report = json.loads((cache / "reports" / "report.json").read_text())
            figures[how] = [c["agreement"]["figure"] for c in report["claims"]]
    whole, sharded = seconds.values()
    print(f"{claim} on {args.workers} Dask workers: whole {whole:.1f} s, shards of one point "
          f"{sharded:.1f} s: {whole / sharded:.2f}x; same figures: "
          f"{figures['whole'] == figures['shards of one point']}")  # fmt: skip


_MEASURE_ONCE = """
import resource, sys, time
from pathlib import Path
import checker.run as run
from checker.plan import plan_claim
from checker.spec import validate_file
if sys.argv[2] == "whole":
    run._SLICE_BYTES = {"cpu": 1 << 62}
plan = plan_claim(validate_file(Path(sys.argv[1])))
runner = run.ClaimRunner(plan, 0)
started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF)
runner.measure(plan.check)
after = resource.getrusage(resource.RUSAGE_SELF)
print(time.perf_counter() - started, after.ru_stime - before.ru_stime, after.ru_maxrss)
"""


def sliced_batch(args: argparse.Namespace) -> None:
    """A batch too large for memory: one vmapped call vs the runner's slices (arora2019)."""
    claim = next((args.claims / "arora2019").glob("*.yaml"))
    figures = {}
    for how in ("whole", "sliced"):
        with tempfile.TemporaryDirectory() as folder:  # no compilation cached
            done = subprocess.run(
                [sys.executable, "-c", _MEASURE_ONCE, str(claim), how], capture_output=True,
                text=True, env={**os.environ, "CHECKER_CACHE_DIR": folder},
            )  # fmt: skip
        wall, system, peak = (float(x) for x in done.stdout.split()[-3:])
        figures[how] = wall
        print(f"{how:6s}: {wall:5.1f} s ({system:4.1f} s of it in the kernel), peak "
              f"{peak / 2**20:4.2f} GB")  # fmt: skip
    print(f"one call / slices: {figures['whole'] / figures['sliced']:.2f}x")


def _wall(function: Callable[[], object]) -> float:
    started = time.perf_counter()
    function()
    return time.perf_counter() - started


if __name__ == "__main__":
    raise SystemExit(main())
