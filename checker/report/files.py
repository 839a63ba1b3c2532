"""Everything a run leaves in the report folder, written in one place.

report.json (the full record), one PNG plot per claim under plots/, the
self-contained index.html, summary.md and junit.xml. Each file is written
atomically, so a reader (or a second run) never sees half of one.

The folder may be checked in, so a pull request can plant links or folders at
these names. Files are replaced by rename, which replaces a link rather than
writing through it; the lock is opened without following a link or waiting on
a FIFO; and plots/ is made a real folder of this one, so a link at that name
never sends plots elsewhere. `report_dir_problem` finds a folder that cannot
take the reports before anything runs.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from checker.jsonio import atomic_write, read_regular_file
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

__all__ = ["report_dir_problem", "write_reports"]

REPORT_FILES = ("report.json", "index.html", "summary.md", "junit.xml", ".lock")
_MAX_PLOT_BYTES = 16 * 2**20
_PROBE_BYTES = 64 * 1024  # a folder with less room than this cannot take a report


def report_dir_problem(folder: Path) -> str | None:
    """Why `folder` cannot take the reports, or None: run before any claim, so that a
    report folder that is a file, sits under one, cannot be written or is full is said
    at once and not after every claim ran. The probe writes, flushes to disk and removes
    a small file (in the nearest folder that exists, if `folder` does not yet), so the
    answer is the filesystem's, not a guess from permission bits."""
    if folder.is_symlink() and not folder.exists():
        return f"report folder {folder}: a link to nothing"
    existing = folder
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing.exists() and not existing.is_dir():
        return f"report folder {folder}: {existing} is a file, not a folder"
    if existing == folder:
        taken = [name for name in REPORT_FILES if _is_folder_at_file_name(folder, name)]
        if taken:
            return f"report folder {folder}: {folder / taken[0]} is a folder; remove it"
    try:
        _probe_write(existing)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        return f"report folder {folder}: cannot write in {existing}: {reason}"
    return None


def _is_folder_at_file_name(folder: Path, name: str) -> bool:
    """A real folder where a report file goes: rename cannot replace it, and checker
    does not delete a folder it did not make."""
    path = folder / name
    return path.is_dir() and not path.is_symlink()


def _probe_write(folder: Path) -> None:
    descriptor, name = tempfile.mkstemp(dir=folder, prefix=".checker-probe-")
    try:
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(bytes(_PROBE_BYTES))
            handle.flush()
            os.fsync(handle.fileno())
    finally:
        Path(name).unlink(missing_ok=True)


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
        data = read_regular_file(stored, _MAX_PLOT_BYTES)
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
    with os.fdopen(_open_lock(folder / ".lock"), "a") as handle:
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


_LOCK_FLAGS = os.O_WRONLY | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _open_lock(path: Path) -> int:
    """The lock file, as a regular file of this folder: a link, FIFO or device left at its
    name is removed and the file made afresh, never opened through or waited on."""
    for _ in range(2):
        try:
            descriptor = os.open(path, _LOCK_FLAGS, 0o644)
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENXIO, errno.EMLINK):
                raise
        else:
            if stat.S_ISREG(os.fstat(descriptor).st_mode):
                return descriptor
            os.close(descriptor)
        path.unlink()
    raise OSError(errno.EEXIST, f"{path} keeps being replaced by something not a file")


def _own_folder(path: Path) -> None:
    """`path` as a real folder: a link or file at that name is replaced, so what is
    written under it stays in the report folder."""
    if path.is_symlink() or (path.exists() and not path.is_dir()):
        path.unlink()
    path.mkdir(exist_ok=True)


def _write_all(
    results: Sequence[ClaimResult],
    views: Mapping[str, ClaimView],
    report: Mapping[str, Any],
    folder: Path,
) -> dict[str, Path]:
    summary = {**report["summary"], "seed": report["environment"]["seed"]}
    plots = {}
    _own_folder(folder / "plots")
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
