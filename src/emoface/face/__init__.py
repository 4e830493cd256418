"""Face tracking (MediaPipe FaceLandmarker), the canonical mesh and the rig."""

from .tracker import FaceObservation, FaceTracker, track_portrait

__all__ = ["FaceObservation", "FaceTracker", "track_portrait"]
