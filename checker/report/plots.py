"""One plot per claim: the measurement against the prediction, drawn the way its rule decides.

A reviewer should see at a glance why a claim holds: the seed mean with its
95 % band beside the closed form; for scaling and rate rules, log-log axes and
the slope; for bounds, the bound line. Plots are drawn from the result's
series (plain lists), so a cached result plots the same as a fresh one.
Matplotlib's object API with the Agg canvas: no display, no pyplot state.

The style is checker's own, whatever matplotlibrc the working folder, $MATPLOTLIBRC or
the user's config holds: every figure is drawn inside an rc_context built from
matplotlib's shipped defaults, and matplotlib is first imported from an empty folder,
because the import itself reads ./matplotlibrc (a pull request may add one whose
bytes fail the import, or a FIFO that blocks it).
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import sys
import tempfile
import threading
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any

import lazy_loader as lazy

from checker.jsonio import atomic_write

if TYPE_CHECKING:
    from matplotlib.axes import Axes

    from checker.results import ClaimResult
    from checker.spec import Claim

np = lazy.load("numpy")  # only when a plot is drawn: a cached re-run copies stored PNGs

__all__ = ["plot_claim"]

_MAX_LINES = 8


def plot_claim(result: ClaimResult, claim: Claim, path: Path) -> Path | None:
    """Write the claim's plot as PNG at `path`; None when there is nothing to plot."""
    if not result.series:
        return None
    with _checker_style():
        png = _draw(result, claim)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write(path, png)
    return path


def _draw(result: ClaimResult, claim: Claim) -> bytes:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), dpi=100)  # fixed margins: a layout engine costs 2x
    figure.subplots_adjust(left=0.12, right=0.97, bottom=0.12, top=0.88)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    rule = claim.agreement
    if rule.rule == "rate" and result.agreement and "rms_errors" in result.agreement.details:
        _rate(axes, result.agreement.details, rule.order)
    elif any(_is_curve(s) for s in result.series):
        _curves(axes, result.series)
    else:
        variable = getattr(rule, "variable", None) or _main_variable(result.series)
        _points(axes, result.series, variable, logarithmic=rule.rule == "scaling")
        if rule.rule == "bound":
            axes.set_title(f"{rule.side} bound (line) and measurement", fontsize=9)
    axes.grid(alpha=0.3)
    axes.legend(fontsize=7, loc="best")
    figure.suptitle(f"{claim.id}: {result.verdict}", fontsize=10)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=_DPI)
    return buffer.getvalue()


_DPI = 100
_IMPORTING = threading.Lock()


@contextlib.contextmanager
def _checker_style() -> Iterator[None]:
    """matplotlib's shipped defaults, whatever rc files were read: an rc file's
    `text.usetex`, a tiny dpi or a huge font would fail or change every plot."""
    matplotlib = _import_matplotlib()
    shipped = {k: v for k, v in matplotlib.rcParamsDefault.items() if k != "backend"}
    with matplotlib.rc_context(rc=shipped):
        yield


def _import_matplotlib() -> ModuleType:
    """matplotlib, imported with an empty folder as the working folder, so that the
    ./matplotlibrc it reads first at import is not the one where checker runs."""
    with _IMPORTING:
        if "matplotlib" in sys.modules:
            return sys.modules["matplotlib"]
        with tempfile.TemporaryDirectory(prefix="checker-mpl-") as empty:
            try:
                here = os.getcwd()
            except OSError:  # the working folder was removed: no matplotlibrc there either
                here = None
            os.chdir(empty)
            try:
                import matplotlib
            finally:
                if here is not None:
                    os.chdir(here)
        return matplotlib


def _is_curve(entry: Mapping[str, Any]) -> bool:
    return isinstance(entry["mean"], list) and len(entry["mean"]) > 1


def _curves(axes: Axes, series: Sequence[Mapping[str, Any]]) -> None:
    """Vector-valued points: each one a measured curve with its band, and its predicted line."""
    for i, entry in enumerate(series[:_MAX_LINES]):
        mean, band = np.asarray(entry["mean"]), np.asarray(entry["half_width"])
        x = np.asarray(entry["x"]) if entry.get("x") else np.arange(mean.size)
        predicted = np.broadcast_to(np.asarray(entry["predicted"]), mean.shape)
        color = f"C{i}"
        label = _label(entry["at"])
        axes.fill_between(x, mean - band, mean + band, color=color, alpha=0.25, linewidth=0)
        axes.plot(x, mean, "o", color=color, markersize=2.5, label=f"measured {label}")
        axes.plot(x, predicted, "-", color=color, linewidth=1, label=f"predicted {label}")
    axes.set_xlabel("coordinate" if not series[0].get("x") else "measured coordinate")


def _points(
    axes: Axes, series: Sequence[Mapping[str, Any]], variable: str | None, *, logarithmic: bool
) -> None:
    """Scalar points against the main swept variable, one line per value of the others."""
    groups: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    for entry in series:
        rest = {k: v for k, v in entry["at"].items() if k != variable}
        groups[_label(rest)].append(entry)
    for i, (label, members) in enumerate(list(groups.items())[:_MAX_LINES]):
        x = [m["at"].get(variable, j) for j, m in enumerate(members)]
        mean = np.array([_scalar(m["mean"]) for m in members])
        band = np.array([_scalar(m["half_width"]) for m in members])
        predicted = np.array([_scalar(m["predicted"]) for m in members])
        color = f"C{i}"
        axes.errorbar(x, mean, yerr=band, fmt="o", color=color, capsize=3, markersize=4,
                      label=f"measured {label}".strip())  # fmt: skip
        axes.plot(x, predicted, "-", color=color, linewidth=1, label=f"predicted {label}".strip())
    axes.set_xlabel(variable or "sweep point")
    if logarithmic:
        axes.set_xscale("log")
        axes.set_yscale("log")


def _rate(axes: Axes, details: Mapping[str, Any], order: float) -> None:
    """RMS error against the variable on log-log axes, with the claimed slope for reference."""
    x = np.asarray(details["values"], float)
    errors = np.asarray(details["rms_errors"], float)
    slope = np.polyfit(np.log(x), np.log(errors), 1)[0]
    axes.loglog(x, errors, "o-", label=f"RMS error (slope {slope:.2f})")
    axes.loglog(x, errors[0] * (x / x[0]) ** -order, "--", label=f"claimed n^-{order:g}")
    axes.set_xlabel(str(details.get("variable", "n")))
    axes.set_ylabel("|measured - prediction|")


def _main_variable(series: Sequence[Mapping[str, Any]]) -> str | None:
    counts = defaultdict(set)
    for entry in series:
        for key, value in entry["at"].items():
            counts[key].add(value)
    return max(counts, key=lambda k: len(counts[k])) if counts else None


def _scalar(value: Any) -> float:
    if isinstance(value, list):
        return float(np.mean(value)) if value else math.nan
    return float(value)


def _label(values: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in values.items())
