"""Synthetic speech with exact phone timings, as ground truth for lip sync.

eSpeak NG (the copy shipped inside the ``espeakng-loader`` wheel) is driven
through ctypes in synchronous retrieval mode with phoneme events switched on.
Every phoneme event carries the absolute output-sample index at which eSpeak
started that phoneme, so the timings come from the synthesiser itself, not
from a recogniser or a forced aligner.

    samples, rate, phones = synthesize("Bob bought a map.")
    # samples: float32 mono in [-1, 1]; rate: 22050
    # phones:  [("B", 0.0, 0.049), ("AA", 0.049, 0.208), ...]  ARPAbet + "SIL"

Where eSpeak's event positions differ from where the articulation happens,
the boundaries are corrected (``refine=True``, the default; ``refine=False``
keeps the raw event positions except for the zero-length-l fix below):

* Stops and affricates: eSpeak writes a stop's closure (its "prepause", pure
  digital silence) *before* it emits the stop's phoneme event, so raw events
  put the closure at the tail of the previous phone and the stop starts at
  its burst.  The closure is given back to the stop: its start moves back
  over the run of exactly-zero samples just before the event (never past the
  previous event, and at most ``_MAX_CLOSURE_S`` out of a preceding pause).
  Other consonants get their (shorter) prepause back the same way, except
  after a pause, which keeps its silence.
* Nasals before a vowel: eSpeak emits a vowel's event after the vowel's
  start when the vowel follows a nasal or liquid, so the nasal's span ends
  with ~20-40 ms of vowel.  For nasals (M N NG) the boundary is moved back to
  the release, found as the first sharp rise of the short-time RMS from the
  nasal murmur to the vowel level.  Liquids (L R W Y) glide smoothly into
  the vowel and are left at eSpeak's boundary.
* A dark l after a vowel ("hail", "help") is synthesised inside the vowel's
  formant sequence and its event has no length; it gets the last
  ``_ABSORBED`` (40 %) of the vowel's span.

Mnemonics that stand for two ARPAbet phones (r-coloured vowels such as
``A@`` in "park", triphthongs, ``@L``) are split in time by fixed fractions
(see ``PHONE_MAP``); an r-coloured vowel that eSpeak follows with its own
``r`` ("jeering") stays one vowel.  Phones are contiguous: the first starts
at 0.0, each ends where the next starts, the last ends at
``len(samples) / rate``; adjacent pauses are merged into one ``SIL``.

Determinism: eSpeak's pitch "flutter" keeps its table position in a static
across calls, which shifts the same text's timings by a few ms depending on
what was synthesised before.  Voices are therefore loaded with a
``flutter 0`` variant (from a private symlinked copy of espeak-ng-data in a
temp dir), so phones depend on (text, voice, rate) only; the audio can
still differ in the amplitude of a few glottal cycles (eSpeak's "roughness"
cycle counter is another such static).

Run as a script for a printout: ``.venv/bin/python benchmarks/espeak_truth.py
"some text"``.
"""

from __future__ import annotations

import atexit
import ctypes
import os
import re
import shutil
import sys
import tempfile
import threading
import warnings

import numpy as np

__all__ = ["ARPABET", "PHONE_MAP", "map_phoneme", "sample_rate", "synthesize"]

ARPABET = (
    "AA AE AH AO AW AY B CH D DH EH ER EY F G HH IH IY JH K L M N NG "
    "OW OY P R S SH T TH UH UW V W Y Z ZH"
).split()

