"""The portrait renderer: a MotionTrack drawn onto a photo."""

from .portrait import PortraitRenderer

__all__ = ["PortraitRenderer"]
