import numpy as np

from emoface.drivers.emotion import RECIPES, eased_expression, recipe_vector
from emoface.drivers.eyes import blink_curve, blink_times
from emoface.drivers.features import speech_level
from emoface.drivers.head import speech_head
from emoface.motion import Blendshape


def test_silent_signal_gives_zero_level():
    assert speech_level(np.zeros(32000), 16000, 25, 50).max() == 0
    noise = np.random.default_rng(0).standard_normal(32000) * 1e-4  # -80 dBFS hiss
    assert speech_level(noise, 16000, 25, 50).max() == 0


def test_blinks_are_human_paced_and_seeded():
    t = blink_times(600, per_minute=15, seed=4)
    assert 100 < len(t) < 200  # about 15 a minute
    assert np.diff(t).min() >= 1.0
    np.testing.assert_array_equal(t, blink_times(600, per_minute=15, seed=4))
    curve = blink_curve(blink_times(10, per_minute=15, seed=4), 250, 25)
    assert curve.max() == 1.0
    assert (curve > 0.5).mean() < 0.1  # eyes mostly open
    assert blink_curve(blink_times(10, per_minute=0, seed=4), 250, 25).max() == 0


def label_expression(emotion, intensity, frames, fps):
    return eased_expression(recipe_vector(emotion), intensity, frames, fps)


def test_emotions_move_the_expected_channels():
    assert set(RECIPES) >= {"neutral", "happy", "sad", "angry", "surprised", "fearful", "disgusted"}
    sad = label_expression("sad", 1.0, 50, 25)
    assert sad[-1, Blendshape.MOUTH_FROWN_LEFT] > 0.5 and sad[-1, Blendshape.BROW_INNER_UP] > 0.5
    assert sad[0].max() == 0  # eases in
    half = label_expression("happy", 0.5, 50, 25)[-1, Blendshape.MOUTH_SMILE_LEFT]
    full = label_expression("happy", 1.0, 50, 25)[-1, Blendshape.MOUTH_SMILE_LEFT]
    assert half == full / 2


def test_head_moves_with_speech_and_is_still_when_asked():
    level = np.concatenate([np.zeros(50), np.tile([0, 1, 1, 0.5, 0], 40)])
    pose = speech_head(level, fps=25, amount=1.0, seed=0)
    assert np.abs(pose[:, :3]).max() < 8  # degrees: natural, not wild
    assert pose[50:, :3].std() > 0.3
    assert not speech_head(level, fps=25, amount=0.0, seed=0).any()
