import numpy as np
import pytest

from emoface import ARKIT_NAMES, Blendshape, MotionTrack, combine, load_track, save_track
from emoface.errors import InputError, OptionError
from emoface.export.csv_livelink import HEADER
from emoface.motion import N_SHAPES, layer_mask, lip_aperture


def test_arkit_names_and_enum():
    assert len(ARKIT_NAMES) == 52 and len(set(ARKIT_NAMES)) == 52
    assert ARKIT_NAMES[0] == "eyeBlinkLeft" and ARKIT_NAMES[-1] == "tongueOut"
    assert ARKIT_NAMES[Blendshape.JAW_OPEN] == "jawOpen"
    assert ARKIT_NAMES[Blendshape.MOUTH_SMILE_LEFT] == "mouthSmileLeft"


def _layers(t=4):
    z = np.zeros((t, N_SHAPES), np.float32)
    return z.copy(), z.copy(), z.copy()


def _speech(t=50):
    """A mouth layer: an open vowel, a p/b/m at the lip-sync drivers' seal
    (press 0.3, jaw = close = 0.05), another vowel, then a long pause."""
    mouth, eyes, expr = _layers(t)
    mouth[0:10, Blendshape.JAW_OPEN] = 0.5
    mouth[10:13, Blendshape.JAW_OPEN] = mouth[10:13, Blendshape.MOUTH_CLOSE] = 0.05
    mouth[10:13, Blendshape.MOUTH_PRESS_LEFT] = mouth[10:13, Blendshape.MOUTH_PRESS_RIGHT] = 0.3
    mouth[13:20, Blendshape.JAW_OPEN] = 0.4
    return mouth, eyes, expr


@pytest.mark.parametrize("emotion", ["surprised", "fearful", "disgusted", "happy", "contempt"])
def test_expression_never_parts_a_closure_or_a_pause(emotion):
    from emoface.drivers.emotion import recipe_vector

    mouth, eyes, expr = _speech()
    expr[:] = recipe_vector(emotion)
    out = combine(mouth, eyes, expr)
    ap = lip_aperture(out)
    assert (ap[10:13] < 0.1).all()           # the p/b/m seals
    assert (ap[20 + 3:] < 0.1).all()         # 100 ms into the pause the lips rest closed
    assert (out[0:10, Blendshape.JAW_OPEN] >= 0.5).all()  # the vowel still opens
    # The rest of the expression holds through closure and pause.
    for name in ("mouthSmileLeft", "browInnerUp", "noseSneerLeft", "mouthFrownLeft"):
        i = ARKIT_NAMES.index(name)
        assert np.allclose(out[10:, i], min(expr[0, i], 1.0))


def test_surprised_jaw_opens_speech_further_and_rests_in_pauses():
    mouth, eyes, expr = _speech()
    expr[:, Blendshape.JAW_OPEN] = 0.3
    out = combine(mouth, eyes, expr)
    assert out[5, Blendshape.JAW_OPEN] == pytest.approx(0.8)    # speech opens further
    assert out[11, Blendshape.JAW_OPEN] == pytest.approx(0.05)  # the p/b/m keeps its own jaw
    assert out[40, Blendshape.JAW_OPEN] == pytest.approx(0.0)   # the pause rests


def test_bilabial_closure_survives_a_smile_and_a_surprised_jaw():
    mouth, eyes, expr = _layers()
    mouth[:, Blendshape.MOUTH_PRESS_LEFT] = mouth[:, Blendshape.MOUTH_PRESS_RIGHT] = 1.0
    expr[:, Blendshape.MOUTH_SMILE_LEFT] = 0.8
    expr[:, Blendshape.JAW_OPEN] = 0.3
    out = combine(mouth, eyes, expr)
    assert lip_aperture(out[0]) == pytest.approx(0.0)
    assert out[0, Blendshape.MOUTH_SMILE_LEFT] == pytest.approx(0.8)  # the smile stays


def test_blink_wins_over_eye_wide():
    mouth, eyes, expr = _layers()
    eyes[:, Blendshape.EYE_BLINK_LEFT] = 1.0
    expr[:, Blendshape.EYE_WIDE_LEFT] = 0.7
    expr[:, Blendshape.EYE_WIDE_RIGHT] = 0.7
    out = combine(mouth, eyes, expr)
    assert out[0, Blendshape.EYE_WIDE_LEFT] == 0.0
    assert out[0, Blendshape.EYE_WIDE_RIGHT] == pytest.approx(0.7)


def test_layers_only_write_their_channels_and_sum_is_clipped():
    mouth, eyes, expr = _layers()
    eyes[:, Blendshape.JAW_OPEN] = 1.0  # not an eyes channel: ignored
    mouth[:, Blendshape.MOUTH_SMILE_LEFT] = 0.7
    expr[:, Blendshape.MOUTH_SMILE_LEFT] = 0.7
    out = combine(mouth, eyes, expr)
    assert out[0, Blendshape.JAW_OPEN] == 0.0
    assert out[0, Blendshape.MOUTH_SMILE_LEFT] == 1.0
    assert layer_mask("mouth")[Blendshape.JAW_OPEN] and not layer_mask("eyes")[Blendshape.JAW_OPEN]


