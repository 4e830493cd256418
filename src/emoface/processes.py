"""How a job uses this machine: its run settings, passed down rather than
set process-wide, and whether this process may still fork.

A forked child copies the parent's memory but only the thread that forked,
so a thread mid-flight elsewhere (a native library's, a second job's)
leaves its locks held for good in the child. :func:`fork_is_safe` is the
one rule every fork in emoface follows."""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import sys
import threading
from dataclasses import dataclass
from functools import lru_cache

_forbidden = False


@dataclass(frozen=True)
class RunSettings:
    """How one job runs: ``threads`` frames render at once; with
    ``overlap_motion`` a short clip's motion is made in a forked process
    while this one prepares the portrait (off for a batch's workers, which
    keep to their share of the cores)."""

    threads: int = min(2, os.cpu_count() or 1)
    overlap_motion: bool = True


def forbid_fork() -> None:
    """Native threads now stay alive in this process; workers must not be forked."""
    global _forbidden
    _forbidden = True


def may_fork() -> bool:
    """Whether nothing kept alive forbids forking (a kept tracker's threads)."""
    return not _forbidden and "fork" in multiprocessing.get_all_start_methods()


def fork_is_safe() -> bool:
    """Whether a fork now copies no thread mid-flight: nothing kept alive
    forbids it and this is the process's only Python thread (under
    ``serve --workers 2`` another job's thread may be inside MediaPipe)."""
    return may_fork() and threading.active_count() == 1


@lru_cache(maxsize=1)
def keep_frame_buffers() -> bool:
    """Keep per-frame buffers (a few MB each, freed and re-made every frame)
    on the heap instead of fresh mmaps.

    With glibc's default thresholds each such buffer can come back as a
    new mapping whose pages fault in again; measured on a 512 px crop, that
    was 40 % of the render time, depending on what the process had done
    before. Process-wide but harmless: freed memory is reused, not grown.
    Returns whether the setting applied (glibc only). Called by a
    program's entry (the CLI, a service job), never by a library call: a
    program embedding emoface decides its own heap.
    """
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:
        return False
    m_trim_threshold, m_mmap_threshold = -1, -3  # glibc malloc.h
    return bool(libc.mallopt(m_mmap_threshold, 64 << 20)) and bool(libc.mallopt(m_trim_threshold, 128 << 20))
