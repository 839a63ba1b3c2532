"""Everything a run leaves in the report folder, written in one place.

report.json (the full record), one PNG plot per claim under plots/, the
self-contained index.html, summary.md and junit.xml. Each file is written
atomically, so a reader (or a second run) never sees half of one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.jsonio import atomic_write
from checker.paths import default_cache_dir
from checker.report import plots as plots_module
from checker.report.ci import write_junit
from checker.report.html import slug, write_html_report
from checker.report.json_report import write_json_report
from checker.report.markdown import summary_markdown
from checker.report.mutation import read_mutation
from checker.report.plots import plot_claim

if TYPE_CHECKING:
    from checker.results import ClaimResult
    from checker.view import ClaimView

__all__ = ["write_reports"]


def write_reports(
    results: Sequence[ClaimResult],
    views: Mapping[str, ClaimView],
    report: Mapping[str, Any],
    folder: Path,
) -> dict[str, Path]:
    """Write every report file; returns their paths by kind.

    Each file is replaced atomically, and the whole set is written under an
    exclusive lock on the folder, so two runs writing the same folder leave
    one run's complete set, never a mixture.
    """
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        return _write_all(results, views, report, folder)


def _plot(result: ClaimResult, view: ClaimView, path: Path) -> Path | None:
    """The claim's plot, drawn once per distinct result and plotting code (drawing dominates
    a cached re-run); a missing or unreadable cache entry is simply drawn again."""
    if not result.series:
        return None
    stored = default_cache_dir() / "plots" / f"{_plot_key(result, view)}.png"
    try:
        data = stored.read_bytes()
        if data.startswith(b"\x89PNG"):
            path.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(path, data)
            return path
    except OSError:
        pass
    drawn = plot_claim(result, view.claim, path)
    if drawn is not None:
        with contextlib.suppress(OSError):
            stored.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(stored, drawn.read_bytes())
    return drawn


def _plot_key(result: ClaimResult, view: ClaimView) -> str:
    from checker.cache import result_to_dict

    content = {
        k: v for k, v in result_to_dict(result).items() if k not in ("seconds", "cached", "path")
    }
    digest = hashlib.sha256(json.dumps(content, sort_keys=True).encode())
    digest.update(view.claim_file.path.read_bytes())
    digest.update(Path(plots_module.__file__).read_bytes())
    return digest.hexdigest()


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    with open(folder / ".lock", "a") as handle:
        try:
            import fcntl
        except ImportError:  # not POSIX: atomic files, no set-wide lock
            yield
            return
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _write_all(
    results: Sequence[ClaimResult],
    views: Mapping[str, ClaimView],
    report: Mapping[str, Any],
    folder: Path,
) -> dict[str, Path]:
    summary = {**report["summary"], "seed": report["environment"]["seed"]}
    plots = {}
    for result in results:
        view = views.get(result.id)
        if view is not None:
            path = _plot(result, view, folder / "plots" / f"{slug(result.id)}.png")
            if path is not None:
                plots[result.id] = path
    markdown = folder / "summary.md"
    atomic_write(markdown, summary_markdown(results, views, plots, summary))
    return {
        "json": write_json_report(dict(report), folder),
        "html": write_html_report(results, views, folder, plots, summary, read_mutation(folder)),
        "markdown": markdown,
        "junit": write_junit(results, views, folder, float(summary["seconds"])),
    }
