"""emoface: make a portrait talk, offline, on a CPU.

>>> import emoface
>>> result = emoface.generate("portrait.jpg", "speech.wav", output="talk.mp4")
>>> result.track.channel("jawOpen")  # the motion that was rendered
"""

from .errors import EmofaceError, FaceError, InputError, ModelError, OptionError, OutputError
from .export import load_track, save_track
from .motion import ARKIT_NAMES, Blendshape, MotionTrack, combine
from .options import EMOTIONS, MotionOptions, RenderOptions
from .pipeline import Result, blendshapes, generate, make_track, render

__version__ = "0.1.0"

__all__ = [
    "ARKIT_NAMES", "Blendshape", "EMOTIONS", "EmofaceError", "FaceError", "InputError",
    "ModelError", "MotionOptions", "MotionTrack", "OptionError", "OutputError",
    "RenderOptions", "Result", "blendshapes", "combine", "generate", "load_track",
    "make_track", "render", "save_track",
]
