"""Phone timings from speech with pocketsphinx, offline.

Two paths, both real pocketsphinx with its bundled en-US model:

- :func:`recognize` -- free speech: phone-loop ("allphone") decoding.
- :func:`align` -- speech + transcript: forced alignment, word then phone
  timings (10 ms resolution).

Long audio is cut into chunks at the quietest moment near every
``CHUNK_S`` seconds; each chunk is decoded with ``CONTEXT_S`` of overlap on
both sides and keeps only the phones centred in its own span, so the joins
fall in pauses and leave no seams. Chunks are decoded on all cores.
"""

from __future__ import annotations

import multiprocessing
import os
import re
from concurrent.futures import ProcessPoolExecutor

import numpy as np

from ...errors import InputError
from ...processes import fork_is_safe
from ...progress import Progress, quiet
from .phones import Phone

RATE = 16_000
CHUNK_S = 30.0  # nominal chunk length
SEARCH_S = 4.0  # look this far either side of a nominal cut for the quietest point
CONTEXT_S = 0.5  # overlap decoded on each side of a chunk
SPAWN_AFTER_S = 600.0  # audio longer than this is decoded by spawned (not forked) workers
FILLERS = ("SIL", "+NSN+", "+SPN+", "+BREATH+", "+COUGH+", "+NOISE+", "+SMACK+", "+UH+", "+UM+")


class AlignmentError(InputError):
    """The transcript's words could not be fitted to the speech."""


def _decoder(**extra: object):
    from pocketsphinx import Decoder

    # Dither: digital silence (exact zeros) upsets the feature normalisation.
    # Seeded, and a decoder per utterance (its noise generator and its running
    # cepstral mean carry over from one utterance to the next): the same
    # speech gives the same phones.
    return Decoder(samprate=RATE, loglevel="FATAL", dither=True, seed=1, **extra)


def _allphone_decoder(**extra: object):
    from pocketsphinx import get_model_path

    # Wide beams: narrower ones (1e-10) lose the search on real speech and
    # return a handful of phones for a minute of audio.
    return _decoder(allphone=get_model_path("en-us/en-us-phone.lm.bin"), lw=2.0,
                    beam=1e-12, pbeam=1e-12, topn=3, **extra)


def pcm16(signal: np.ndarray) -> bytes:
    """Float samples in [-1, 1] as the recogniser (and the live stream) takes
    them: 16-bit little-endian PCM."""
    return (np.clip(signal, -1, 1) * 32767).astype("<i2").tobytes()


def _decode(decoder, pcm: bytes) -> None:
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()


