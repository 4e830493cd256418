"""Write-then-rename, so an output path never holds a partial file."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from ..errors import File, OutputError


def check_writable(path: str | Path) -> Path:
    """Fail early, with the fix, if ``path`` cannot be created."""
    path = Path(path)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(File(path), ": output path is a directory; give a file name")
    if not parent.is_dir():
        raise OutputError(File(path), f": output folder {parent} does not exist; create it first")
    if not os.access(parent, os.W_OK):
        raise OutputError(File(path), f": cannot write to folder {parent}; choose another output path")
    # Permission bits do not tell everything (root, read-only mounts, /proc):
    # create and remove a file there.
    probe = parent / f".emoface-probe-{secrets.token_hex(4)}"
    try:
        probe.touch(exist_ok=False)
        probe.unlink()
    except OSError as err:
        raise OutputError(File(path), f": cannot write to folder {parent} ({err.strerror}); "
                          "choose another output path") from None
    return path


@contextlib.contextmanager
def atomic_path(path: str | Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it over ``path`` on success.

    On any exception the temporary file is removed and ``path`` is untouched.
    The temporary name keeps the suffix so tools that pick a format by suffix
    (ffmpeg) still do.
    """
    path = check_writable(path)
    tmp = path.with_name(f".{path.stem}.partial-{secrets.token_hex(4)}{path.suffix}")
    try:
        yield tmp
        os.replace(tmp, path)
    except PermissionError as err:
        raise OutputError(File(path), f": cannot write ({err.strerror}); choose another output path") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
