"""Emotion from words: a description ("nervous at first, then relieved") or
the spoken text itself, sentence by sentence.

Words are looked up in the NRC Emotion Lexicon (Mohammad and Turney, 2013;
the copy inside the ``nrclex`` package), after light suffix stripping
("grieving" -> "grieve"). Its six basic emotions map onto emoface's; a word
filed under several counts a share to each. A short table of core
descriptors that the lexicon lacks or files too broadly (it has no "sad",
and "disgust" under five emotions) comes first. Negation ("not happy")
drops a word, intensifiers ("very", "slightly") scale it, and sequence
words ("then", "later", "finally") split a description into stages that
follow one another over the clip.

The NRC lexicon's terms allow research use; see its page before using
emotion-from-text commercially.
"""

from __future__ import annotations

import json
import re
from functools import lru_cache

from ..errors import Field, OptionError

# NRC's basic emotions as emoface's (trust and anticipation have no face of their own).
_NRC = {"joy": "happy", "sadness": "sad", "anger": "angry", "fear": "fearful",
        "disgust": "disgusted", "surprise": "surprised"}
# Core descriptors: missing from the lexicon or filed under too many emotions there.
_CORE = {
    **dict.fromkeys(("sad", "unhappy", "heartbroken", "sorrowful", "tearful", "downcast", "blue",
                     "melancholy", "mournful", "grieving", "grief", "depressed", "despair", "crying"), "sad"),
    **dict.fromkeys(("happy", "joyful", "thrilled", "delighted", "elated", "overjoyed", "glad", "cheerful",
                     "ecstatic", "relieved", "grinning", "laughing", "excited", "amused", "pleased",
                     "smiling", "content", "proud", "giggling"), "happy"),
    **dict.fromkeys(("angry", "annoyed", "furious", "irritated", "enraged", "livid", "mad", "outraged",
                     "fuming", "irate", "cross", "hostile", "frustrated", "resentful"), "angry"),
    **dict.fromkeys(("scared", "afraid", "frightened", "terrified", "nervous", "anxious", "worried",
                     "panicked", "panicky", "fearful", "uneasy", "tense", "petrified", "alarmed", "dread"),
                    "fearful"),
    **dict.fromkeys(("disgusted", "revolted", "repulsed", "grossed", "nauseated", "sickened", "gross",
                     "disgusting", "repelled", "yuck"), "disgusted"),
    **dict.fromkeys(("surprised", "amazed", "astonished", "shocked", "startled", "stunned",
                     "astounded", "speechless", "flabbergasted"), "surprised"),
    **dict.fromkeys(("contempt", "contemptuous", "scornful", "disdainful", "smug", "sneering",
                     "condescending", "dismissive", "superior", "mocking"), "contempt"),
    **dict.fromkeys(("calm", "neutral", "composed", "relaxed", "serene", "indifferent", "flat",
                     "unmoved", "matter-of-fact", "expressionless"), "neutral"),
}
_NEGATORS = {"not", "no", "never", "hardly", "without", "isn't", "wasn't", "aren't", "don't",
             "doesn't", "didn't", "nor", "neither", "barely"}
_SCALE = {"very": 1.25, "extremely": 1.4, "really": 1.15, "so": 1.15, "deeply": 1.3, "utterly": 1.4,
          "completely": 1.3, "totally": 1.3, "incredibly": 1.4, "absolutely": 1.35, "terribly": 1.3,
          "slightly": 0.55, "bit": 0.6, "somewhat": 0.65, "mildly": 0.55, "little": 0.6, "faintly": 0.5,
          "quietly": 0.75, "rather": 0.8, "fairly": 0.8}
_SEQUENCE = re.compile(r"\b(?:and then|but then|then|later|afterwards|after that|finally|eventually|"
                       r"in the end|turning|becoming|growing|until|before long)\b|[;.!?]", re.I)
_BASE = 0.8  # intensity of a plainly stated emotion


@lru_cache(maxsize=1)
def _lexicon() -> dict[str, list[str]]:
    from importlib import resources

    try:
        path = resources.files("nrclex.data").joinpath("nrc_en.json")
        return json.loads(path.read_text(encoding="utf-8"))
    except (ModuleNotFoundError, FileNotFoundError):
        raise OptionError("emotion from text needs the NRC lexicon: pip install nrclex==4.1.0") from None


