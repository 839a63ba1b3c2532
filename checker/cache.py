"""Results of unchanged claims, kept so that a gate re-runs only what changed.

A result is stored under a key that hashes everything that could change it:
the claim file's bytes, the source of the module that defines its measurement
(and the shared pieces it builds on), checker's own core source, the
libraries' versions, and the master seed. Anything else about the machine is
assumed not to matter; that is what determinism on CPU buys. An entry that
cannot be read, does not parse, or does not match its key is ignored and
recomputed, never trusted; entries are written atomically.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias, get_args

from checker.jsonio import atomic_write, plain, read_json_object
from checker.results import ClaimResult, Outcome, VariantResult, Verdict

if TYPE_CHECKING:
    from checker.plan import Plan
    from checker.view import ClaimView

    Claimed: TypeAlias = Plan | ClaimView  # a claim file and its measurement, planned or kept

__all__ = ["ResultCache", "result_from_dict", "result_to_dict"]

_FORMAT = 1
_TIMINGS = "timings/last-run.json"  # beside the entries, not among them
_LIBRARIES = ("jax", "jaxlib", "numpy", "scipy", "sympy", "pydantic", "optax")
_CORE = (
    "agree.py",
    "compile.py",
    "expr.py",
    "plan.py",
    "results.py",
    "run.py",
    "spec.py",
    "yamlio.py",
)


class ResultCache:
    """Claim results on disk, one JSON file per key.

    With `read=False` (`--no-cache`) nothing is read, but what runs is kept.
    """

    def __init__(self, folder: Path, *, read: bool = True) -> None:
        self.folder = folder
        self.read = read

    def key(self, claim: Claimed, seed: int) -> str:
        digest = hashlib.sha256()
        for part in (
            f"format {_FORMAT} seed {seed} profile {claim.claim_file.profile}",
            claim.claim_file.path.read_bytes().hex(),
            _measurement_source(claim),
            _environment(),
        ):
            digest.update(part.encode() + b"\0")
        return digest.hexdigest()

    def get(self, claim: Claimed, seed: int) -> ClaimResult | None:
        if not self.read:
            return None
        key = self.key(claim, seed)
        entry = read_json_object(self.folder / f"{key}.json")
        if entry is None or entry.get("key") != key or entry.get("format") != _FORMAT:
            return None
        try:
            result = result_from_dict(entry.get("result"))
        except (ValueError, KeyError, TypeError, RecursionError):
            return None
        if result.id != claim.claim.id or result.seed != seed:
            return None
        return dataclasses.replace(result, path=str(claim.claim_file.path), cached=True)

    def expected_seconds(self, plans: Sequence[Claimed]) -> dict[str, float]:
        """How long each claim took when it last ran here, whatever has changed since.

        A hint for scheduling only (longest first keeps workers busy to the
        end), so it is read even under `--no-cache` and never trusted for more.
        """
        seen = read_json_object(self.folder / _TIMINGS) or {}
        wanted = {plan.claim.id for plan in plans}
        return {k: float(v) for k, v in seen.items() if k in wanted and _is_seconds(v)}

    def remember_seconds(self, results: Sequence[ClaimResult]) -> None:
        """Record how long the claims that ran took (cached ones say nothing new)."""
        ran = {r.id: r.seconds for r in results if not r.cached and r.verdict != "error"}
        if not ran:
            return
        seen = read_json_object(self.folder / _TIMINGS) or {}
        try:
            (self.folder / _TIMINGS).parent.mkdir(parents=True, exist_ok=True)
            atomic_write(
                self.folder / _TIMINGS, json.dumps({**seen, **ran}, sort_keys=True), durable=False
            )
        except OSError:
            pass

    def put(self, claim: Claimed, seed: int, result: ClaimResult) -> None:
        """Keep a result; errors are not kept (a timeout or a crash may not recur)."""
        if result.verdict == "error":
            return
        key = self.key(claim, seed)
        entry = {"format": _FORMAT, "key": key, "result": result_to_dict(result)}
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            atomic_write(self.folder / f"{key}.json", json.dumps(entry), durable=False)
        except OSError:
            pass  # a read-only or full cache folder costs speed, not correctness


def result_to_dict(result: ClaimResult) -> dict[str, Any]:
    return plain(dataclasses.asdict(result))


def result_from_dict(data: Any) -> ClaimResult:
    """The result `result_to_dict` wrote; TypeError, KeyError or ValueError for anything of
    another shape, since the dict comes from a cache entry and a damaged one is a miss."""
    data = _typed(data, dict)
    series = tuple(_series_point(point) for point in _typed(data.get("series", []), list))
    return ClaimResult(
        id=_typed(data["id"], str),
        path=_typed(data["path"], str),
        verdict=_outcome(data["verdict"], get_args(Outcome)),
        agreement=_verdict(data["agreement"]),
        must_fail=tuple(_variant(v) for v in _typed(data["must_fail"], list)),
        seconds=_number(data["seconds"]),
        reason=_typed(data["reason"], str),
        seed=_typed(data["seed"], int),
        series=series,
        cached=_typed(data.get("cached", False), bool),
    )


def _variant(data: Any) -> VariantResult:
    data = _typed(data, dict)
    return VariantResult(
        _typed(data["name"], str),
        _outcome(data["verdict"], _VARIANT_VERDICTS),
        _verdict(data["agreement"]),
        _typed(data["reason"], str),
    )


def _verdict(data: Any) -> Verdict | None:
    if data is None:
        return None
    data = _typed(data, dict)
    return Verdict(
        rule=_typed(data["rule"], str),
        holds=_typed(data["holds"], bool),
        figure=_number(data["figure"]),
        limit=_number(data["limit"]),
        label=_typed(data["label"], str),
        relation=_typed(data["relation"], str),
        details=_typed(data["details"], dict),
    )


_VARIANT_VERDICTS = ("disagrees", "agrees", "inconclusive", "error")
_SERIES_VALUES = ("mean", "half_width", "predicted")


def _series_point(data: Any) -> dict[str, Any]:
    """One plotted sweep point: coordinates, and numbers or lists of numbers to draw."""
    data = _typed(data, dict)
    for value in _typed(data["at"], dict).values():
        _number(value)
    for name in _SERIES_VALUES:
        _numbers(data[name])
    if data.get("x") is not None:
        _numbers(data["x"])
    return data


def _typed(value: Any, kind: type) -> Any:
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise TypeError(f"expected {kind.__name__}, got {type(value).__name__}")
    return value


def _outcome(value: Any, allowed: tuple[str, ...]) -> Any:
    if value not in allowed:
        raise ValueError(f"unknown verdict {value!r}")
    return value


def _number(value: Any) -> float:
    """A float as `plain` stores it: a number, or "inf"/"-inf"/"nan" for the non-finite."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise TypeError(f"expected a number, got {type(value).__name__}")
    if isinstance(value, str) and value not in ("inf", "-inf", "nan"):
        raise ValueError(f"expected a number, got {value!r}")
    return float(value)


def _numbers(value: Any) -> None:
    """A number, or a (nested) list of numbers, as a plotted mean or band is stored."""
    if isinstance(value, list):
        for item in value:
            _numbers(item)
    else:
        _number(value)


def _measurement_source(claim: Claimed) -> str:
    """The file that defines the measurement, and the shared pieces in its folder."""
    module = inspect.getmodule(claim.measurement.fn)
    files = [Path(inspect.getsourcefile(claim.measurement.fn) or "")]
    if module is not None and module.__name__.startswith("checker.measure."):
        files.append(Path(__file__).parent / "measure" / "nets.py")
    return "".join(_read(f) for f in files)


@functools.cache
def _environment() -> str:
    versions = []
    for name in _LIBRARIES:
        try:
            versions.append(f"{name}={metadata.version(name)}")
        except metadata.PackageNotFoundError:
            versions.append(f"{name}=none")
    core = "".join(_read(Path(__file__).parent / name) for name in _CORE)
    return " ".join(versions) + hashlib.sha256(core.encode()).hexdigest()


def _is_seconds(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and value >= 0


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return f"<unreadable {path}>"
