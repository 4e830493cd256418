"""The one progress hook every long stage reports through.

``progress(step, completed, total)`` feeds the CLI's bars, an API caller or
a UI alike (pyannote-audio's hook, simplified).
"""

from __future__ import annotations

from collections.abc import Callable

Progress = Callable[[str, int, int], None]


def quiet(step: str, completed: int, total: int) -> None:
    """The default hook: report nothing."""
