"""benchmarks/espeak_truth.py: eSpeak NG speech with exact phone timings."""

from __future__ import annotations

import os
import struct
import warnings
from pathlib import Path

import numpy as np
import pytest

from conftest import espeak_truth

T = espeak_truth()

TEXT = "Bob bought a map. Please, maybe pop by the park."
# espeakng-loader 0.2.4 (eSpeak NG 1.52), voice en-us, 160 wpm
EXPECTED = ("B AA B B AO T AH M AE P SIL P L IY Z SIL M EY B IY P AA P B AY DH AH P AA R K SIL").split()
VOWELS = {"AA", "AE", "AH", "AO", "AW", "AY", "EH", "ER", "EY", "IH", "IY", "OW", "OY", "UH", "UW"}


@pytest.fixture(scope="module")
def speech():
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unmapped mnemonic would warn
        return T.synthesize(TEXT)


def _rms(x: np.ndarray, sr: int, a: float, b: float) -> float:
    seg = x[round(a * sr) : round(b * sr)].astype(np.float64)
    return float(np.sqrt(np.mean(seg**2))) if len(seg) else 0.0


def test_output_types_and_phones(speech):
    x, sr, phones = speech
    assert x.dtype == np.float32 and x.ndim == 1 and sr == 22050
    assert np.abs(x).max() <= 1.0 and np.abs(x).max() > 0.3
    assert [p for p, _, _ in phones] == EXPECTED
    assert {p for p, _, _ in phones} <= set(T.ARPABET) | {"SIL"}


def test_phones_cover_the_audio(speech):
    x, sr, phones = speech
    dur = len(x) / sr
    assert 2.5 < dur < 5.0
    assert phones[0][1] == 0.0
    assert abs(phones[-1][2] - dur) < 0.05
    for (_, _, end), (_, start, _) in zip(phones, phones[1:]):
        assert start == end
    assert all(b > a for _, a, b in phones)


def test_bilabial_durations_plausible(speech):
    _, _, phones = speech
    for want in ("B", "P", "M"):
        durs = [b - a for p, a, b in phones if p == want]
        assert durs, want
        assert all(0.030 <= d <= 0.200 for d in durs), (want, durs)


def test_silence_is_silent(speech):
    x, sr, phones = speech
    sil = [(a, b) for p, a, b in phones if p == "SIL"]
    assert sum(b - a >= 0.1 for a, b in sil) >= 2  # the pauses after "map." and "Please,"
    for a, b in sil:
        assert np.abs(x[round(a * sr) : round(b * sr)]).max() < 1e-3


def test_bilabial_closure_is_quiet(speech):
    x, sr, phones = speech
    vowel = np.median([_rms(x, sr, a, b) for p, a, b in phones if p in VOWELS])
    for i, (p, a, b) in enumerate(phones):
        if p not in ("P", "B"):
            continue
        onset = _rms(x, sr, a, a + 0.015)
        assert onset < 0.4 * vowel, (i, p, onset, vowel)
        if p == "P":  # voiceless closure: digital silence
            assert onset < 1e-3, (i, onset)
        prev = phones[i - 1]
        if prev[0] in VOWELS:  # the closure is the stop's, not the vowel's tail
            assert _rms(x, sr, prev[2] - 0.005, prev[2]) > 0.005, (i, prev)


def test_raw_events_put_closure_in_previous_phone():
    x, sr, phones = T.synthesize(TEXT, refine=False)
    tails = [_rms(x, sr, phones[i - 1][2] - 0.010, phones[i - 1][2])
             for i, (p, _, _) in enumerate(phones) if p == "P" and phones[i - 1][0] in VOWELS]
    assert tails and max(tails) < 1e-3  # why refine=True moves the boundary


def test_nasal_ends_at_release(speech):
    x, sr, phones = speech
    pairs = [(phones[i], phones[i + 1]) for i in range(len(phones) - 1)
             if phones[i][0] == "M" and phones[i + 1][0] in VOWELS]
    assert pairs
    for (_, a, b), (_, c, d) in pairs:
        assert _rms(x, sr, a, b) < 0.6 * _rms(x, sr, c, d)


def test_timings_do_not_depend_on_history(speech):
    T.synthesize("Something else entirely, to move the synthesiser's state on.")
    assert T.synthesize(TEXT)[2] == speech[2]


def test_rate_changes_duration(speech):
    x_fast, sr, phones = T.synthesize(TEXT, rate_wpm=320)
    assert len(x_fast) < 0.75 * len(speech[0])
    assert abs(phones[-1][2] - len(x_fast) / sr) < 1e-6


def test_empty_and_bad_arguments():
    x, sr, phones = T.synthesize("")  # eSpeak still writes a few ms of silence
    assert sr == 22050 and len(x) < 0.05 * sr and not np.any(x)
    assert {p for p, _, _ in phones} <= {"SIL"}
    with pytest.raises(ValueError):
        T.synthesize("hi", voice="no-such-voice")
    with pytest.raises(ValueError):
        T.synthesize("hi", voice="x" * 200)
    with pytest.raises(ValueError):
        T.synthesize("hi", rate_wpm=10)
    with pytest.raises(ValueError):  # libsonic speed-up: events no longer match the audio
        T.synthesize("hi", rate_wpm=450)


def test_map_phoneme():
    assert T.map_phoneme("'A:") == "AA"
    assert T.map_phoneme(",oU") == "OW"
    assert T.map_phoneme("_:") == "SIL"
    assert T.map_phoneme("'") is None
    assert T.map_phoneme("'A@") == (("AA", 0.6), ("R", 0.4))
    for spec in T.PHONE_MAP.values():
        if spec is None:
            continue
        parts = [spec] if isinstance(spec, str) else [p for p, _ in spec]
        assert set(parts) <= set(T.ARPABET) | {"SIL"}
        if not isinstance(spec, str):
            assert abs(sum(s for _, s in spec) - 1.0) < 1e-9


def _phontab_mnemonics(table: str) -> set[str]:
    """Every mnemonic of an eSpeak phoneme table and the tables it includes."""
    import espeakng_loader

    data = Path(espeakng_loader.get_data_path(), "phontab").read_bytes()
    tables, names, p = {}, [], 4
    for _ in range(data[0]):
        n, includes = data[p], data[p + 1]
        name = data[p + 4 : p + 36].split(b"\0")[0].decode()
        p += 36
        mns = set()
        for k in range(n):
            mn = struct.unpack_from("<I", data, p + 16 * k)[0]
            s = struct.pack("<I", mn).rstrip(b"\0").decode("latin-1")
            if s:
                mns.add(s)
        p += 16 * n
        tables[name] = (includes, mns)
        names.append(name)
    out, name = set(), table
    while True:
        includes, mns = tables[name]
        out |= mns
        if includes == 0:
            return out
        name = names[includes - 1]


def test_map_covers_the_en_us_phoneme_table():
    try:
        mns = _phontab_mnemonics("en-us")
    except Exception as e:  # pragma: no cover - only if the data format changed
        pytest.skip(f"cannot read phontab: {e}")
    assert len(mns) > 150
    assert sorted(mns - set(T.PHONE_MAP)) == []


def test_script_runs(capsys):
    T._main(["Hi."])
    assert "phones" in capsys.readouterr().out
    assert os.path.isdir(T._get_engine().steady_dir)