# eSpeak NG mnemonic (stress marks stripped) -> ARPAbet phone, a tuple of
# (phone, share-of-duration) pairs for mnemonics that are two phones, or None
# for marks that carry no sound of their own (the previous phone absorbs
# their span).  Covers every phoneme of eSpeak NG's "en-us" table and its
# parents ("en", "base1", "base"), read from espeak-ng-data/phontab; English
# vowels follow the American values of the en-us table.
_R = 0.6  # vowel's share of an r-coloured vowel (A@ -> AA 60 %, R 40 %)
PHONE_MAP: dict[str, str | tuple[tuple[str, float], ...] | None] = {
    # pauses
    "_": "SIL", "_:": "SIL", "_::": "SIL", "_!": "SIL", "_|": "SIL",
    "_^_": "SIL", "_;_": "SIL", "_X1": "SIL", "||": "SIL", "_\x01": "SIL",
    "1": "SIL",
    # marks without a sound of their own (stress, length, virtual phonemes)
    "%": None, "%%": None, ",": None, ",,": None, "'": None, "''": None,
    "=": None, "'!": None, ":": None, "-": None,
    "#@": None, "#a": None, "#e": None, "#i": None, "#o": None, "#u": None,
    # stops
    "p": "P", "b": "B", "t": "T", "t2": "T", "t#": "T", "t[": "T",
    "d": "D", "d#": "D", "d[": "D", "k": "K", "c": "K", "q": "K",
    "g": "G", "J": "G",
    "?": "T",   # glottal stop: en-us "button"; CMU writes T
    "*": "D",   # alveolar tap
    # affricates
    "tS": "CH", "tS;": "CH", "dZ": "JH", "dZ;": "JH",
    # fricatives
    "f": "F", "v": "V", "v#": "V", "B": "V",
    "T": "TH", "D": "DH",
    "s": "S", "s.": "S", "s;": "S",
    "z": "Z", "z.": "Z", "z;": "Z", "z#": "Z", "z/2": "Z",
    "S": "SH", "S;": "SH", "Z": "ZH", "Z;": "ZH",
    "h": "HH", "C": "HH", "x": "K", "X": "HH", "#X1": "HH",
    "Q": "G", "Q^": "G", 'Q"': "G", "J^": "Y",
    # nasals (syllabic ones keep just the consonant: no vowel is articulated)
    "m": "M", "m-": "M", "n": "N", "n-": "N", "n.": "N", "n^": "N",
    "N": "NG", "N-": "NG",
    # liquids and glides
    "l": "L", "l-": "L", "l/": "L", "l/2": "L", "l/3": "L", "l^": "L",
    "l.": "L", "L": "L", "L/": "L", "l#": "L",
    "r": "R", "r/": "R", "r.": "R", 'r"': "R",
    "R": "R", "R2": "R", "R3": "R", "**": "R",
    "j": "Y", "w": "W", "w#": "W",
    ";": None,   # en: glide between a front vowel and the next vowel ("re;action")
    "r-": None,  # en: linking r after ER ("alter-ing"); CMU has no R there
    # vowels
    "@": "AH", "@-": "AH", "@2": "AH", "@5": "AH", "@#": "AH",
    "@L": (("AH", 0.4), ("L", 0.6)),
    "3:": "ER", "3": "ER",
    "V": "AH", "VR": (("AH", _R), ("R", 1 - _R)),
    "a": "AE", "aa": "AE", "a2": "AH", "a#": "AH", "a#2": "AH",
    "A:": "AA", "A#": "AA", "A~": "AA",
    "A@": (("AA", _R), ("R", 1 - _R)),
    "0": "AA", "0#": "AA", "02": "AA",
    "O": "AO", "O:": "AO", "O2": "AO", "O~": "AO",
    "O@": (("AO", _R), ("R", 1 - _R)), "o@": (("AO", _R), ("R", 1 - _R)),
    "E": "EH", "E2": "EH", "E#": "IH", "e#": "EH", "e": "EY", "e:": "EY",
    "e@": (("EH", _R), ("R", 1 - _R)),
    "eI": "EY",
    "I": "IH", "I2": "IH", "I#": "IH", "I2#": "IH",
    "IR": (("IH", _R), ("R", 1 - _R)),
    "i": "IY", "i:": "IY",
    "i@": (("IY", 0.5), ("AH", 0.5)),  # en-us "-ia" (India); the "near" vowel is i@3
    "i@3": (("IH", _R), ("R", 1 - _R)),
    "U": "UH", "U@": (("UH", _R), ("R", 1 - _R)),
    "u": "UW", "u:": "UW",
    "o": "OW", "o:": "OW", "oU": "OW", "oU#": "OW",
    "aU": "AW", "aI": "AY", "OI": "OY",
    "aI@": (("AY", _R), ("ER", 1 - _R)), "aI3": (("AY", _R), ("ER", 1 - _R)),
    "aU@": (("AW", _R), ("ER", 1 - _R)),
}