def cut_points(signal: np.ndarray, chunk_s: float = CHUNK_S) -> list[int]:
    """Sample indices where long audio is cut: the quietest 100 ms near every
    ``chunk_s`` seconds. Always starts with 0 and ends with len(signal)."""
    n = len(signal)
    step = int(chunk_s * RATE)
    if n <= step * 1.5:
        return [0, n]
    hop = RATE // 100
    frames = n // hop
    energy = np.square(signal[: frames * hop].reshape(frames, hop).astype(np.float64)).mean(1)
    smooth = np.convolve(energy, np.ones(10) / 10, mode="same")
    cuts = [0]
    while n - cuts[-1] > step * 1.5:
        target = (cuts[-1] + step) // hop
        lo, hi = max(target - int(SEARCH_S * 100), cuts[-1] // hop + 100), target + int(SEARCH_S * 100)
        cuts.append(int(lo + np.argmin(smooth[lo:hi])) * hop)
    return cuts + [n]


def _allphone_chunk(args: tuple[bytes, float, float, float]) -> list[Phone]:
    pcm, offset, keep_from, keep_to = args
    dec = _allphone_decoder()  # 0.1 s to build, per chunk of ~30 s
    _decode(dec, pcm)
    out = []
    for seg in dec.seg():
        start, end = offset + seg.start_frame / 100, offset + (seg.end_frame + 1) / 100
        if keep_from <= (start + end) / 2 < keep_to:
            out.append(Phone(seg.word, max(start, keep_from), min(end, keep_to)))
    return out


def _jobs(signal: np.ndarray, chunk_s: float) -> list[tuple[bytes, float, float, float]]:
    cuts = cut_points(signal, chunk_s)
    ctx = int(CONTEXT_S * RATE)
    jobs = []
    for a, b in zip(cuts[:-1], cuts[1:]):
        lo, hi = max(0, a - ctx), min(len(signal), b + ctx)
        jobs.append((pcm16(signal[lo:hi]), lo / RATE, a / RATE, b / RATE if b < len(signal) else np.inf))
    return jobs


def recognize(signal: np.ndarray, progress: Progress = quiet,
              workers: int | None = None, chunk_s: float = CHUNK_S) -> list[Phone]:
    """Phones in free speech (ARPAbet labels, fillers as in :data:`FILLERS`).

    Parameters
    ----------
    signal : ndarray (N,) float32, 16 kHz mono
    workers : processes to decode with; default all cores, one for short clips.
    chunk_s : nominal length of the chunks decoded separately.

    Returns
    -------
    list of Phone covering the audio, in time order.
    """
    jobs = _jobs(signal, chunk_s)
    workers = min(workers or os.cpu_count() or 1, len(jobs))
    phones: list[Phone] = []
    progress("phones", 0, len(jobs))
    if workers <= 1:
        results = map(_allphone_chunk, jobs)
        for i, part in enumerate(results):
            phones += part
            progress("phones", i + 1, len(jobs))
    else:
        # Forking is fastest to start, but a forked worker carries the parent's
        # pages in its resident set; for long audio spawn clean workers instead.
        method = "fork" if len(signal) < SPAWN_AFTER_S * RATE and fork_is_safe() else "spawn"
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as pool:
            for i, part in enumerate(pool.map(_allphone_chunk, jobs)):
                phones += part
                progress("phones", i + 1, len(jobs))
    return phones


# A typical cepstral mean of speech at 16 kHz. Offline decoding estimates
# the mean from the whole utterance; live decoding starts from this one, so
# the first second is recognised before the running mean has settled
# (bilabials closed on a cold start: 0.67 with the model's default, 0.83
# with this, on Piper speech).
STREAM_CMN = "50,-6,0.5,4,-4,-1,-3,0,-6,-1.5,-3.5,-0.5,1"


class PhoneStream:
    """Phones of live speech as it arrives, each committed once.

    The recogniser's best path still changes near its newest frames, so a
    phone is committed only when it ends ``lag`` seconds before the audio
    received so far; earlier phones never change (a phone may come in
    pieces, as the path grows). One utterance is decoded from the decoder's
    point of view until :meth:`restart` (the caller restarts at pauses: the
    search's cost grows with the utterance).

    Waiting longer does not help: the partial path's boundaries further
    back are no better, and phones committed 80 ms behind came too late for
    a 100 ms look-ahead (bilabials closed on LibriVox: 0.90 at 30 ms, 0.28
    at 80 ms). Live boundaries fall ~25 ms after those of decoding the
    whole clip (against the truth of three sets: Piper, espeak-ng,
    LibriVox), so phones are moved back by ``delay``.
    """

    def __init__(self, lag: float = 0.03, delay: float = 0.02) -> None:
        self.delay = delay
        self.lag = lag
        self._dec = _allphone_decoder(cmninit=STREAM_CMN)
        self._dec.start_utt()
        self._samples = 0
        self._offset = 0.0  # stream time where the current utterance began
        self._done = 0.0  # phones are committed up to here

    @property
    def now(self) -> float:
        """Seconds of audio received."""
        return self._samples / RATE

    @property
    def utterance_seconds(self) -> float:
        return self.now - self._offset

    def feed(self, pcm: bytes) -> list[Phone]:
        """Decode 16-bit mono 16 kHz PCM; the phones it commits."""
        self._dec.process_raw(pcm, full_utt=False)
        self._samples += len(pcm) // 2
        return self._commit(self.now - self.lag)

    def restart(self) -> list[Phone]:
        """Close the utterance here: the phones still pending, final."""
        self._dec.end_utt()
        out = self._commit(np.inf)
        self._dec.start_utt()  # the same decoder: its running cepstral mean carries on
        self._offset = self.now
        return out

    def _commit(self, upto: float) -> list[Phone]:
        out = []
        for seg in self._dec.seg() or []:
            start = self._offset + seg.start_frame / 100
            end = min(self._offset + (seg.end_frame + 1) / 100, self.now)
            if end <= self._done or end > upto:
                continue
            out.append(Phone(seg.word, max(start, self._done) - self.delay, end - self.delay))
            self._done = end
        return out


# --- forced alignment ---------------------------------------------------------

_NUMBERS = ("zero one two three four five six seven eight nine").split()

# Rough letter-to-sound rules for words missing from the dictionary (names,
# coinages). Alignment only needs a plausible phone count and classes; the
# longest matching spelling wins.
_SPELLING = {
    "tch": "CH", "sch": "S K", "tion": "SH AH N", "sion": "ZH AH N", "ph": "F", "th": "TH",
    "sh": "SH", "ch": "CH", "ck": "K", "ng": "NG", "qu": "K W", "wh": "W", "gh": "",
    "ee": "IY", "ea": "IY", "oo": "UW", "ou": "AW", "ow": "OW", "oi": "OY", "oy": "OY",
    "ai": "EY", "ay": "EY", "au": "AO", "aw": "AO", "ie": "IY", "ei": "EY", "ey": "IY",
    "a": "AE", "b": "B", "c": "K", "d": "D", "e": "EH", "f": "F", "g": "G", "h": "HH",
    "i": "IH", "j": "JH", "k": "K", "l": "L", "m": "M", "n": "N", "o": "AA", "p": "P",
    "q": "K", "r": "R", "s": "S", "t": "T", "u": "AH", "v": "V", "w": "W", "x": "K S",
    "y": "IY", "z": "Z",
}


def spell(word: str) -> str:
    """A rough ARPAbet pronunciation of an unknown word, from its letters."""
    out, i = [], 0
    word = re.sub(r"[^a-z]", "", word.lower())
    while i < len(word):
        for n in (4, 3, 2, 1):
            chunk = word[i:i + n]
            if len(chunk) == n and chunk in _SPELLING:
                out.append(_SPELLING[chunk])
                i += n
                break
        else:
            i += 1
    if word.endswith("e") and len(out) > 2 and out[-1] == "EH":  # silent final e
        out.pop()
    return " ".join(p for p in out if p) or "AH"


def words_of(text: str) -> list[str]:
    """Transcript -> dictionary words: lower case, digits spoken one by one."""
    words = []
    for tok in re.findall(r"[a-z]+(?:'[a-z]+)*|\d", text.lower()):
        words.append(_NUMBERS[int(tok)] if tok.isdigit() else tok)
    return words


def align(signal: np.ndarray, text: str, progress: Progress = quiet) -> list[Phone]:
    """Forced alignment of ``text`` to the speech: ARPAbet phones with timings.

    Words missing from pocketsphinx's dictionary get a pronunciation from
    their spelling. Pauses between words come back as SIL.

    Raises
    ------
    InputError
        If the transcript holds no words or cannot be aligned to the audio.
    """
    words = words_of(text)
    if not words:
        raise InputError("the transcript holds no words; give the text that is spoken")
    progress("phones", 0, 2)
    pcm = pcm16(signal)
    error = "no alignment found"
    # Default beams first (fast); wide beams rescue fast or unusual speech
    # (synthetic voices) that the default search prunes away.
    for beams in ({}, {"beam": 1e-80, "wbeam": 1e-60, "pbeam": 1e-80}):
        dec = _decoder(bestpath=False, **beams)
        for w in set(words):
            if dec.lookup_word(w) is None:
                dec.add_word(w, spell(w), True)
        try:
            dec.set_align_text(" ".join(words))
            _decode(dec, pcm)
            progress("phones", 1, 2)
            dec.set_alignment()
            _decode(dec, pcm)
            alignment = dec.get_alignment()
            break
        except RuntimeError as err:
            error = str(err)
    else:
        raise AlignmentError(f"the transcript could not be aligned to the speech ({error}); "
                             "check that it matches the audio")
    phones = [Phone(p.name, p.start / 100, (p.start + p.duration) / 100)
              for w in alignment for p in w]
    progress("phones", 2, 2)
    if not phones:
        raise AlignmentError("the transcript could not be aligned to the speech; "
                             "check that it matches the audio")
    return phones
