"""Pacing the kernel's writeback of a PostgreSQL data directory, from outside PostgreSQL.

PostgreSQL's new pages reach the page cache unsynced, and Linux writes a file's dirty pages
back together once the oldest is 30 s old: ~200 MB at once here, which held every commit
for 80 - 230 ms (bench/README.md, "2026-11-27, noon"). On a database host that is
`vm.dirty_background_bytes` (deploy/README.md). Without root, the same effect: every `every`
seconds, start the writeback (`sync_file_range(SYNC_FILE_RANGE_WRITE)`, which does not wait
for it) of each data file written since the last pass. Linux only; elsewhere nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from types import TracebackType
from typing import cast

SYNC_FILE_RANGE_WRITE = 2
# The relations' files (pg_wal is flushed by PostgreSQL itself).
SUBDIRECTORIES = ("base", "global")
SyncFileRange = Callable[[int, int, int, int], int]  # (fd, offset, nbytes, flags) -> 0 or -1


class WritebackPacer:
    """A thread starting the writeback of `data_dir`'s changed relation files every `every`
    seconds; `passes` and `files` count what it did."""

    def __init__(self, data_dir: Path, every: float = 0.5) -> None:
        self.data_dir = data_dir
        self.every = every
        self.passes = 0
        self.files = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="writeback-pacer", daemon=True)
        self._sync_file_range = _sync_file_range()

    @property
    def available(self) -> bool:
        return self._sync_file_range is not None

    def __enter__(self) -> WritebackPacer:
        if self.available:
            self._thread.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()

    def _run(self) -> None:
        since = 0.0
        while not self._stop.wait(self.every if self.passes else 0):
            started = time.time()
            self.files += sum(self._pace(self.data_dir / sub, since) for sub in SUBDIRECTORIES)
            self.passes += 1
            since = started - 1  # a margin for coarse file times

    def _pace(self, directory: Path, since: float) -> int:
        assert self._sync_file_range is not None
        paced = 0
        for root, _dirs, names in os.walk(directory):
            for name in names:
                path = os.path.join(root, name)
                try:
                    if os.stat(path).st_mtime < since:
                        continue
                    fd = os.open(path, os.O_RDONLY)
                except OSError:  # dropped or truncated meanwhile
                    continue
                try:
                    self._sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE)
                    paced += 1
                finally:
                    os.close(fd)
        return paced


def _sync_file_range() -> SyncFileRange | None:
    """libc's sync_file_range(fd, offset, nbytes, flags), or None where there is none."""
    if not sys.platform.startswith("linux"):
        return None
    libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
    function = getattr(libc, "sync_file_range", None)
    if function is None:
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_longlong, ctypes.c_longlong, ctypes.c_uint]
    function.restype = ctypes.c_int
    return cast(SyncFileRange, function)
