"""emoface: make a portrait talk, offline, on a CPU.

>>> import emoface
>>> result = emoface.generate("portrait.jpg", "speech.wav", output="talk.mp4")
>>> result.track.channel("jawOpen")  # the motion that was rendered

Names load on first use (as in scipy and librosa), so ``import emoface`` and
``from emoface.motion import MotionTrack`` cost no OpenCV, SciPy or renderer.
"""

from __future__ import annotations

import importlib
import sys
import types

__version__ = "0.1.0"

# Where each public name lives.
_HOMES = {
    "errors": ("EmofaceError", "FaceError", "InputError", "ModelError", "OptionError", "OutputError"),
    "export": ("load_track", "save_track"),
    "motion": ("ARKIT_NAMES", "Blendshape", "MotionTrack", "combine"),
    "options": ("EMOTIONS", "MotionOptions", "RenderOptions"),
    "pipeline": ("Result", "blendshapes", "capture", "dub", "export_3d", "generate", "make_track", "render",
                 "retarget"),
}
_HOME = {name: module for module, names in _HOMES.items() for name in names}
__all__ = sorted(_HOME)


def __getattr__(name: str):
    if name not in _HOME:
        raise AttributeError(f"module 'emoface' has no attribute {name!r}")
    value = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    if name != "render":
        globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``emoface.render`` is the function; the renderer's subpackage of the
    same name is reached by ``from emoface.render.portrait import ...``.
    The import system binds a loaded subpackage onto its parent, which
    would hide the function: this keeps the name for the function."""

    @property
    def render(self):
        from .pipeline import render

        return render

    @render.setter
    def render(self, value) -> None:
        pass


sys.modules[__name__].__class__ = _Package