_STRESS = "',%="
_STOPS = {"P", "B", "T", "D", "K", "G", "CH", "JH"}
_NASALS = {"M", "N", "NG"}
_VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}
_MAX_CLOSURE_S = 0.15  # cap on a stop closure taken from a preceding pause
_ABSORBED = 0.4  # share of a vowel span given to a zero-length liquid after it ("hail")

# espeak-ng/speak_lib.h
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_PHONEME_EVENTS = 0x0001
_INITIALIZE_DONT_EXIT = 0x8000
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_PHONEMES = 0x100  # text inside [[ ]] is read as eSpeak phoneme mnemonics
_RATE = 1
_VOLUME, _PITCH, _RANGE = 2, 3, 4  # espeak_PARAMETER
_EVENT_LIST_TERMINATED = 0
_EVENT_PHONEME = 7
_EE_OK, _EE_NOT_FOUND = 0, 2
_STEADY = "et_steady_"  # prefix of the flutter-free variant files
_VOICE_RE = re.compile(r"[A-Za-z0-9_-]{1,24}(\+[A-Za-z0-9_-]{1,16})?")  # eSpeak's name buffers are small


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),  # ms
        ("sample", ctypes.c_int),  # absolute output-sample index
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


class _Engine:
    """The process-wide eSpeak NG instance (the library keeps global state)."""

    def __init__(self) -> None:
        try:
            import espeakng_loader
        except ImportError as e:  # pragma: no cover - depends on the environment
            raise RuntimeError("espeak_truth needs the 'espeakng-loader' package (pip install espeakng-loader)") from e
        lib_path = espeakng_loader.get_library_path()
        try:
            data_path = espeakng_loader.get_data_path()
        except Exception as e:
            raise RuntimeError(f"espeak-ng data directory missing from espeakng-loader: {e}") from e
        self.source_data = data_path
        self.steady_dir = self._steady_data(data_path)
        if self.steady_dir is not None:
            data_path = self.steady_dir
        try:
            lib = ctypes.CDLL(lib_path)
        except OSError as e:
            raise RuntimeError(f"cannot load libespeak-ng from {lib_path}: {e}") from e

        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_Initialize.restype = ctypes.c_int
        lib.espeak_SetSynthCallback.argtypes = [_CALLBACK]
        lib.espeak_SetSynthCallback.restype = None
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetVoiceByName.restype = ctypes.c_int
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_SetParameter.restype = ctypes.c_int
        lib.espeak_Synth.argtypes = [
            ctypes.c_void_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int,
            ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
        ]
        lib.espeak_Synth.restype = ctypes.c_int
        lib.espeak_Synchronize.argtypes = []
        lib.espeak_Synchronize.restype = ctypes.c_int

        rate = lib.espeak_Initialize(
            _AUDIO_OUTPUT_SYNCHRONOUS, 0, os.fsencode(data_path),
            _INITIALIZE_PHONEME_EVENTS | _INITIALIZE_DONT_EXIT,
        )
        if rate <= 0:
            raise RuntimeError(f"espeak_Initialize failed (returned {rate}) with data at {data_path}")
        self.lib = lib
        self.rate = int(rate)
        self.lock = threading.Lock()
        self._chunks: list[np.ndarray] = []
        self._events: list[tuple[str, int]] = []
        self._error: BaseException | None = None
        self._callback = _CALLBACK(self._on_synth)  # kept referenced: C holds the pointer
        lib.espeak_SetSynthCallback(self._callback)

    @staticmethod
    def _steady_data(source: str) -> str | None:
        """A private view of espeak-ng-data (symlinks) with flutter-free variants.

        eSpeak NG adds pitch "flutter" from a table whose position is a
        function-local static that carries over from one synthesis to the
        next, so the same text's timings shift by a few ms with the history
        of earlier calls.  Voice variants with ``flutter 0`` make them a
        function of the text alone.  None if the view cannot be built.
        """
        try:
            root = os.path.join(tempfile.mkdtemp(prefix="espeak_truth_"), "espeak-ng-data")
            atexit.register(shutil.rmtree, os.path.dirname(root), True)
            os.mkdir(root)
            for entry in os.listdir(source):
                if entry != "voices":
                    os.symlink(os.path.join(source, entry), os.path.join(root, entry))
            src_variants = os.path.join(source, "voices", "!v")
            variants = os.path.join(root, "voices", "!v")
            os.makedirs(variants)
            names = os.listdir(src_variants) if os.path.isdir(src_variants) else []
            for name in names:
                with open(os.path.join(src_variants, name), "rb") as f:
                    body = f.read()
                with open(os.path.join(variants, _STEADY + name), "wb") as f:
                    f.write(body.rstrip(b"\n") + b"\nflutter 0\n")
            with open(os.path.join(variants, _STEADY), "w") as f:
                f.write("name steady\nflutter 0\n")
            return root
        except OSError as e:
            warnings.warn(f"espeak_truth: no flutter-free voices ({e}); timings will depend on earlier calls", stacklevel=3)
            return None

    def voice_name(self, voice: str) -> str:
        """The eSpeak voice name to load for ``voice`` (flutter-free variant)."""
        if not _VOICE_RE.fullmatch(voice):
            raise ValueError(f"bad espeak-ng voice name {voice!r} (expected e.g. 'en-us' or 'en-us+m3')")
        if self.steady_dir is None:
            return voice
        base, _, variant = voice.partition("+")
        if variant and not os.path.isfile(os.path.join(self.source_data, "voices", "!v", variant)):
            raise ValueError(f"espeak-ng has no voice variant {variant!r}")
        return f"{base}+{_STEADY}{variant}"

    def _on_synth(self, wav, numsamples, events) -> int:
        try:
            if wav and numsamples > 0:
                self._chunks.append(np.ctypeslib.as_array(wav, shape=(numsamples,)).copy())
            if events:
                i = 0
                while events[i].type != _EVENT_LIST_TERMINATED:
                    ev = events[i]
                    if ev.type == _EVENT_PHONEME:
                        name = bytes(ev.id.string).split(b"\0", 1)[0].decode("utf-8", "replace")
                        self._events.append((name, int(ev.sample)))
                    i += 1
            return 0
        except BaseException as e:  # never let an exception cross into C
            self._error = e
            return 1  # abort synthesis

    def run(self, text: str, voice: str, rate_wpm: int,
            voice_params: tuple[int, int, int] = (50, 50, 100)) -> tuple[np.ndarray, list[tuple[str, int]]]:
        lib = self.lib
        with self.lock:
            err = lib.espeak_SetVoiceByName(self.voice_name(voice).encode())
            if err == _EE_NOT_FOUND:
                raise ValueError(f"espeak-ng has no voice named {voice!r}")
            if err != _EE_OK:
                raise RuntimeError(f"espeak_SetVoiceByName({voice!r}) failed with code {err}")
            err = lib.espeak_SetParameter(_RATE, int(rate_wpm), 0)
            if err != _EE_OK:
                raise RuntimeError(f"espeak_SetParameter(rate={rate_wpm}) failed with code {err}")
            for param, value in zip((_PITCH, _RANGE, _VOLUME), voice_params):
                if lib.espeak_SetParameter(param, int(value), 0) != _EE_OK:
                    raise RuntimeError(f"espeak_SetParameter({param}={value}) failed")
            self._chunks, self._events, self._error = [], [], None
            buf = ctypes.create_string_buffer(text.encode("utf-8"))
            err = lib.espeak_Synth(buf, ctypes.sizeof(buf), 0, _POS_CHARACTER, 0, _CHARS_UTF8 | _PHONEMES, None, None)
            lib.espeak_Synchronize()
            chunks, events, error = self._chunks, self._events, self._error
            self._chunks, self._events, self._error = [], [], None
        if error is not None:
            raise RuntimeError(f"error in the espeak-ng synth callback: {error!r}") from error
        if err != _EE_OK:
            raise RuntimeError(f"espeak_Synth failed with code {err}")
        pcm = np.concatenate(chunks) if chunks else np.zeros(0, np.int16)
        return pcm, events


