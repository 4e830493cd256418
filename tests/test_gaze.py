"""Gaze and blinks: eyes that look alive, with a speaker's statistics."""

import numpy as np

from emoface.drivers.eyes import blink_times, eyes_layer
from emoface.drivers.gaze import gaze_coefficients, gaze_path, pauses
from emoface.motion import ARKIT_NAMES

FPS = 25.0


def _speech_level(seconds=60.0, seed=0):
    """Phrases of 1.5-4 s separated by pauses of 0.3-1.2 s."""
    rng = np.random.default_rng(seed)
    level, t = np.zeros(int(seconds * FPS)), 0.0
    while t < seconds:
        a, t = t, t + rng.uniform(1.5, 4.0)
        level[int(a * FPS):int(t * FPS)] = 0.6
        t += rng.uniform(0.3, 1.2)
    return level


def test_camera_gaze_holds_the_camera_and_wander_looks_away_more():
    level = _speech_level()
    cam, wan = gaze_path(level, fps=FPS, mode="camera", seed=1), gaze_path(level, fps=FPS, mode="wander", seed=1)
    assert 0.6 < cam.on_camera.mean() < 0.95
    assert wan.on_camera.mean() < cam.on_camera.mean() - 0.1
    # Fixations last a few hundred ms to a couple of seconds; most saccades are small.
    fix = np.diff(cam.saccades) / FPS
    assert 0.2 < np.median(fix) < 1.5
    assert np.median(cam.sizes) < 3.0 and cam.sizes.max() > 5.0
    assert not gaze_path(level, fps=FPS, mode="still", seed=1).angles.any()


def test_glances_away_start_at_phrase_ends():
    level = _speech_level()
    g = gaze_path(level, fps=FPS, mode="camera", seed=2)
    starts = np.flatnonzero(np.diff(g.on_camera.astype(int)) == -1) + 1
    ends = [a for a, _ in pauses(level, FPS)]
    near = [min(abs(s - e) for e in ends) <= 1 for s in starts]
    assert len(starts) >= 5 and np.mean(near) > 0.6


def test_the_upper_lid_follows_the_eye_down_and_both_eyes_turn_together():
    c = gaze_coefficients(np.array([[10.0, -11.0], [-8.0, 5.0]]))
    n = ARKIT_NAMES.index
    assert c[0, n("eyeLookDownLeft")] > 0.4 and c[0, n("eyeBlinkLeft")] > 0.1
    assert c[0, n("eyeLookOutLeft")] == c[0, n("eyeLookInRight")] > 0
    assert c[1, n("eyeLookUpRight")] > 0 and c[1, n("eyeBlinkRight")] == 0
    assert c[1, n("eyeLookOutRight")] == c[1, n("eyeLookInLeft")] > 0


def test_blinks_keep_their_rate_and_gather_at_phrase_ends():
    level = _speech_level(300.0)
    layer = eyes_layer(300.0, level, fps=FPS, per_minute=15.0, seed=3)
    blink = layer[:, ARKIT_NAMES.index("eyeBlinkLeft")]
    onsets = np.flatnonzero((blink[1:] > 0.9) & (blink[:-1] <= 0.9))
    assert 10 <= len(onsets) / 5 <= 20  # about 15 a minute
    quiet = level < 0.1
    assert quiet[onsets].mean() > quiet.mean() + 0.1  # likelier in pauses than by chance
    assert (np.diff(onsets) / FPS >= 0.9).all()
    # Seeded: same seed, same eyes.
    assert np.array_equal(layer, eyes_layer(300.0, level, fps=FPS, per_minute=15.0, seed=3))
    assert not blink_times(10.0, per_minute=0.0, seed=0, cues=[(5.0, 1.0)]).size


def test_a_glance_away_moves_the_rendered_iris(tmp_path, astronaut, astronaut_face):
    from emoface.render import PortraitRenderer

    renderer = PortraitRenderer(astronaut, astronaut_face, 512)
    c = renderer.baseline.copy()
    ahead = renderer.render(c, np.zeros(6, np.float32))
    away = renderer.render(np.maximum(c, gaze_coefficients(np.array([[12.0, 6.0]]))[0]), np.zeros(6, np.float32))
    x0, y0, x1, y1 = map(int, astronaut_face.bbox)
    eyes = np.s_[y0 + (y1 - y0) // 5: y0 + (y1 - y0) // 2, x0:x1]
    assert np.abs(away[eyes].astype(float) - ahead[eyes]).mean() > 0.5
