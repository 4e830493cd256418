"""Emotion from words: descriptions and the spoken text."""

import csv
from pathlib import Path

import numpy as np
import pytest

from emoface.drivers.emotion import parse_emotion
from emoface.drivers.text_emotion import describe, text_timeline
from emoface.errors import OptionError
from emoface.motion import ARKIT_NAMES
from emoface.options import MotionOptions

DATA = Path(__file__).parent / "data" / "emotion_descriptions.csv"


def _top(mix):
    e, w = max(mix, key=lambda m: m[1])
    return e if w > 0 else "neutral"


def test_written_descriptions_map_to_the_intended_emotion():
    rows = list(csv.DictReader(DATA.open()))
    assert len(rows) >= 50
    hits = [_top(describe(r["text"])) == r["emotion"] for r in rows]
    assert np.mean(hits) >= 0.8
    # Every emotion is reached by some description.
    assert {r["emotion"] for r, h in zip(rows, hits) if h} >= {"happy", "sad", "angry", "fearful",
                                                               "disgusted", "surprised", "contempt"}


def test_a_description_that_changes_becomes_keyframes():
    keys = parse_emotion(text_timeline("nervous at first, then relieved", 8.0))
    assert [k.time for k in keys] == [0.0, 4.0]
    assert _top(keys[0].mix) == "fearful" and _top(keys[1].mix) == "happy"


def test_negation_and_intensifiers():
    assert _top(describe("not happy at all")) != "happy"
    strong, weak = describe("extremely angry"), describe("slightly angry")
    assert _top(strong) == _top(weak) == "angry" and strong[0][1] > weak[0][1]


def test_overjoyed_smiles_and_grieving_frowns(alsa_wav):
    from emoface.media.audio import load_audio
    from emoface.pipeline import make_track

    audio = load_audio(alsa_wav)
    joy = make_track(audio, MotionOptions(emotion_text="overjoyed")).layers["expression"][-1]
    grief = make_track(audio, MotionOptions(emotion_text="grieving")).layers["expression"][-1]
    smile, frown = ARKIT_NAMES.index("mouthSmileLeft"), ARKIT_NAMES.index("mouthFrownLeft")
    assert joy[smile] > grief[smile] + 0.3
    assert grief[frown] > joy[frown] + 0.3


@pytest.mark.slow
def test_the_spoken_words_set_the_emotion_sentence_by_sentence():
    from emoface.media.tts import synthesize
    from emoface.pipeline import make_track

    speech = synthesize("I lost my dog and I miss him terribly. Then he came home and I was so happy!")
    track = make_track(speech, MotionOptions(emotion="from-text", head_motion=0))
    x = track.layers["expression"]
    t = np.arange(len(track)) / track.fps
    smile, frown = ARKIT_NAMES.index("mouthSmileLeft"), ARKIT_NAMES.index("mouthFrownLeft")
    early, late = t < 0.45 * t[-1], t > 0.8 * t[-1]
    assert x[early, frown].mean() > x[late, frown].mean() + 0.2
    assert x[late, smile].mean() > x[early, smile].mean() + 0.2


def test_text_emotion_mistakes_are_one_line(alsa_wav):
    from emoface.media.audio import load_audio
    from emoface.pipeline import make_track

    with pytest.raises(OptionError, match="not both"):
        MotionOptions(emotion="happy", emotion_text="sad")
    with pytest.raises(OptionError, match="--emotion-text is empty"):
        MotionOptions(emotion_text="  ")
    with pytest.raises(OptionError, match="needs the spoken words"):
        make_track(load_audio(alsa_wav), MotionOptions(emotion="from-text"))
