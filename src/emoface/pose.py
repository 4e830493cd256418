"""Head pose maths: angles and rotations, and a driver's pose as a change
from its own reference frame (what the renderer applies to a portrait).

A track's pose per frame is (yaw, pitch, roll, x, y, z): the rotation of the
head from its reference frame, as angles in the reference head's own axes
(x right, y up, z toward the viewer), and how far the neck pivot moved, in
centimetres of the face, along the same axes. ``z`` is the move toward the
camera as it would be :data:`VIEW_DISTANCE` away: a head that comes nearer
looks larger by ``VIEW_DISTANCE / (VIEW_DISTANCE - z)``, whatever distance
the driver was filmed at. Pure numpy.
"""

from __future__ import annotations

import math

import numpy as np

#: The point the head turns about, in canonical face centimetres: below and
#: behind the chin, where the neck meets the skull.
NECK_PIVOT = np.array([0.0, -7.5, -6.0])
#: The camera distance (cm) at which a track's ``z`` is expressed.
VIEW_DISTANCE = 60.0


def rotation_from_angles(yaw: float, pitch: float, roll: float) -> np.ndarray:
    """R = Ry(yaw) Rx(pitch) Rz(roll), angles in degrees, canonical axes
    (x right, y up, z toward the viewer)."""
    y, p, r = np.radians([yaw, pitch, roll])
    ry = np.array([[math.cos(y), 0, math.sin(y)], [0, 1, 0], [-math.sin(y), 0, math.cos(y)]])
    rx = np.array([[1, 0, 0], [0, math.cos(p), -math.sin(p)], [0, math.sin(p), math.cos(p)]])
    rz = np.array([[math.cos(r), -math.sin(r), 0], [math.sin(r), math.cos(r), 0], [0, 0, 1]])
    return ry @ rx @ rz


def angles_from_rotation(rot: np.ndarray) -> tuple[float, float, float]:
    """Inverse of :func:`rotation_from_angles`: (yaw, pitch, roll) in degrees."""
    yaw = math.atan2(rot[0, 2], rot[2, 2])
    pitch = math.asin(float(np.clip(-rot[1, 2], -1, 1)))
    roll = math.atan2(rot[1, 0], rot[1, 1])
    return math.degrees(yaw), math.degrees(pitch), math.degrees(roll)


def _rotations(angles: np.ndarray) -> np.ndarray:
    return np.array([rotation_from_angles(*a) for a in np.asarray(angles, np.float64)]).reshape(-1, 3, 3)


def from_camera(pose: np.ndarray, reference: int) -> np.ndarray:
    """Camera-space head poses (T, 6): yaw, pitch, roll and the face origin
    x, y, z in camera centimetres (the tracker's, z negative in front of the
    camera), as a track's pose relative to frame ``reference``.

    The pivot's move is measured where the viewer sees it: across the image
    (its projection, in face centimetres at the reference distance) and in
    apparent size (the ratio of distances), so a face that drifts off-centre
    or toward the camera lands where and as large as the driver's.
    """
    pose = np.asarray(pose, np.float64)
    if not len(pose):
        return np.zeros((0, 6), np.float32)
    rot = _rotations(pose[:, :3])
    pivot = np.einsum("tij,j->ti", rot, NECK_PIVOT) + pose[:, 3:6]
    depth = np.maximum(-pose[:, 5], 1.0)  # the face's distance sets how large it looks
    r0, d0 = rot[reference], depth[reference]
    seen = pivot[:, :2] / depth[:, None] * d0
    moved = np.column_stack([seen - seen[reference], VIEW_DISTANCE * (1 - depth / d0)])
    out = np.empty((len(pose), 6))
    out[:, :3] = [angles_from_rotation(r0.T @ r) for r in rot]
    out[:, 3:] = moved @ r0  # into the reference head's axes (r0.T @ v for each row)
    out[reference] = 0.0  # exactly, not to rounding
    return out.astype(np.float32)


def rebase(pose: np.ndarray, reference: int) -> np.ndarray:
    """A track's pose (T, 6) made relative to its frame ``reference``: the
    same motion, starting from that frame's pose."""
    pose = np.asarray(pose, np.float64)
    if not len(pose) or not np.any(pose[reference]):
        return pose.astype(np.float32)
    rot = _rotations(pose[:, :3])
    r0 = rot[reference]
    out = np.empty_like(pose)
    out[:, :3] = [angles_from_rotation(r0.T @ r) for r in rot]
    out[:, 3:] = (pose[:, 3:] - pose[reference, 3:]) @ r0
    out[reference] = 0.0
    return out.astype(np.float32)


__all__ = ["NECK_PIVOT", "VIEW_DISTANCE", "angles_from_rotation", "from_camera", "rebase",
           "rotation_from_angles"]
