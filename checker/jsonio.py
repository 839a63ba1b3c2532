"""JSON-safe values, bounded reads and atomic writes, shared by the caches and the reports.

A report or cache entry is either the old file or the new one, never half of
each: it is written to a temporary file in the same folder and renamed over,
which also replaces a link at that name instead of writing through it.
Everything checker reads from a folder someone else may have filled (claim
files, cache entries, a report folder's mutation.json) is read by
`read_regular_file`: opened without blocking, refused unless it is a regular
file, and never read past a size limit, so a FIFO, a device or a huge sparse
file costs nothing.
"""

from __future__ import annotations

import json
import math
import os
import stat
import tempfile
from pathlib import Path
from typing import Any

__all__ = [
    "FileTooLarge",
    "NotRegularFile",
    "atomic_write",
    "plain",
    "read_json_object",
    "read_regular_file",
]

_FILE_MODE = 0o644
MAX_JSON_BYTES = 64 * 2**20  # far above any cache entry or mutation.json checker writes
_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)


class NotRegularFile(OSError):
    """A FIFO, device, socket or folder where a file was expected: never read from."""


class FileTooLarge(OSError):
    """A file over the reader's limit; `size` is its size (at least, for a growing file)."""

    def __init__(self, path: Path, size: int, limit: int) -> None:
        super().__init__(f"{path} is {size} bytes; the limit is {limit}")
        self.size = size
        self.limit = limit


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of `path`, refusing anything but a regular file of at most `limit` bytes.

    The type and size come from the opened descriptor, so a name swapped between the
    check and the read cannot slip a FIFO or a device past it; O_NONBLOCK keeps the
    open of a FIFO from waiting for a writer. At most limit + 1 bytes are ever read.
    """
    descriptor = os.open(path, _READ_FLAGS)
    with os.fdopen(descriptor, "rb") as handle:
        status = os.fstat(descriptor)
        if not stat.S_ISREG(status.st_mode):
            raise NotRegularFile(f"{path} is not a regular file")
        if status.st_size > limit:
            raise FileTooLarge(path, status.st_size, limit)
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise FileTooLarge(path, len(data), limit)
    return data


def read_json_object(path: Path, limit: int = MAX_JSON_BYTES) -> dict[str, Any] | None:
    """The JSON object in `path`, or None for a file that is missing, unreadable, not JSON
    or JSON of another kind (a list, a number): every cache entry and mutation.json is an
    object, and anything else is treated as absent and recomputed."""
    try:
        data = json.loads(read_regular_file(path, limit))
    except (OSError, ValueError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


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
