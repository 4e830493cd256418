"""Start-up cost that dependencies impose and emoface does not need."""

from __future__ import annotations

import contextlib
import importlib
import sys
import types
from collections.abc import Iterator


@contextlib.contextmanager
def deferred(name: str) -> Iterator[None]:
    """While the block runs, ``import name`` gives a stand-in that imports
    the real module on first use. Modules imported in the block keep the
    stand-in (it forwards every attribute); later imports get the real one.
    For dependencies that import a heavy module at start-up only to use it
    in functions emoface never calls."""
    if name in sys.modules:
        yield
        return
    stand_in = types.ModuleType(name, f"stand-in for {name}, imported on first use")

    def __getattr__(attr: str):
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
        return getattr(importlib.import_module(name), attr)

    stand_in.__getattr__ = __getattr__
    sys.modules[name] = stand_in
    try:
        yield
    finally:
        if sys.modules.get(name) is stand_in:
            del sys.modules[name]
