import numpy as np
import pytest

from emoface.errors import FaceError
from emoface.face.mesh import canonical_mesh
from emoface.face.tracker import track_portrait


def test_canonical_mesh_from_the_model_bundle():
    m = canonical_mesh()
    assert m.vertices.shape == (468, 3) and m.triangles.shape == (898, 3)
    assert m.uv.shape == (468, 2) and m.triangles.max() == 467
    assert m.vertices[33, 0] < 0 < m.vertices[263, 0]  # subject's right eye at x < 0
    assert len(m.procrustes) > 20


def test_astronaut_is_tracked_with_golden_values(astronaut_face):
    f = astronaut_face
    assert f.landmarks.shape == (478, 3)
    x0, y0, x1, y1 = f.bbox
    assert 170 < x0 < 190 and 260 < x1 < 280 and 60 < y0 < 80 and 170 < y1 < 190
    assert f.score("mouthSmileLeft") > 0.6  # she smiles
    yaw, pitch, roll = f.pose[:3]
    assert abs(yaw) < 10 and abs(roll) < 10


@pytest.mark.slow
def test_face_in_a_large_photo_is_found_and_mapped_back(astronaut):
    big = np.full((3000, 4096, 3), 90, np.uint8)
    big[2300:2812, 3400:3912] = astronaut
    f = track_portrait(big)
    x0, y0, x1, y1 = f.bbox
    assert 3400 + 170 < x0 < 3400 + 195 and 2300 + 60 < y0 < 2300 + 85


def test_several_faces_largest_by_default_and_by_index(astronaut):
    import cv2

    small = cv2.resize(astronaut, (256, 256))
    canvas = np.full((600, 1000, 3), 200, np.uint8)
    canvas[40:552, 480:992] = astronaut
    canvas[200:456, 20:276] = small
    largest = track_portrait(canvas)
    assert largest.bbox[0] > 480
    left = track_portrait(canvas, face_index=0)
    assert left.bbox[0] < 276
    with pytest.raises(FaceError, match="has 2 face"):
        track_portrait(canvas, face_index=5)


def test_no_face_is_a_clear_error():
    rng = np.random.default_rng(0)
    noise = (rng.random((400, 400, 3)) * 255).astype(np.uint8)
    with pytest.raises(FaceError, match="no face found"):
        track_portrait(noise, source="noise.png")
