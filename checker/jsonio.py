"""JSON-safe values and atomic file writes, shared by the result cache and the reports.

A report or cache entry is either the old file or the new one, never half of
each: it is written to a temporary file in the same folder and renamed over.
"""

from __future__ import annotations

import math
import os
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["atomic_write", "plain"]

_FILE_MODE = 0o644


def plain(value: Any) -> Any:
    """JSON-safe: NumPy scalars to floats, tuples to lists, non-finite floats to "inf"/"nan"."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def atomic_write(path: Path, data: str | bytes, durable: bool = True) -> None:
    """Write through a temporary file and a rename: readers never see a partial file.

    `durable` also flushes the data to disk before the rename, so a report survives a
    power cut. Cache entries pass False: each costs a disk flush (a third of cold lint's
    file writing), and a cache entry lost or damaged in a crash is computed again.
    """
    descriptor, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.chmod(temporary, _FILE_MODE)  # mkstemp makes 0600; reports are for reading
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data.encode("utf-8") if isinstance(data, str) else data)
            if durable:
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
