"""Phone timings and their mapping to visemes.

Two phone alphabets arrive here: ARPAbet from pocketsphinx (recognition and
forced alignment) and IPA from Piper / espeak-ng (speech synthesis). Both
become one list of :class:`Segment` (viseme, start, end), which is all the
coarticulation model needs.
"""

from __future__ import annotations

from typing import NamedTuple


class Phone(NamedTuple):
    """One phone: label in its alphabet, start and end in seconds."""

    label: str
    start: float
    end: float


class Segment(NamedTuple):
    """One viseme interval, seconds."""

    viseme: str
    start: float
    end: float


# ARPAbet (CMU, as pocketsphinx's en-us model uses it). Diphthongs glide from
# one shape to another, so they list two visemes; the first takes 60 % of the time.
ARPABET: dict[str, tuple[str, ...]] = {
    "AA": ("aa",), "AE": ("aa",), "AH": ("ah",), "AO": ("O",), "AW": ("aa", "U"),
    "AY": ("aa", "I"), "EH": ("E",), "ER": ("ER",), "EY": ("E", "I"), "IH": ("I",),
    "IY": ("I",), "OW": ("O", "U"), "OY": ("O", "I"), "UH": ("U",), "UW": ("U",),
    "B": ("PP",), "P": ("PP",), "M": ("PP",), "F": ("FF",), "V": ("FF",),
    "TH": ("TH",), "DH": ("TH",), "T": ("DD",), "D": ("DD",), "N": ("DD",),
    "L": ("DD",), "K": ("kk",), "G": ("kk",), "NG": ("kk",), "CH": ("CH",),
    "JH": ("CH",), "SH": ("CH",), "ZH": ("CH",), "S": ("SS",), "Z": ("SS",),
    "R": ("RR",), "W": ("WW",), "Y": ("I",), "HH": ("HH",), "SIL": ("sil",),
}

# IPA symbols as espeak-ng (and so Piper) writes them for English, plus the
# common symbols of other languages so that any Piper voice maps.
IPA: dict[str, tuple[str, ...]] = {
    **dict.fromkeys("ɑaɒæɐ", ("aa",)), **dict.fromkeys("ʌə", ("ah",)),
    **dict.fromkeys("eɛœø", ("E",)), **dict.fromkeys("iɪɨjyʏ", ("I",)),
    **dict.fromkeys("ɔo", ("O",)), **dict.fromkeys("uʊɯ", ("U",)),
    **dict.fromkeys("ɜɝɚ", ("ER",)),
    **dict.fromkeys("pbmɸβ", ("PP",)), **dict.fromkeys("fvɱ", ("FF",)),
    **dict.fromkeys("θð", ("TH",)), **dict.fromkeys("tdnlɾɫɬ", ("DD",)),
    **dict.fromkeys("kgɡŋxɣqʔχ", ("kk",)), **dict.fromkeys("ʃʒɕʑ", ("CH",)),
    **dict.fromkeys("szç", ("SS",)), **dict.fromkeys("ɹrʁʀɻ", ("RR",)),
    **dict.fromkeys("wɥ", ("WW",)), **dict.fromkeys("hɦ", ("HH",)),
}
_IPA_PAUSE = set(".,;:!?^$_") | {"—", "…"}
_IPA_LENGTH = {"ː", "ˑ"}  # lengthens the previous phone
_IPA_MERGE = {"ˈ", "ˌ", " ", "\u0303", "\u0329", "\u032f", "\u0361"}  # no shape of its own


def _split(visemes: tuple[str, ...], start: float, end: float) -> list[Segment]:
    if len(visemes) == 1:
        return [Segment(visemes[0], start, end)]
    mid = start + 0.6 * (end - start)
    return [Segment(visemes[0], start, mid), Segment(visemes[1], mid, end)]


def arpabet_segments(phones: list[Phone] | list[tuple[str, float, float]]) -> list[Segment]:
    """Viseme segments from ARPAbet phones (stress digits and fillers allowed).

    Fillers (+NSN+, +SPN+, +BREATH+ ...) and unknown labels become silence.
    """
    out: list[Segment] = []
    for label, start, end in phones:
        base = label.rstrip("012").upper()
        out.extend(_split(ARPABET.get(base, ("sil",)), start, end))
    return merge(out)


def ipa_segments(phones: list[Phone] | list[tuple[str, float, float]]) -> list[Segment]:
    """Viseme segments from IPA phone symbols with durations (Piper alignments).

    Stress marks and word spaces carry time but no shape: their time goes to
    the next phone (a stress mark precedes its syllable). Length marks extend
    the previous phone; punctuation and sentence ends are pauses.
    """
    out: list[Segment] = []
    pending: float | None = None  # start of time waiting for the next phone
    for label, start, end in phones:
        if label in _IPA_LENGTH and out:
            out[-1] = out[-1]._replace(end=end)
            continue
        if label in _IPA_MERGE:
            pending = start if pending is None else pending
            continue
        if label in _IPA_PAUSE:
            visemes: tuple[str, ...] = ("sil",)
        else:
            visemes = IPA.get(label) or IPA.get(label[:1], ("sil",))
        out.extend(_split(visemes, start if pending is None else pending, end))
        pending = None
    if pending is not None and out:
        out[-1] = out[-1]._replace(end=max(out[-1].end, phones[-1][2]))
    return merge(out)


def merge(segments: list[Segment]) -> list[Segment]:
    """Sort, drop empty intervals and join touching pauses into one.

    Neighbouring consonants of one class stay apart on purpose: "m b" is two
    closures, each with its own frame.
    """
    out: list[Segment] = []
    for seg in sorted(segments, key=lambda s: s.start):
        if seg.end <= seg.start:
            continue
        if out and out[-1].viseme == seg.viseme and seg.start - out[-1].end < 1e-6 \
                and seg.viseme in ("sil",):
            out[-1] = out[-1]._replace(end=seg.end)
        else:
            out.append(seg)
    return out
