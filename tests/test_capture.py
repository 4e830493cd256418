"""Capture: a real talking-head video read into motion by the tracker."""

import numpy as np
import pytest

from emoface.drivers.capture import capture_video, image_expression, split_layers
from emoface.errors import FaceError, InputError
from emoface.filters import fill_gaps, one_euro, ping_pong, sample
from emoface.motion import ARKIT_NAMES, layer_mask

JAW, BLINK, SMILE = (ARKIT_NAMES.index(n) for n in ("jawOpen", "eyeBlinkLeft", "mouthSmileLeft"))


def _write(path, frames, fps=24.0):
    from emoface.media.video import write_video

    return write_video(path, frames, fps)


@pytest.mark.slow
def test_every_frame_of_a_talking_head_is_read(franck_capture, franck_mp4):
    c = franck_capture
    assert c.fps == 24.0
    assert len(c.found) == pytest.approx(12 * 24, abs=6)
    assert c.found.all()
    # He talks: the jaw moves; he blinks and smiles at least once in 12 s.
    assert np.ptp(c.coefficients[:, JAW]) > 0.2
    assert c.coefficients[:, BLINK].max() > 0.3
    assert c.coefficients[:, SMILE].max() > 0.5
    # Head pose in degrees and cm, as the change from the first frame: he
    # turns by a few degrees and sways by a centimetre or two.
    track = c.track()
    assert not track.pose[0].any()
    assert 2 < np.ptp(track.pose[:, 0]) < 15  # measured 4.9 degrees, and 1.9 cm of sway
    assert 0.3 < np.ptp(track.pose[:, 3:5], axis=0).max() < 5


@pytest.mark.slow
def test_a_dropping_jaw_does_not_bring_the_head_nearer(franck_capture):
    """The tracker's own distance comes from all its landmarks: on this clip
    it reads the head 2.7 % nearer per unit of jawOpen (r = 0.75 against the
    jaw), so renders swelled as the speaker talked. Read from the skull's
    points, the head's size follows the head alone."""
    from emoface.pose import VIEW_DISTANCE

    c = franck_capture
    grow = VIEW_DISTANCE / (VIEW_DISTANCE - c.track().pose[:, 5])
    jaw = c.coefficients[:, JAW]
    assert abs(np.corrcoef(jaw, grow)[0, 1]) < 0.3
    assert abs(np.polyfit(jaw, grow, 1)[0]) < 0.01
    assert 0.005 < np.ptp(grow) < 0.05  # he does sway toward the camera and back (2 %)


def test_the_head_comes_nearer_as_its_skull_looks_larger():
    from emoface.drivers.capture import _depth_from_skull
    from emoface.face.regions import SKULL

    rng = np.random.default_rng(1)
    skull = rng.normal(0, 50, (len(SKULL), 3))
    size = np.where(np.arange(96) < 48, 1.0, 1.1)  # the head comes nearer, by a tenth
    points = size[:, None, None] * skull + [320, 240, 0]
    pose = np.tile([0, 0, 0, 0, 0, -50.0], (96, 1))
    found = np.ones(96, bool)
    found[20:24] = False  # a gap is bridged
    points[20:24] = 0
    z = _depth_from_skull(pose, points, found, 24.0)[:, 5]
    # Smoothed without lag, the step is eased over a few frames either side.
    assert z[:24] == pytest.approx(z[0], rel=1e-3) and z[72:] == pytest.approx(z[0] / 1.1, rel=1e-3)


def test_smoothing_removes_jitter_without_moving_events():
    rng = np.random.default_rng(0)
    t = np.arange(240) / 24
    clean = np.where((t > 4) & (t < 4.15), 1.0, 0.0) + 0.3 * (t > 7)
    noisy = clean + rng.normal(0, 0.02, len(t))
    out = one_euro(noisy, 24, min_cutoff=2.0, beta=6.0)
    still = t < 3.5
    assert np.std(np.diff(out[still])) < 0.5 * np.std(np.diff(noisy[still]))
    assert np.argmax(out) == np.argmax(clean) or abs(np.argmax(out) - np.argmax(clean)) <= 1
    assert out.max() > 0.75  # a 4-frame blink survives
    # No lag: the step at 7 s is half-way where it is in the input.
    half = np.flatnonzero(out > 0.15)
    assert abs(half[half > 150][0] - np.flatnonzero(clean > 0.15)[-1 - int((t > 7).sum()) + 1]) <= 1