_engine: _Engine | None = None
_engine_lock = threading.Lock()


def _get_engine() -> _Engine:
    global _engine
    if _engine is None:
        with _engine_lock:
            if _engine is None:
                _engine = _Engine()
    return _engine


def sample_rate() -> int:
    """eSpeak NG's output rate in Hz (22050); initialises the library."""
    return _get_engine().rate


_warned: set[str] = set()


def map_phoneme(mnemonic: str) -> str | tuple[tuple[str, float], ...] | None:
    """ARPAbet for one eSpeak mnemonic as it appears in a phoneme event.

    Leading stress marks are stripped; pauses give "SIL"; marks with no sound
    give None; two-phone mnemonics give ((phone, share), ...).  An unknown
    mnemonic (only other languages' tables have them) warns once and falls
    back to the mnemonic with trailing modifiers removed, else "SIL".
    """
    core = mnemonic.lstrip(_STRESS) or mnemonic
    if core in PHONE_MAP:
        return PHONE_MAP[core]
    if core.startswith("_"):
        return "SIL"
    base = core.rstrip("0123456789#:;/.^[-\"")
    fallback = PHONE_MAP.get(base, "SIL") if base else "SIL"
    if mnemonic not in _warned:
        _warned.add(mnemonic)
        warnings.warn(f"espeak_truth: unmapped eSpeak phoneme {mnemonic!r}, using {fallback!r}", stacklevel=2)
    return fallback


