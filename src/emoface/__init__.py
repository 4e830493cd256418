"""emoface: make a portrait talk, offline, on a CPU.

>>> import emoface
>>> result = emoface.generate("portrait.jpg", "speech.wav", output="talk.mp4")
>>> result.track.channel("jawOpen")  # the motion that was rendered
"""

# The renderer package first: importing it later would rebind ``emoface.render``
# from the function below to the package.
from . import render as _render_package  # noqa: F401
from .errors import EmofaceError, FaceError, InputError, ModelError, OptionError, OutputError
from .export import load_track, save_track
from .motion import ARKIT_NAMES, Blendshape, MotionTrack, combine
from .options import EMOTIONS, MotionOptions, RenderOptions
from .pipeline import Result, blendshapes, capture, dub, export_3d, generate, make_track, render, retarget

__version__ = "0.1.0"

__all__ = [
    "ARKIT_NAMES", "Blendshape", "EMOTIONS", "EmofaceError", "FaceError", "InputError",
    "ModelError", "MotionOptions", "MotionTrack", "OptionError", "OutputError",
    "RenderOptions", "Result", "blendshapes", "capture", "combine", "dub", "export_3d", "generate", "load_track",
    "make_track", "render", "retarget", "save_track",
]
