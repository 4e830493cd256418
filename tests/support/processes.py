"""The process tree, read from /proc: what a server started, and what is left."""

import time
from pathlib import Path


def _stat(pid: int) -> list[str]:
    # The command name may hold spaces and parentheses: the fields start after the last ')'.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def descendants(pid: int) -> set[int]:
    """Every process below ``pid``, however deep."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found, todo = set(), [pid]
    while todo:
        for child in parents.get(todo.pop(), []):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def alive(pids: set[int]) -> set[int]:
    """Those of ``pids`` still running (zombies are dead)."""
    out = set()
    for pid in pids:
        try:
            if _stat(pid)[0] != "Z":
                out.add(pid)
        except OSError:
            continue
    return out


def niceness(pid: int) -> int:
    return int(_stat(pid)[16])


def wait_gone(pids: set[int], timeout: float = 10.0) -> set[int]:
    """Wait until none of ``pids`` runs; what still runs after ``timeout``."""
    left = alive(pids)
    for _ in range(int(timeout / 0.25)):
        if not left:
            break
        time.sleep(0.25)
        left = alive(pids)
    return left