def _random_track(fps=30.0, n=40):
    rng = np.random.default_rng(3)
    layers = [rng.random((n, N_SHAPES)).astype(np.float32) * 0.5 for _ in range(3)]
    pose = (rng.standard_normal((n, 6)) * 5).astype(np.float32)
    return MotionTrack.from_layers(fps, *layers, pose)


@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_save_load_is_lossless(tmp_path, suffix):
    track = _random_track()
    path = save_track(track, tmp_path / f"t{suffix}")
    back = load_track(path)
    assert back.equals(track)
    for k, v in track.layers.items():
        np.testing.assert_array_equal(back.layers[k], v)


def test_csv_keeps_coefficients_rotation_and_rate(tmp_path):
    """The Live Link Face layout has no translation; all else comes back exactly."""
    track = _random_track(fps=30, n=95)
    back = load_track(save_track(track, tmp_path / "t.csv"))
    assert back.fps == 30
    assert np.array_equal(back.coefficients, track.coefficients)
    assert np.array_equal(back.pose[:, :3], track.pose[:, :3]) and not back.pose[:, 3:].any()


def test_csv_matches_a_real_live_link_face_export(tmp_path):
    """Column for column, and the same timecode and count fields, as an
    iPhone export (tests/data/README.md says where it comes from)."""
    import csv
    import re
    from pathlib import Path

    real = list(csv.reader((Path(__file__).parent / "data" / "live_link_face_export.csv").open()))
    ours = list(csv.reader(save_track(_random_track(fps=60, n=70), tmp_path / "t.csv").open()))
    assert ours[0] == real[0]
    code = re.compile(r"^\d{2}:\d{2}:\d{2}:\d{2}\.\d{3}$")
    for rows in (real[1:], ours[1:]):
        assert all(code.match(r[0]) and r[1] == "61" and len(r) == len(real[0]) for r in rows)
    assert ours[61][0] == "00:00:01:00.000"  # frame 60 at 60 fps
    # And a real export loads (three rows at 60 fps: its rate cannot be told, so it is guessed and said).
    with pytest.warns(UserWarning, match="frame rate"):
        back = load_track(Path(__file__).parent / "data" / "live_link_face_export.csv")
    assert len(back) == 3 and back.channel("jawOpen")[0] == pytest.approx(0.0897284821)


def test_csv_is_live_link_layout(tmp_path):
    path = save_track(_random_track(fps=25, n=30), tmp_path / "t.csv")
    header = path.read_text().splitlines()[0].split(",")
    assert header[:2] == ["Timecode", "BlendShapeCount"]
    assert header[2] == "EyeBlinkLeft" and header[2 + 51] == "TongueOut"
    assert header[54:57] == ["HeadYaw", "HeadPitch", "HeadRoll"]
    row = path.read_text().splitlines()[26].split(",")
    assert row[0] == "00:00:01:00.000" and row[1] == "61"
    assert list(HEADER) == header


def test_a_recording_that_starts_mid_second_gets_its_rate(tmp_path):
    from emoface.export.csv_livelink import _fps_from_timecodes, timecode

    codes = [f"00:32:{timecode(i + 17, 30)[6:]}" for i in range(100)]
    assert _fps_from_timecodes(codes) == 30


@pytest.mark.parametrize("content", ["", "a,b,c\n1,2,3\n", "\x00\x01garbage"])
def test_bad_motion_files_fail_cleanly(tmp_path, content):
    p = tmp_path / "bad.csv"
    p.write_text(content)
    with pytest.raises(InputError) as err:
        load_track(p)
    assert "bad.csv" in str(err.value)


def test_bad_json_and_missing_and_unknown_suffix(tmp_path):
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError):
        load_track(tmp_path / "bad.json")
    with pytest.raises(InputError, match="not found"):
        load_track(tmp_path / "missing.npz")
    with pytest.raises(OptionError, match="unknown motion format"):
        load_track(tmp_path / "x.bvh")


def test_track_rejects_bad_shapes_and_nan():
    with pytest.raises(InputError):
        MotionTrack(25, np.zeros((3, 51)), np.zeros((3, 6)))
    bad = np.zeros((3, 52))
    bad[1, 1] = np.nan
    with pytest.raises(InputError):
        MotionTrack(25, bad, np.zeros((3, 6)))


def test_npy_is_emotalk_frames_by_52(tmp_path):
    track = _random_track(fps=30, n=20)
    path = save_track(track, tmp_path / "t.npy")
    arr = np.load(path)
    assert arr.shape == (20, 52) and arr.dtype == np.float32
    assert np.array_equal(arr, track.coefficients)
    back = load_track(path)
    assert back.fps == 30 and np.array_equal(back.coefficients, track.coefficients)
    np.save(tmp_path / "bad.npy", np.zeros((5, 51), np.float32))
    with pytest.raises(InputError, match="bad.npy.*frames, 52"):
        load_track(tmp_path / "bad.npy")
