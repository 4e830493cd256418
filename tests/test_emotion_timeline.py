"""Emotion over time: keyframes, mixtures, JSON timelines, and the mouth through every change."""

import json

import numpy as np
import pytest

from emoface.drivers.emotion import parse_emotion, recipe_vector, timeline_expression
from emoface.errors import OptionError
from emoface.motion import ARKIT_NAMES, lip_aperture
from emoface.options import MotionOptions

FPS = 25.0
SMILE = ARKIT_NAMES.index("mouthSmileLeft")
FROWN = ARKIT_NAMES.index("mouthFrownLeft")


def test_keyframes_hold_each_emotion_in_its_span_and_ease_between():
    keys = parse_emotion("0:neutral, 2.5:happy@0.8, 6:sad@0.5", intensity=0.7)
    x = timeline_expression(keys, 200, FPS, ease_seconds=0.5)
    t = np.arange(200) / FPS
    assert not x[t < 2.5].any()
    assert np.allclose(x[(t > 3.1) & (t < 6)], 0.8 * recipe_vector("happy"), atol=1e-6)
    assert np.allclose(x[t > 6.6], 0.5 * recipe_vector("sad"), atol=1e-6)
    # Smooth: no frame moves more than a smoothstep over 0.5 s allows (1.5 x linear).
    step = np.abs(np.diff(x, axis=0)).max()
    assert step <= 1.5 * 1.0 / (0.5 * FPS) + 1e-6
    # A longer ease spreads the same change over more frames.
    slow = timeline_expression(keys, 200, FPS, ease_seconds=2.0)
    assert np.abs(np.diff(slow, axis=0)).max() < 0.5 * step


def test_a_mixture_is_the_sum_of_its_recipes():
    (key,) = parse_emotion("happy@0.6+surprised@0.3")
    expect = np.clip(0.6 * recipe_vector("happy") + 0.3 * recipe_vector("surprised"), 0, 1)
    assert np.allclose(key.vector(), expect)
    # An emotion written without @ takes --intensity.
    assert parse_emotion("sad", intensity=0.4)[0].mix == (("sad", 0.4),)


def test_a_json_timeline_is_the_same_as_the_string(tmp_path):
    path = tmp_path / "t.json"
    path.write_text(json.dumps({"keys": [{"time": 0, "emotion": "neutral"},
                                         {"time": 1.5, "mix": {"happy": 0.6, "surprised": 0.3}},
                                         {"time": 4, "emotion": "sad", "intensity": 0.5}]}))
    assert parse_emotion(str(path), 0.7) == parse_emotion("0:neutral, 1.5:happy@0.6+surprised@0.3, 4:sad@0.5", 0.7)


@pytest.mark.parametrize("spec, expect", [
    ("hapy", "unknown emotion 'hapy'"),
    ("0:happy, 0:sad", "times must increase"),
    ("2:happy@1.5", "out of range"),
    ("x:happy", "not a number of seconds"),
    ("0:happy, sad", "a keyframe is TIME:EMOTION"),
    ("missing.json", "timeline file not found"),
])
def test_bad_timelines_say_what_is_wrong(spec, expect):
    with pytest.raises(OptionError, match=expect):  # a .json file is read when the motion is made
        MotionOptions(emotion=spec).emotion_keys()


def test_bad_json_timelines(tmp_path):
    for text, expect in (("{", "not valid JSON"), ("[]", "list of keyframes"),
                         ('[{"time": 1}]', 'one of "emotion" or "mix"'),
                         ('[{"time": 0, "emotion": "joy"}]', "unknown emotion 'joy'")):
        path = tmp_path / "bad.json"
        path.write_text(text)
        with pytest.raises(OptionError, match=expect):
            MotionOptions(emotion=str(path)).emotion_keys()


def test_a_keyframe_past_the_speech_is_an_error(alsa_wav):
    from emoface.media.audio import load_audio
    from emoface.pipeline import make_track

    with pytest.raises(OptionError, match="past the end of the speech"):
        make_track(load_audio(alsa_wav), MotionOptions(emotion="0:happy, 30:sad"))


@pytest.mark.slow
def test_lips_close_on_every_bilabial_as_the_emotion_changes_mid_word():
    """Surprise (a dropped jaw) arriving at the very start of a 'b': the
    closure wins, before, during and after the change."""
    from emoface.drivers.lipsync.phones import ipa_segments
    from emoface.media.tts import synthesize
    from emoface.pipeline import make_track

    speech = synthesize("Bob bought a map and maybe a pink umbrella for his mom.")
    bilabials = [s for s in ipa_segments(speech.phones) if s.viseme == "PP"]
    at = bilabials[len(bilabials) // 2].start
    opts = MotionOptions(emotion=f"0:neutral, {at:.3f}:surprised@1, {at + 1.2:.3f}:fearful@1",
                         emotion_ease=0.3, head_motion=0)
    track = make_track(speech, opts)
    ap = lip_aperture(track.coefficients)
    t = np.arange(len(track)) / track.fps
    for seg in bilabials:
        inside = (t >= seg.start - 0.5 / track.fps) & (t < seg.end + 0.5 / track.fps)
        assert ap[inside].min() < 0.1, f"lips open through the bilabial at {seg.start:.2f} s"
    # And the emotion really changed: the expression layer drops the jaw after the key.
    assert track.layers["expression"][t > at + 0.4, ARKIT_NAMES.index("jawOpen")].max() > 0.3
