"""Lip sync: the mouth follows phones a viewer can check.

Real Piper speech (exact phone timings) and real LibriVox recordings
(pocketsphinx-testdata) are scored with the same metrics as
benchmarks/lipsync_eval.py.
"""

from __future__ import annotations


import numpy as np
import pytest

from emoface.drivers.features import n_frames, speech_level
from emoface.drivers.lipsync import LipSync, lipsync, phonetic_mouth
from emoface.drivers.lipsync.phones import Segment, arpabet_segments, ipa_segments
from emoface.drivers.lipsync.sphinx import align, cut_points, recognize, spell, words_of
from emoface.errors import InputError
from emoface.media.audio import Audio, load_audio
from emoface.motion import Blendshape
from emoface.motion import lip_aperture as aperture

from lipsync_score import score

FPS = 25.0
SENTENCE = "Bob bought a map, and maybe a pink umbrella for his mom."


@pytest.fixture(scope="module")
def piper_speech():
    from emoface.media.tts import synthesize

    return synthesize(SENTENCE)


def _run(audio: Audio, **kw) -> tuple[LipSync, np.ndarray]:
    signal = audio.mono(16000)
    level = speech_level(signal, 16000, FPS, n_frames(audio.duration, FPS))
    return lipsync(signal, 16000, FPS, level, **kw), level


@pytest.mark.slow
def test_synthesised_speech_closes_every_bilabial_and_opens_vowels(piper_speech):
    res, _ = _run(piper_speech.audio, phones=piper_speech.phones, alphabet="ipa")
    assert res.method == "synthesis"
    s = score(res.layer, FPS, ipa_segments(piper_speech.phones))
    assert s["bilabials"] >= 7 and s["bilabial_closed"] == 1.0
    assert s["open_vowel_opened"] >= 0.8
    ap = aperture(res.layer)
    assert ap[0] < 0.1 and ap[-1] < 0.1  # starts and ends at rest
    assert s["openness_r"] > 0.7 and abs(s["offset_ms"]) <= 40


def test_transcript_alignment_scores_against_the_synthesisers_truth(piper_speech):
    res, _ = _run(piper_speech.audio, text=SENTENCE)
    assert res.method == "alignment"
    s = score(res.layer, FPS, ipa_segments(piper_speech.phones))
    assert s["bilabial_closed"] >= 0.9
    assert s["openness_r"] > 0.5  # seeded voice: r 0.68 (other seeds 0.38-0.68)


@pytest.mark.slow
def test_free_speech_recognition_on_real_recordings(librivox_wav):
    text = "he was not an ill disposed young man"
    audio = load_audio(librivox_wav)
    truth = arpabet_segments(align(audio.mono(16000), text))
    res, _ = _run(audio)
    assert res.method == "recognition"
    assert {p.label for p in res.phones} >= {"M", "N"}  # recognised, not invented
    s = score(res.layer, FPS, truth)
    assert s["silence_closed"] >= 0.9
    assert s["openness_r"] > 0.6
    assert abs(s["offset_ms"]) <= 40


def test_short_bilabial_between_open_vowels_still_closes():
    segs = [Segment("sil", 0, 0.3), Segment("aa", 0.3, 0.6), Segment("PP", 0.6, 0.625),
            Segment("aa", 0.625, 0.9), Segment("sil", 0.9, 1.2)]
    level = np.r_[np.zeros(8), np.full(15, 0.8), np.zeros(7)].astype(np.float32)
    layer = phonetic_mouth(segs, level, FPS)
    ap = aperture(layer)
    assert ap[10:14].max() > 0.4  # the first vowel is open
    assert ap[15] < 0.1  # 25 ms /b/ shown on the frame nearest its centre
    assert layer[15, Blendshape.MOUTH_CLOSE] > 0 or layer[15, Blendshape.JAW_OPEN] < 0.07
    assert ap[:6].max() < 0.05 and ap[-4:].max() < 0.05  # rest closed in pauses


def test_lips_round_before_a_rounded_vowel_sounds():
    segs = [Segment("DD", 0.0, 0.2), Segment("kk", 0.2, 0.3), Segment("U", 0.3, 0.6)]
    layer = phonetic_mouth(segs, np.full(15, 0.7, np.float32), FPS)
    pucker = layer[:, Blendshape.MOUTH_PUCKER]
    k_frame = int(0.27 * FPS)  # during the /k/, before the vowel starts
    assert pucker[k_frame] > 0.15  # anticipation: "coo" rounds on the k
    assert pucker[2] < 0.05


def test_louder_speech_opens_wider():
    segs = [Segment("aa", 0.0, 0.6)]
    soft = phonetic_mouth(segs, np.full(15, 0.2, np.float32), FPS)[7, Blendshape.JAW_OPEN]
    loud = phonetic_mouth(segs, np.full(15, 1.0, np.float32), FPS)[7, Blendshape.JAW_OPEN]
    assert loud > soft * 1.3