def test_split_layers_keeps_speech_in_the_mouth_and_the_slow_smile_in_the_expression(franck_capture):
    c = franck_capture
    layers = split_layers(c.coefficients, c.fps)
    total = sum(layers.values())
    assert (total >= c.coefficients - 1e-6).all() and np.abs(total - c.coefficients).mean() < 0.01
    for name, layer in layers.items():
        assert not layer[:, ~layer_mask(name)].any(), name
    assert not layers["expression"][:, JAW].any()
    # The expression's smile is the slow part: far less frame-to-frame motion than the raw smile.
    raw = np.abs(np.diff(c.coefficients[:, SMILE], 2)).mean()
    slow = np.abs(np.diff(layers["expression"][:, SMILE], 2)).mean()
    assert slow < 0.5 * raw
    assert layers["expression"][:, SMILE].max() > 0.5


@pytest.mark.slow
def test_a_face_lost_for_a_few_frames_is_bridged(tmp_path, franck_mp4):
    from emoface.media.video import open_video

    _, frames = open_video(franck_mp4)
    clip = []
    for i, f in enumerate(frames):
        if i >= 72:
            break
        clip.append(np.zeros_like(f) if 30 <= i < 36 else f)
    path = _write(tmp_path / "gap.mp4", clip)
    c = capture_video(path)
    assert not c.found[30:36].any() and c.found[:30].all() and c.found[37:].all()
    # Inside the gap every curve lies between its values on either side.
    lo = np.minimum(c.coefficients[29], c.coefficients[36]) - 0.05
    hi = np.maximum(c.coefficients[29], c.coefficients[36]) + 0.05
    assert ((c.coefficients[31:35] >= lo) & (c.coefficients[31:35] <= hi)).all()


def test_bad_videos_say_what_is_wrong(tmp_path, franck_mp4):
    import skimage.data

    with pytest.raises(FaceError, match="no face found in any of its"):
        capture_video(_write(tmp_path / "coffee.mp4", [skimage.data.coffee()[:400, :600]] * 12))
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(franck_mp4.read_bytes()[:3000])
    with pytest.raises(InputError, match="cut.mp4"):
        capture_video(cut)
    (tmp_path / "text.mp4").write_text("not a video")
    with pytest.raises(InputError, match="no video stream"):
        capture_video(tmp_path / "text.mp4")
    with pytest.raises(InputError, match="not found"):
        capture_video(tmp_path / "missing.mp4")


def test_a_photo_gives_its_expression(laugh_png):
    x = image_expression(laugh_png)
    assert x[SMILE] > 0.4
    assert not x[~layer_mask("expression")].any()


def test_a_photos_laugh_is_the_rigs_full_smile_with_its_cheeks(laugh_png):
    """The tracker reads a rendered smile at about half what it reads on a
    real one, and never reads the cheeks: a real laugh must come out as the
    rig's full smile, cheeks raised with it, not as a faint one."""
    from emoface.face.tracker import expression_of, track_portrait
    from emoface.media.image import load_image

    read = expression_of(track_portrait(load_image(laugh_png)).blendshapes)
    x = image_expression(laugh_png)
    assert x[SMILE] >= min(1.0, 1.6 * read[SMILE]) - 1e-6 and x[SMILE] > 0.9
    assert x[ARKIT_NAMES.index("cheekSquintLeft")] > 0.6 > read[ARKIT_NAMES.index("cheekSquintLeft")]


def test_gaps_and_time_maps():
    x = np.array([[0.0], [np.nan], [np.nan], [3.0]])
    assert np.allclose(fill_gaps(x, np.array([True, False, False, True]))[:, 0], [0, 1, 2, 3])
    at = ping_pong(5, 13, 1.0)
    assert list(at) == [0, 1, 2, 3, 4, 3, 2, 1, 0, 1, 2, 3, 4]
    assert np.abs(np.diff(at)).max() == 1.0  # back and forth, never a jump
    assert np.allclose(sample(np.arange(5.0)[:, None], np.array([0.5, 3.25]))[:, 0], [0.5, 3.25])