def _prepause_starts(bounds: list[int], labels: list[str], pcm: np.ndarray, rate: int) -> None:
    """Give the digital silence eSpeak writes before a phone's event to that phone.

    For stops and affricates it is the closure; before other consonants
    (e.g. 13 ms before a word-initial h or f) it is a short gap.  The start
    moves back over the run of exactly-zero samples, never past the previous
    event; after a pause only stops take any of it, at most _MAX_CLOSURE_S.
    """
    cap = int(round(_MAX_CLOSURE_S * rate))
    for i in range(1, len(labels)):
        if labels[i] == "SIL":
            continue
        after_pause = labels[i - 1] == "SIL"
        if after_pause and labels[i] not in _STOPS:
            continue
        s, prev = bounds[i], bounds[i - 1]
        k = s
        while k > prev and pcm[k - 1] == 0:
            k -= 1
        if after_pause:
            k = max(k, s - cap)
        bounds[i] = k


def _nasal_releases(bounds: list[int], ends: list[int], labels: list[str], pcm: np.ndarray, rate: int) -> None:
    """Move a nasal->vowel boundary back to the nasal release (RMS rise)."""
    win, hop = int(0.010 * rate), max(1, int(0.001 * rate))
    x = pcm.astype(np.float64) / 32768.0
    for i in range(len(labels) - 1):
        if labels[i] not in _NASALS or labels[i + 1] not in _VOWELS:
            continue
        s, e = bounds[i], bounds[i + 1]
        if e - s < 3 * win or ends[i + 1] - e < 2 * win:
            continue
        starts = np.arange(s, e - win + 1, hop)
        env = np.sqrt(np.array([np.mean(x[k : k + win] ** 2) for k in starts]))
        murmur = float(np.median(env[: max(1, len(env) // 3)]))
        vowel = float(np.sqrt(np.mean(x[e : e + 2 * win] ** 2)))
        if murmur <= 0 or vowel < 1.8 * murmur:
            continue  # no clear release inside the nasal's span
        thresh = np.sqrt(murmur * vowel)
        above = np.nonzero(env >= thresh)[0]
        if not len(above):
            continue
        release = int(starts[above[0]]) + win // 2
        if release - s >= win:  # keep at least 10 ms of nasal
            bounds[i + 1] = release


def synthesize(
    text: str, voice: str = "en-us", rate_wpm: int = 160, *, refine: bool = True,
    pitch: int = 50, pitch_range: int = 50, volume: int = 100,
) -> tuple[np.ndarray, int, list[tuple[str, float, float]]]:
    """Return (samples float32 mono in [-1,1], sample_rate, phones) where phones is a list of
    (arpabet_phone, start_seconds, end_seconds), covering the speech; pauses are 'SIL'.

    voice: an eSpeak NG voice name ("en-us", "en", ...); unknown -> ValueError.
    rate_wpm: speaking rate, 80..449 words per minute (from 450 eSpeak
        time-stretches its output with libsonic and the phoneme events no
        longer match the audio, so those rates are refused).
    refine: give stop closures back to the stops and put nasal->vowel
        boundaries at the release (see the module docstring); False keeps
        eSpeak's raw event positions.
    pitch, pitch_range, volume: eSpeak's base pitch and pitch range (0..100, 50 its
        default) and volume (0..200, 100 its default): a calm or an excited voice.
    Text inside [[ ]] is read as eSpeak phoneme mnemonics.
    """
    if not 80 <= int(rate_wpm) < 450:
        raise ValueError(f"rate_wpm must be within 80..449, got {rate_wpm}")
    eng = _get_engine()
    rate = eng.rate
    pcm, events = eng.run(str(text), voice, int(rate_wpm), (pitch, pitch_range, volume))
    n = len(pcm)
    samples = (pcm.astype(np.float32) / 32768.0).clip(-1.0, 1.0)
    if n == 0:
        return samples, rate, []

    # events -> (label or split spec, start sample); marks without sound dropped
    raw: list[tuple[object, int]] = []
    for name, pos in events:
        spec = map_phoneme(name)
        if spec is None:
            continue
        raw.append((spec, min(max(int(pos), 0), n)))
    raw.sort(key=lambda r: r[1])  # stable: eSpeak's order within a sample
    # an r-coloured vowel followed by eSpeak's own r ("jeer-ing": i@3 r) is just the vowel
    for i in range(len(raw) - 1):
        spec = raw[i][0]
        if not isinstance(spec, str) and spec[-1][0] == "R" and raw[i + 1][0] == "R":
            raw[i] = (spec[0][0], raw[i][1])
    if not raw or raw[0][1] > 0:
        raw.insert(0, ("SIL", 0))

    # the first phone of a split mnemonic drives the refinements
    labels = [spec if isinstance(spec, str) else spec[0][0] for spec, _ in raw]
    bounds = [pos for _, pos in raw]
    if refine:
        _prepause_starts(bounds, labels, pcm, rate)
    # eSpeak synthesises a vowel and a following dark l ("hail", "help") as one
    # formant sequence and gives the l's event no length of its own (at most
    # a few samples, or only the next stop's closure); share the span out
    short = int(0.010 * rate)
    for i in range(1, len(raw)):
        nxt = bounds[i + 1] if i + 1 < len(raw) else n
        if labels[i] != "SIL" and labels[i - 1] in _VOWELS and nxt - bounds[i] < short and nxt > bounds[i - 1]:
            bounds[i] = bounds[i - 1] + int(round((1 - _ABSORBED) * (nxt - bounds[i - 1])))
    if refine:
        ends = bounds[1:] + [n]
        _nasal_releases(bounds, ends, labels, pcm, rate)
    ends = bounds[1:] + [n]

    phones: list[tuple[str, int, int]] = []
    for (spec, _), s, e in zip(raw, bounds, ends):
        if e <= s:
            continue
        if isinstance(spec, str):
            parts = [(spec, s, e)]
        else:
            parts, t = [], float(s)
            for ph, share in spec:
                t2 = t + share * (e - s)
                parts.append((ph, int(round(t)), int(round(t2))))
                t = t2
            parts[-1] = (parts[-1][0], parts[-1][1], e)
        for ph, a, b in parts:
            if b <= a:
                continue
            if phones and phones[-1][0] == "SIL" == ph:
                phones[-1] = ("SIL", phones[-1][1], b)
            else:
                phones.append((ph, a, b))
    # contiguous from 0 to n by construction; zero-length leaders were dropped
    if phones[0][1] != 0:
        phones[0] = (phones[0][0], 0, phones[0][2])
    return samples, rate, [(ph, a / rate, b / rate) for ph, a, b in phones]


def _main(argv: list[str]) -> None:
    text = " ".join(argv) or "Bob bought a map. Please, maybe pop by the park."
    samples, rate, phones = synthesize(text)
    print(f"{len(samples) / rate:.3f} s at {rate} Hz, {len(phones)} phones")
    for ph, a, b in phones:
        seg = samples[round(a * rate) : round(b * rate)]
        rms = float(np.sqrt(np.mean(seg.astype(np.float64) ** 2))) if len(seg) else 0.0
        print(f"{ph:4s} {a:7.3f} {b:7.3f} {1000 * (b - a):6.1f} ms  rms {rms:.3f}")


if __name__ == "__main__":
    _main(sys.argv[1:])