def _stems(word: str) -> list[str]:
    """The word and the bases its common suffixes may hide."""
    out = [word]
    for suffix, repl in (("ies", "y"), ("ied", "y"), ("ing", ""), ("ing", "e"), ("ed", ""), ("ed", "e"),
                         ("d", ""), ("ly", ""), ("ness", ""), ("s", ""), ("ful", ""), ("ment", "")):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            base = word[: len(word) - len(suffix)] + repl
            out.append(base)
            if len(base) > 3 and base[-1] == base[-2] and not repl:  # "stunned" -> "stun"
                out.append(base[:-1])
            if base.endswith("ck") and not repl:  # "panicking" -> "panic"
                out.append(base[:-1])
    # A noun or adverb of a core adjective: "astonishment" -> "astonished".
    out += [b + "ed" for b in out[1:]]
    return out


def word_emotions(word: str) -> dict[str, float]:
    """emoface emotions a word carries, with shares summing to 1 (or {})."""
    w = word.lower()
    for stem in _stems(w):
        if stem in _CORE:
            return {_CORE[stem]: 1.0}
    lex = _lexicon()
    for stem in _stems(w):
        found = [_NRC[c] for c in lex.get(stem, []) if c in _NRC]
        if found:
            return {e: found.count(e) / len(found) for e in set(found)}
    return {}


def describe(text: str) -> tuple[tuple[str, float], ...]:
    """One stage of a description -> an emotion mixture ((emotion, intensity), ...)."""
    tokens = re.findall(r"[a-z]+(?:['-][a-z]+)*", text.lower())
    scores: dict[str, float] = {}
    for i, tok in enumerate(tokens):
        if tok in _SCALE or tok in _NEGATORS:
            continue  # "quietly" and "barely" shape an emotion, they are not one
        found = word_emotions(tok)
        if not found:
            continue
        before = tokens[max(0, i - 3):i]
        if any(t in _NEGATORS for t in before):
            continue
        scale = 1.0
        for t in before:
            scale *= _SCALE.get(t, 1.0)
        for e, share in found.items():
            scores[e] = scores.get(e, 0.0) + share * scale
    if not scores or max(scores.values()) <= 0:
        return (("neutral", 0.0),)
    top = max(scores.values())
    # The strongest emotion, and any other at least half as strong, in proportion.
    kept = sorted(((e, s) for e, s in scores.items() if s >= 0.5 * top and e != "neutral"),
                  key=lambda es: -es[1])[:2]
    if not kept:
        return (("neutral", 0.0),)
    # Intensity from the strongest word's scale (one plain word: _BASE).
    strength = min(1.0, _BASE * min(top, 1.6) / max(sum(s for _, s in kept) / top, 1.0))
    return tuple((e, round(min(1.0, strength * s / top), 3)) for e, s in kept)


def stages(text: str) -> list[str]:
    """A description split where it says that one state follows another."""
    parts = [p.strip(" ,") for p in _SEQUENCE.split(text)]
    return [p for p in parts if p] or [text]


def text_timeline(text: str, duration: float, spoken: bool = False) -> str:
    """An ``--emotion`` keyframe string for a description (its stages spread
    evenly over ``duration``) or, with ``spoken``, for the spoken words
    themselves (each sentence from where it falls in the text)."""
    if not text or not text.strip():
        raise OptionError(Field("emotion_text"), " is empty; describe the emotion, e.g. "
                                                 "\"nervous at first, then relieved\"")
    if spoken:
        sentences = [s for s in re.split(r"(?<=[.!?;])\s+", text.strip()) if s.strip()]
        total = sum(len(s) for s in sentences)
        starts, at = [], 0
        for s in sentences:
            starts.append(duration * at / total)
            at += len(s)
        parts = list(zip(starts, sentences))
    else:
        parts_text = stages(text)
        parts = [(duration * i / len(parts_text), p) for i, p in enumerate(parts_text)]
    keys = []
    for start, part in parts:
        mix = describe(part)
        keys.append(f"{start:.3f}:" + "+".join(f"{e}@{w:g}" for e, w in mix))
    return ", ".join(keys)