def test_ipa_marks_carry_time_but_no_shape():
    phones = [("^", 0, 0.05), ("b", 0.05, 0.1), ("ˈ", 0.1, 0.15), ("ɑ", 0.15, 0.2),
              ("ː", 0.2, 0.25), (" ", 0.25, 0.3), ("m", 0.3, 0.35), (".", 0.35, 0.5)]
    segs = ipa_segments(phones)
    assert [s.viseme for s in segs] == ["sil", "PP", "aa", "PP", "sil"]
    aa = segs[2]
    assert aa.start == 0.1 and aa.end == 0.25  # stress mark before, length mark after
    assert segs[3].start == 0.25  # the word space goes to the next phone


def test_arpabet_diphthongs_glide():
    segs = arpabet_segments([("AY1", 0.0, 0.2)])
    assert [s.viseme for s in segs] == ["aa", "I"] and segs[0].end == pytest.approx(0.12)


@pytest.mark.slow
def test_unknown_words_are_spelled_and_aligned(librivox_wav):
    assert spell("zorbly").split()[0] == "Z"
    assert words_of("It's 2 o'clock!") == ["it's", "two", "o'clock"]
    audio = load_audio(librivox_wav)
    phones = align(audio.mono(16000), "he was not an ill zorbly young man")
    assert phones[-2].label in ("N", "SIL") and len(phones) > 20


def test_empty_or_mismatched_transcript_is_a_clear_error(librivox_wav):
    signal = load_audio(librivox_wav).mono(16000)
    with pytest.raises(InputError, match="no words"):
        align(signal, "?!")


@pytest.mark.slow
def test_long_audio_is_cut_in_pauses_and_joins_seamlessly(librivox_wav):
    x = load_audio(librivox_wav).mono(16000)
    signal = np.concatenate([x, x, x, x])  # 12 s
    cuts = cut_points(signal, chunk_s=3.0)
    assert cuts[0] == 0 and cuts[-1] == len(signal) and len(cuts) >= 4
    hop = 160
    energy = np.array([np.mean(signal[c - hop:c + hop] ** 2) for c in cuts[1:-1]])
    assert (energy < np.mean(signal ** 2) * 0.05).all()  # cuts land in pauses

    whole = recognize(signal, workers=1)
    events = []
    chunked = recognize(signal, progress=lambda *e: events.append(e), workers=2, chunk_s=3.0)
    assert events[-1][1] == events[-1][2] >= 3  # progress per chunk
    times = np.arange(0, 12, 0.01)
    label = {p: i for i, p in enumerate(sorted({p.label for p in whole + chunked}))}

    def at(phones):
        out = np.full(len(times), -1)
        for p in phones:
            out[(times >= p.start) & (times < p.end)] = label[p.label]
        return out

    assert (at(whole) == at(chunked)).mean() > 0.9  # same phones, same times


def test_auto_falls_back_to_acoustic_on_singing():
    rate, t = 16000, np.arange(3 * 16000) / 16000
    f0 = 220 * (1 + 0.01 * np.sin(2 * np.pi * 5 * t))  # a held note with vibrato
    phase = 2 * np.pi * np.cumsum(f0) / rate
    note = sum(np.sin(k * phase) / k for k in range(1, 12)) * 0.2
    note *= np.clip(np.minimum(t, 3 - t) * 10, 0, 1)
    rest = np.zeros(rate // 2)
    song = np.concatenate([rest, note, rest, note[::-1], rest])  # two notes, breaths between
    res, level = _run(Audio(song[:, None].astype(np.float32), rate))
    assert res.method == "acoustic", res.reason
    assert res.layer[:, Blendshape.JAW_OPEN].max() > 0.2  # sings with an open mouth


def test_acoustic_mode_opens_on_speech_and_rests_in_silence(alsa_wav):
    x = load_audio(alsa_wav).mono(16000)
    padded = np.concatenate([np.zeros(16000), x, np.zeros(16000)])
    res, _ = _run(Audio(padded[:, None], 16000), mode="acoustic")
    jaw = res.layer[:, Blendshape.JAW_OPEN]
    assert res.method == "acoustic"
    assert jaw[:20].max() < 0.02 and jaw[-20:].max() < 0.02
    assert jaw[25:-25].max() > 0.3


@pytest.mark.slow
def test_the_same_speech_gives_the_same_mouth(librivox_wav):
    """pocketsphinx dithers its input; a fixed seed keeps the phones, and so
    the mouth, identical from run to run."""
    from emoface.media.audio import load_audio
    from emoface.options import MotionOptions
    from emoface.pipeline import make_track

    audio = load_audio(librivox_wav)
    runs = [make_track(audio, MotionOptions(lipsync="phonetic")).layers["mouth"] for _ in range(3)]
    assert all(np.array_equal(runs[0], r) for r in runs[1:])


def test_auto_says_which_method_made_the_mouth(librivox_wav):
    from emoface.media.audio import load_audio
    from emoface.options import MotionOptions
    from emoface.pipeline import make_track

    steps = []
    make_track(load_audio(librivox_wav), MotionOptions(lipsync="auto"),
               progress=lambda step, done, total: steps.append(step))
    assert "lip sync: recognition" in steps
