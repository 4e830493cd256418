"""Save and load a MotionTrack by file suffix.

Adding a format is one module with ``save(track, path)`` and ``load(path)`` and
one line in :data:`FORMATS`.
"""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

from ..errors import File, InputError, OptionError
from ..media.atomic import atomic_path
from ..motion import MotionTrack
from . import csv_livelink, json_track, npy_track, npz_track

FORMATS: dict[str, ModuleType] = {
    ".csv": csv_livelink,
    ".json": json_track,
    ".npz": npz_track,
    ".npy": npy_track,
}


def track_format(path: Path) -> ModuleType:
    """The module that reads and writes ``path``'s format, by its suffix."""
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise OptionError(f"{path}: unknown motion format {path.suffix!r}; "
                          f"use one of {', '.join(FORMATS)}")
    return fmt


def save_track(track: MotionTrack, path: str | Path) -> Path:
    """Write ``track`` to ``path`` atomically; the format follows the suffix."""
    path = Path(path)
    fmt = track_format(path)
    with atomic_path(path) as tmp:
        fmt.save(track, tmp)
    return path


def load_track(path: str | Path) -> MotionTrack:
    """Read a track saved by :func:`save_track` (or a Live Link Face CSV)."""
    path = Path(path)
    fmt = track_format(path)
    if not path.is_file():
        raise InputError(File(path), ": motion file not found; check the path")
    try:
        return fmt.load(path)
    except InputError as err:
        raise InputError(File(path), f": {err}") from None
    except (ValueError, KeyError, IndexError, OSError, UnicodeDecodeError) as err:
        raise InputError(File(path), f": not a readable motion track ({err}); "
                         "save one with `emoface blendshapes`") from None
