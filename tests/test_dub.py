"""Dubbing: a real talking-head video re-synced to other speech."""

import numpy as np
import pytest

from emoface.drivers.capture import capture_video
from emoface.media.audio import load_audio
from emoface.media.video import open_video, write_video
from emoface.motion import ARKIT_NAMES
from emoface.options import MotionOptions
from emoface.pipeline import dub, make_track

JAW = ARKIT_NAMES.index("jawOpen")


def _frames(path, n=None):
    _, frames = open_video(path)
    return np.stack([f for i, f in enumerate(frames) if n is None or i < n]).astype(np.float32)


@pytest.fixture(scope="module")
def dubbed(tmp_path_factory, franck_mp4, librivox_wav):
    out = tmp_path_factory.mktemp("dub") / "dub.mp4"
    return dub(franck_mp4, librivox_wav, output=out)


@pytest.mark.slow
def test_the_lips_follow_the_new_speech(dubbed, librivox_wav, franck_capture):
    speech = make_track(load_audio(librivox_wav), MotionOptions(fps=24)).layers["mouth"][:, JAW]
    seen = capture_video(dubbed.path).coefficients[:, JAW]
    n = min(len(seen), len(speech))
    assert n >= 70
    # The tracker, reading the dubbed video, sees the new speech's jaw, not the old one's.
    assert np.corrcoef(seen[:n], speech[:n])[0, 1] > 0.7
    assert np.corrcoef(franck_capture.coefficients[:n, JAW], speech[:n])[0, 1] < 0.3


@pytest.mark.slow
def test_everything_but_the_mouth_is_the_video_itself(dubbed, franck_mp4, franck_capture):
    out = _frames(dubbed.path)
    src = _frames(franck_mp4, len(out))
    lm = franck_capture.landmarks[: len(out)]
    eyes = int(lm[:, [33, 263], 1].mean())
    nose = int(lm[:, 2, 1].max())
    # Above the nose tip: only the codec's noise.
    assert np.abs(out[:, : nose - 4] - src[:, : nose - 4]).mean() < 2.5
    assert np.abs(out[:, eyes - 12: eyes + 8] - src[:, eyes - 12: eyes + 8]).mean() < 3.0
    # Below it the mouth is redrawn: it differs where the two speeches differ.
    assert np.abs(out[:, nose + 8:] - src[:, nose + 8:]).mean() > 1.0


def test_the_output_lasts_as_long_as_the_new_speech(dubbed, librivox_wav):
    from emoface.media.audio import load_audio

    audio = load_audio(librivox_wav)
    assert abs(len(_frames(dubbed.path)) / 24 - audio.duration) < 0.1
    assert abs(load_audio(dubbed.path).duration - audio.duration) < 0.1


@pytest.mark.slow
def test_a_video_shorter_than_the_speech_plays_forward_and_back(tmp_path, franck_mp4, librivox_wav):
    short = write_video(tmp_path / "short.mp4", [f.astype(np.uint8) for f in _frames(franck_mp4, 36)], 24)
    with pytest.warns(UserWarning, match="plays forward and back"):
        res = dub(short, librivox_wav, output=tmp_path / "out.mp4")
    out = _frames(res.path)
    src = _frames(short)
    assert len(out) >= 2 * len(src)
    # Frame 40 of the output is frame 30 of the video on its way back (upper half: untouched).
    top = slice(0, out.shape[1] // 3)
    assert np.abs(out[40, top] - src[30, top]).mean() < np.abs(out[40, top] - src[10, top]).mean()
    assert np.abs(out[40, top] - src[30, top]).mean() < 3.0


def test_dub_refuses_bad_inputs_in_one_line(tmp_path, capsys, librivox_wav, franck_mp4):
    import skimage.data

    from emoface.cli import run

    out = tmp_path / "o.mp4"
    coffee = write_video(tmp_path / "coffee.mp4", [skimage.data.coffee()[:400, :600]] * 12, 24)
    for video, expect in ((coffee, "no face found"), (tmp_path / "none.mp4", "video file not found")):
        assert run(["--quiet", "dub", "--video", str(video), "--audio", str(librivox_wav), "-o", str(out)]) == 2
        err = capsys.readouterr().err.strip()
        assert len(err.splitlines()) == 1 and expect in err, err
        assert not out.exists()
    assert run(["--quiet", "dub", "--video", str(franck_mp4), "--audio", str(tmp_path / "x.wav"),
                "-o", str(out)]) == 2
    assert "x.wav: audio file not found" in capsys.readouterr().err


@pytest.mark.slow
def test_the_mouth_gain_applies_once(tmp_path, franck_mp4, librivox_wav):
    """--mouth-gain 0.5 halves the dubbed jaw; applied twice it quartered it."""
    short = write_video(tmp_path / "short.mp4", [f.astype(np.uint8) for f in _frames(franck_mp4, 60)], 24)
    full = dub(short, librivox_wav, output=tmp_path / "a.mp4").track.coefficients[:, JAW]
    half = dub(short, librivox_wav, output=tmp_path / "b.mp4",
               motion=MotionOptions(mouth_gain=0.5)).track.coefficients[:, JAW]
    speaking = full > 0.1
    assert 0.4 < np.median(half[speaking] / full[speaking]) < 0.6
