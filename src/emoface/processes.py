"""Whether this process may still fork. A forked child copies the parent's
memory but only the thread that forked, so a native library's threads that
live on (a kept MediaPipe tracker's) leave locks held for good in the
child; from then on worker processes start clean instead."""

from __future__ import annotations

import multiprocessing

_forbidden = False


def forbid_fork() -> None:
    """Native threads now stay alive in this process; workers must not be forked."""
    global _forbidden
    _forbidden = True


def may_fork() -> bool:
    return not _forbidden and "fork" in multiprocessing.get_all_start_methods()
