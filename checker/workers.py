"""Claims in worker processes: parallel runs, a per-claim timeout, and crashes contained.

JAX is not fork-safe, so workers are spawned. Each worker re-reads and
re-plans the claim file itself (plans hold compiled callables that do not
travel well) and sends back the result as plain data. A claim that runs past
its timeout has its worker killed and replaced; a worker that dies (a crash,
the kernel's out-of-memory killer) costs that one claim, which is reported as
`error` with the reason. Results do not depend on the number of workers: a
claim's keys depend only on its id and the master seed, and every worker is held
to one core, so XLA and BLAS compute on one thread each.
"""

from __future__ import annotations

import contextlib
import dataclasses
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing.connection import Connection, wait
from pathlib import Path
from typing import Any

from checker.cache import result_from_dict, result_to_dict
from checker.plan import Plan
from checker.results import ClaimResult

__all__ = ["SINGLE_THREADED", "WorkerPool", "measure_claim_file", "pin_threads", "run_claim_file"]

# Set in every worker before JAX loads: one BLAS thread each (unpinned BLAS made
# one eigvalsh vary 60x). XLA:CPU in jax 0.10 ignores its flags here and sizes its
# pool by the cores a process may use, which is why workers are also held to a core.
SINGLE_THREADED = {
    "OPENBLAS_NUM_THREADS": "1",
    "OMP_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


def pin_threads() -> None:
    """One BLAS thread in this process (before JAX's backend starts); user XLA_FLAGS kept."""
    for name, value in SINGLE_THREADED.items():
        if name == "XLA_FLAGS":
            value = f"{os.environ.get(name, '')} {value}".strip()
        os.environ[name] = value


@dataclasses.dataclass
class _Worker:
    process: Any
    connection: Connection
    plan: Plan | None = None
    started: float = 0.0


class WorkerPool:
    """`workers` spawned processes running one claim at a time each."""

    def __init__(self, workers: int, plugin_folder: Path, timeout: float | None = None) -> None:
        self.size = max(1, workers)
        self.plugin_folder = plugin_folder
        self.timeout = timeout
        self.context = multiprocessing.get_context("spawn")

    def run(
        self,
        plans: Sequence[Plan],
        seed: int,
        on_start: Callable[[Plan], None] | None = None,
        on_done: Callable[[ClaimResult], None] | None = None,
    ) -> list[ClaimResult]:
        """Results in the order of `plans`, whatever order they finish in."""
        queue = list(plans)
        results: dict[int, ClaimResult] = {}
        index = {id(p): i for i, p in enumerate(plans)}
        workers: list[_Worker] = []
        try:
            with _interrupts_between_steps() as interrupted:
                workers.extend(self._spawn(i) for i in range(min(self.size, len(queue))))
                while queue or any(w.plan for w in workers):
                    for worker in workers:
                        if worker.plan is None and queue:
                            self._start(worker, queue.pop(0), seed, on_start)
                    for worker, result in self._collect(workers, seed):
                        results[index[id(worker.plan)]] = result
                        worker.plan = None
                        if on_done:
                            on_done(result)
                    if interrupted.is_set():
                        raise KeyboardInterrupt
        finally:
            for worker in workers:
                _stop(worker)
        return [results[i] for i in range(len(plans))]

    def _spawn(self, slot: int) -> _Worker:
        parent, child = self.context.Pipe()
        core = _core_for(slot)
        process = self.context.Process(
            target=_serve, args=(child, str(self.plugin_folder), core), daemon=True
        )
        process.start()
        child.close()
        return _Worker(process, parent)

    def _start(self, worker: _Worker, plan: Plan, seed: int, on_start: Any) -> None:
        if on_start:
            on_start(plan)
        worker.plan, worker.started = plan, time.monotonic()
        worker.connection.send(
            (str(plan.claim_file.path), plan.claim.id, seed, plan.claim_file.profile)
        )

    def _collect(self, workers: list[_Worker], seed: int) -> list[tuple[_Worker, ClaimResult]]:
        wait([w.connection for w in workers if w.plan is not None], timeout=0.2)
        done = []
        for i, worker in enumerate(workers):
            if worker.plan is None:
                continue
            message = _poll(worker)
            if message is not None:
                done.append((worker, self._finish(workers, i, seed, message)))
            elif self.timeout and time.monotonic() - worker.started > self.timeout:
                reason = f"timed out after {self.timeout:g} s (--timeout); the worker was stopped"
                done.append((worker, self._replace(workers, i, seed, reason)))
        return done

    def _finish(
        self, workers: list[_Worker], i: int, seed: int, message: tuple[str, Any]
    ) -> ClaimResult:
        worker = workers[i]
        kind, payload = message
        if kind == "done":
            path = str(worker.plan.claim_file.path)
            return dataclasses.replace(result_from_dict(payload), path=path)
        if kind == "failed":
            return _error(worker.plan, seed, payload, time.monotonic() - worker.started)
        worker.process.join(timeout=5)
        code = worker.process.exitcode
        hint = " (killed: out of memory?)" if code in (-9, 137) else ""
        return self._replace(workers, i, seed, f"the worker process died, exit code {code}{hint}")

    def _replace(self, workers: list[_Worker], i: int, seed: int, reason: str) -> ClaimResult:
        old = workers[i]
        _stop(old)
        workers[i] = self._spawn(i)
        return _error(old.plan, seed, reason, time.monotonic() - old.started)


@contextlib.contextmanager
def _interrupts_between_steps() -> Iterator[threading.Event]:
    """Ctrl-C as a flag the loop checks, not an exception raised wherever it lands.

    Raised asynchronously, KeyboardInterrupt can land anywhere, the terminal
    progress bar's lock included; one full-suite run hung after Ctrl-C instead
    of writing its partial report, and that is the likely cause. Workers ignore
    Ctrl-C (a terminal sends it to them too), so an interrupted claim is not
    reported as a dead worker. Off the main thread, signals stay as they are.
    """
    interrupted = threading.Event()
    if threading.current_thread() is not threading.main_thread():
        yield interrupted
        return
    previous = signal.signal(signal.SIGINT, lambda number, frame: interrupted.set())
    try:
        yield interrupted
    finally:
        signal.signal(signal.SIGINT, previous)


def _poll(worker: _Worker) -> tuple[str, Any] | None:
    """The worker's result if one arrived; a "started" message restarts the timeout clock."""
    while worker.connection.poll():
        try:
            message = worker.connection.recv()
        except (EOFError, OSError):
            return ("died", None)
        if message[0] != "started":
            return message
        worker.started = time.monotonic()
    if not worker.process.is_alive():
        return ("died", None)
    return None


def _error(plan: Plan, seed: int, reason: str, seconds: float) -> ClaimResult:
    return ClaimResult(plan.claim.id, str(plan.claim_file.path), "error", None, (), seconds,
                       reason, seed)  # fmt: skip


def _stop(worker: _Worker) -> None:
    try:
        worker.connection.close()
    finally:
        if worker.process.is_alive():
            worker.process.kill()
        worker.process.join(timeout=5)


def _core_for(slot: int) -> int | None:
    """The one core worker `slot` keeps to: each worker runs XLA and BLAS on one thread.

    XLA:CPU sizes its thread pool by the cores a process may use, whatever the
    flags say, and the thread count changes the last digits of reductions and
    eigensolvers. A worker held to one core computes the same bits however many
    workers run, and N workers on N cores do not slow one another; with more
    workers than cores, several share a core.
    """
    if not hasattr(os, "sched_getaffinity"):
        return None
    cores = sorted(os.sched_getaffinity(0))
    return cores[slot % len(cores)]


def _serve(connection: Connection, plugin_folder: str, core: int | None = None) -> None:
    """A worker's loop: (path, id, seed, profile) in, ("done", result) or ("failed", reason) out."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's: it stops us
    # workers share one accelerator: by default each JAX process would take 75 % of its
    # memory at start, and on a GPU all but the first worker died
    os.environ.setdefault("XLA_PYTHON_CLIENT_PREALLOCATE", "false")
    if core is not None:
        os.sched_setaffinity(0, {core})
    pin_threads()
    from checker.measure import load_plugins

    load_plugins(Path(plugin_folder))
    import jax.numpy  # imported before the first claim's clock starts

    jax.numpy.zeros(1).block_until_ready()
    while True:
        try:
            path, claim_id, seed, profile = connection.recv()
        except (EOFError, OSError):
            return
        connection.send(("started", None))
        connection.send(run_claim_file(Path(path), claim_id, seed, profile=profile))


def run_claim_file(
    path: Path, claim_id: str, seed: int, display: str | None = None, profile: str | None = None
) -> tuple:
    """Re-read, re-plan and run one claim: ("done", result dict) or ("failed", reason).

    Shared by the worker processes and the Dask executor: plans hold compiled
    callables that do not travel between processes, claim files do.
    """
    from checker.run import run_plan

    plan = _replanned(path, claim_id, display, profile)
    if isinstance(plan, str):
        return ("failed", plan)
    return ("done", result_to_dict(run_plan(plan, seed)))


def measure_claim_file(
    path: Path,
    claim_id: str,
    seed: int,
    indices: Sequence[int],
    display: str | None = None,
    profile: str | None = None,
) -> tuple:
    """Re-plan one claim and measure only its `measurement_points` at `indices`: ("done",
    [(params, inputs, outputs) per index], seconds) or ("failed", reason). One shard of a
    large sweep; the points travel back with their arrays, so the caller can tell that
    this plan is its own."""
    from checker.run import ClaimRunner, _reason, measurement_points

    started = time.perf_counter()
    plan = _replanned(path, claim_id, display, profile)
    if isinstance(plan, str):
        return ("failed", plan)
    points = measurement_points(plan)
    if max(indices, default=-1) >= len(points):
        return ("failed", f"{display or path} changed while running: fewer sweep points")
    shard = [points[i] for i in indices]
    try:
        measured = ClaimRunner(plan, seed).measure_points(shard)
    except Exception as exc:  # reported as the claim's error, as a local run reports it
        return ("failed", _reason(exc))
    arrays = [(p.model_dump(), i, o) for (p, i), o in zip(shard, measured, strict=True)]
    return ("done", arrays, time.perf_counter() - started)


def _replanned(path: Path, claim_id: str, display: str | None, profile: str | None) -> Plan | str:
    from checker.plan import plan_claim
    from checker.spec import validate_file

    loaded = validate_file(path, display, profile)
    plan = None if isinstance(loaded, list) else plan_claim(loaded)
    if plan is None or isinstance(plan, list) or plan.claim.id != claim_id:
        return f"{display or path} changed while running; it no longer plans"
    return plan
