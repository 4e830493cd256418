"""Real mouth interiors: teeth, tongue and cavity as real footage shows them.

A drawn mouth (a dark cavity with a band of teeth) is what viewers name first
when they spot a render. So the interior comes from real mouths: frames of
real talking-face video at a range of openings (scripts/build_mouths.py;
sources in docs/mouths.md), each normalised to the mouth's own frame (the
corners at fixed places) and stored with its inner-lip outline. Per frame the
entry nearest the frame's opening (two, cross-faded, near the middle between
them) is drawn into the moved lips, coloured to the portrait's lips: what
hangs from its upper lip hangs from the moved upper lip and what rises from
its lower lip drops with the jaw as one arch (the lip covers it where it
drops less, toward the corners), at their own size, so teeth part as the
jaw drops and are never stretched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from scipy.ndimage import maximum_filter1d, uniform_filter1d

from ..easing import smoothstep
from ..face import regions as R
from ..motion import channels
from .mouth import _luma, draw_interior, smooth_lips

DATA_FILE = Path(__file__).with_name("mouths.npz")
#: The normalised patch: the mouth's corners at x = -1 and 1 of SPAN_X, its
#: midline at y = 0, y down, both in half mouth-widths.
SPAN_X, SPAN_Y = 1.25, 0.95
PATCH = (96, 128)  # rows, columns
#: The photo's own lips parted at least this much (gap over width) join the bank.
OWN_MOUTH_MIN = 0.08
#: For a photo in the bank, other mouths opened less than this far past its own are
#: left out: its own serves there.
OWN_MOUTH_REACH = 0.25
HUE_SHARE = 0.35  # how much of the lips' difference in hue the interior takes
TEETH_SHADE = 0.8  # teeth behind the lips are lit less than the photo's lightest teeth
#: A mouth's fine detail (teeth edges, the lips' inner line) over the
#: face's around it, the most another's is blurred down to: real speaking
#: mouths read 3.6-7.0 (benchmarks/interior_light.py); at 2, soft faces'
#: teeth read as "one smooth white band".
MOUTH_DETAIL = 3.5
#: The opening's edge fades over this share of the mouth's width: lips curl
#: in, they are not cut.
EDGE_SOFTNESS = 0.015
#: How much of its hue what is not teeth in another's mouth takes from the portrait's mouth lining.
LINING_HUE = 0.5
#: The inside of the lips, in another's mouth, is at most this bright against their outside.
LINING_LIGHT = 0.8
#: How much of the face's fine detail the mouth's grain brings it up to.
GRAIN = 0.8
#: Half mouth-widths past a source's inner lip line: its lips' edge never shows as a rim.
INSET = 0.03
#: Lips drawn back this far off the teeth (:func:`bared`) show them from the
#: first to the second value, from none to the bank's most toothed mouth's.
#: The FG-net speaker's real smiles read bared 0.6-0.75 with every upper
#: tooth showing; scaled linearly, they picked a toothless mouth.
BARED_TEETH = (0.1, 0.4)
#: The inner-lip outline, corner to corner along the upper lip, back along the lower.
OUTLINE = list(R.LIPS_UPPER_INNER) + list(R.LIPS_LOWER_INNER[-2:0:-1])
_N_UPPER = len(R.LIPS_UPPER_INNER)


def aperture(outline: np.ndarray) -> float:
    """The lips' parting at the middle over the mouth's inner width."""
    n = _N_UPPER
    top, bottom = outline[n // 2], outline[n + (len(outline) - n) // 2]
    width = float(np.linalg.norm(outline[n - 1] - outline[0]))
    return float(np.linalg.norm(bottom - top) / max(width, 1e-6))


def _frame_of(outline: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Centre, unit along the mouth, unit down it, half width (pixels)."""
    left, right = outline[0].astype(np.float64), outline[_N_UPPER - 1].astype(np.float64)
    half = max(float(np.linalg.norm(right - left)) / 2, 1e-6)
    along = (right - left) / (2 * half)
    return (left + right) / 2, along, np.array([-along[1], along[0]]), half


def normalise(image: np.ndarray, points: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """A mouth in ``image`` (tracked ``points``, (478, 2+)) as a patch in the
    mouth's own frame (PATCH, RGB) and its inner-lip outline in patch pixels."""
    outline = np.asarray(points, np.float64)[OUTLINE, :2]
    centre, along, down, half = _frame_of(outline)
    rows, cols = PATCH
    u = (np.arange(cols) + 0.5) / cols * 2 * SPAN_X - SPAN_X
    v = (np.arange(rows) + 0.5) / rows * 2 * SPAN_Y - SPAN_Y
    uu, vv = np.meshgrid(u, v)
    src = centre + half * (uu[..., None] * along + vv[..., None] * down)
    patch = cv2.remap(image, src[..., 0].astype(np.float32), src[..., 1].astype(np.float32),
                      cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE)
    rel = (outline - centre) / half
    polygon = np.column_stack([(rel @ along + SPAN_X) / (2 * SPAN_X) * cols - 0.5,
                               (rel @ down + SPAN_Y) / (2 * SPAN_Y) * rows - 0.5])
    return patch, polygon.astype(np.float32)


@dataclass(frozen=True, eq=False)
class MouthBank:
    """Real mouth interiors at several openings."""

    patches: np.ndarray  # (N, rows, cols, 3) uint8
    outlines: np.ndarray  # (N, K, 2) float32, patch pixels
    apertures: np.ndarray  # (N,) float32, ascending
    lips: np.ndarray  # (N, 3) float32: each source's lip colour
    own: np.ndarray | None = None  # (N,) bool: the portrait's own mouth, its teeth kept as they are
    #: (N,) bool: drawn as a mouth (None: all); the others show only between
    #: a portrait's own teeth (scripts/build_mouths.py, SHARP_SHARE).
    shown: np.ndarray | None = None
    #: Per entry, its :func:`_derived` parts when already known (None: work them out).
    known: list[tuple | None] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        # Worked out once per entry (a dub joins each frame's own mouth to
        # the bank: the others' are carried over, not redone).
        own = self.own if self.own is not None else np.zeros(len(self.patches), bool)
        known = self.known or [None] * len(self.patches)
        derived = [k if k is not None else _derived(p, o, lip, mine)
                   for k, p, o, lip, mine in zip(known, self.patches, self.outlines, self.lips, own)]
        object.__setattr__(self, "derived", derived)
        object.__setattr__(self, "curves", [c for c, _, _ in derived])
        object.__setattr__(self, "teeth", [t for _, t, _ in derived])
        object.__setattr__(self, "clear", [b for _, _, b in derived])
        object.__setattr__(self, "smoothed", {})  # :meth:`_along`, per entry as it is first asked for
        object.__setattr__(self, "drawn", np.ones(len(self.patches), bool) if self.shown is None
                           else np.asarray(self.shown, bool))
        #: The opening of the shown entry that shows the most teeth.
        toothed = [t.mean() if drawn else -1.0 for (t, _), drawn in zip(self.teeth, self.drawn)]
        object.__setattr__(self, "toothed", float(self.apertures[int(np.argmax(toothed))]))

    def with_photo(self, image: np.ndarray, points: np.ndarray, lip: np.ndarray) -> "MouthBank":
        """This bank plus the photo's own mouth, when its lips are parted on
        something (teeth, tongue): at and near its own opening the portrait
        shows its own teeth, the upper ones hanging from the upper lip and
        the lower ones riding the jaw."""
        outline = np.asarray(points, np.float64)[OUTLINE, :2]
        opening = aperture(outline)
        if opening < OWN_MOUTH_MIN:
            return self
        patch, polygon = normalise(image, points)
        # Below its own opening and a little past it, the portrait's mouth is
        # its own: other people's teeth take over only when it opens wider.
        keep = self.apertures > opening + OWN_MOUTH_REACH
        return MouthBank(np.concatenate([patch[None], self.patches[keep]]),
                         np.concatenate([polygon[None], self.outlines[keep]]),
                         np.append(opening, self.apertures[keep]).astype(np.float32),
                         np.concatenate([np.asarray(lip, np.float32)[None], self.lips[keep]]),
                         np.arange(1 + keep.sum()) == 0,
                         np.append(True, self.drawn[keep]),
                         [None] + [self.derived[i] for i in np.flatnonzero(keep)])

    def pick(self, opening: float, among: np.ndarray | None = None) -> list[tuple[int, float]]:
        """The entry nearest an opening, or two cross-faded near the middle
        between two: two mouths' teeth seen through each other read as a
        ghost, so the fade is short (a fifth of the way between them). Of
        the entries ``among`` (a mask; default: those shown); none: []."""
        index = np.flatnonzero(self.drawn if among is None else among)
        if not len(index):
            return []
        a = self.apertures[index]
        if opening <= a[0]:
            return [(int(index[0]), 1.0)]
        if opening >= a[-1]:
            return [(int(index[-1]), 1.0)]
        k = int(np.searchsorted(a, opening))
        t = float((opening - a[k - 1]) / max(a[k] - a[k - 1], 1e-6))
        t = float(np.clip((t - 0.4) / 0.2, 0, 1))
        return [(int(index[i]), w) for i, w in ((k - 1, 1.0 - t), (k, t)) if w > 0]

    def draw(self, canvas: np.ndarray, outline: np.ndarray, colours: dict[str, np.ndarray],
             bared: float = 0.0) -> bool:
        """Paint the interior inside the moved inner-lip ``outline`` (K, 2,
        canvas pixels) in place; False when the lips are closed.

        Teeth keep their size (:meth:`_interior`), column by column across
        the mouth; a portrait's own teeth stay on its jaws, and another
        mouth shows what lies between them. ``colours`` are the portrait's
        (render.mouth.palette): its lips tint the teeth's light. ``bared``
        (0-1, :func:`bared`): lips drawn back off the teeth show a mouth
        with its teeth (the bank's most toothed) even where they part little.
        """
        outline = np.asarray(outline, np.float64)
        centre, along, down, half = _frame_of(outline)
        opening = aperture(outline)
        if opening * 2 * half < 0.8:
            return False
        if self.own is not None and opening * 2 * half < CONTACT_PX:
            # All but sealed: the photo's own teeth in a sliver read as a white seam.
            _contact_line(canvas, outline, colours, half)
            return True
        h, w = canvas.shape[:2]
        x0, y0 = np.maximum(np.floor(outline.min(axis=0)).astype(int) - 2, 0)
        x1, y1 = np.minimum(np.ceil(outline.max(axis=0)).astype(int) + 3, (w, h))
        if x1 - x0 < 3 or y1 - y0 < 2:
            return False
        # Every canvas pixel in the mouth frame, in half mouth-widths.
        ys, xs = np.mgrid[y0:y1, x0:x1].astype(np.float64)
        rel = np.stack([xs - centre[0], ys - centre[1]], axis=-1) / half
        u, v = rel @ along, rel @ down
        rel_outline = (outline - centre) / half
        up_d, lo_d = _lip_curves(np.column_stack([rel_outline @ along, rel_outline @ down]))
        top, bottom = np.interp(u, *up_d), np.interp(u, *lo_d)
        jaw = float(np.interp(0.0, *lo_d))
        picked = self.pick(max(opening, float(smoothstep(bared, *BARED_TEETH)) * self.toothed))
        alpha = _opening(outline - [x0, y0], (y1 - y0, x1 - x0))
        inside = alpha > 0.5
        detail = fine_detail(canvas, (x0, y0, x1, y1), half)
        light = float(_luma(colours["teeth"]))
        seed = int(opening * 1e6)
        if self.own is None:
            layer = sum(w * self._interior(i, u, v, top, self._jaw_line(i, u, bottom, jaw), colours, opening)
                        for i, w in picked)
            # As soft as the face around it: a mouth sharper than a blurred or
            # low-resolution face reads as pasted in.
            layer, sigma = _as_the_face(layer, inside, detail, seed, light)
            edge = max(0.6, sigma, EDGE_SOFTNESS * 2 * half)
        else:
            # A portrait showing teeth keeps them on its jaws at any opening
            # (the upper fixed to the skull, the lower riding the jaw); past
            # its own opening, what lies between them is another mouth's,
            # without its teeth (the photo's own teeth are as sharp as its
            # face already; the other's is made so).
            low = self._jaw_line(0, u, bottom, jaw)
            reach = self._own_reach(u, top, low)
            layer, into, deep = self._own_interior(u, v, top, low, reach, colours)
            past_own = bool(into.max() > 0)
            if past_own:
                others = self.pick(opening, among=~self.own)
                gap = (top + reach[0], low - reach[1])
                total = sum(w for _, w in others)
                fill = sum(w / total * self._between(i, u, v, gap, colours) for i, w in others) if others else deep
                fill, _ = _as_the_face(fill, inside, detail, seed, light)
                layer = layer * (1 - into) + fill * into
            # The photo's own mouth meets its lips as photographed; opened
            # past it, the lips curl in over another's interior, as soft an
            # edge as another's mouth has (a sharp one read as cut out).
            edge = max(0.6, EDGE_SOFTNESS * 2 * half) if past_own else 0.6
        # The fade lies outside the opening, over the lips' inner edge: one
        # centred on it let the stretched seam behind show through as a
        # bright rim.
        alpha = np.minimum(2 * cv2.GaussianBlur(alpha, (0, 0), edge), 1)[..., None]
        roi = canvas[y0:y1, x0:x1].astype(np.float32)
        canvas[y0:y1, x0:x1] = np.clip(roi * (1 - alpha) + layer * alpha + 0.5, 0, 255).astype(np.uint8)
        return True

    def _along(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Entry ``index``'s patch and teeth weights smoothed along the
        mouth, made once per entry."""
        if index not in self.smoothed:
            self.smoothed[index] = tuple(cv2.GaussianBlur(image, (0, 0), sigmaX=SMEAR_COLUMNS, sigmaY=0.5)
                                         for image in (self.patches[index], self.teeth[index][0]))
        return self.smoothed[index]

    def _jaw_line(self, index: int, u: np.ndarray, bottom: np.ndarray, jaw: float) -> np.ndarray:
        """Where entry ``index``'s lower lip line, and the lower teeth that
        rise from it, lie with the moved lower lip's middle at ``jaw``: the
        lower teeth sit on the jaw, a rigid arch, so they drop with it as a
        whole; where the moved lip drops less than the middle (toward the
        corners of a mouth opened round) it covers them. Hung from the lip
        column by column, they bent into a white crescent along it."""
        lo_s = self.curves[index][1]
        return np.maximum(bottom, np.interp(u, *lo_s) + jaw - float(np.interp(0.0, *lo_s)))

    def _hung(self, index: int, u: np.ndarray, v: np.ndarray, top: np.ndarray, bottom: np.ndarray,
              teeth_end: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Where in entry ``index`` each pixel between the moved lips ``top``
        and ``bottom`` (the mouth frame's u, v) samples, its teeth kept at
        their size: what hangs from the source's upper lip hangs from the
        moved upper lip, what rises from its lower lip rises from the moved
        lower lip, and lips closer than the source's hide the teeth behind
        them, as lips do. The source row (sv), then the source's lips
        (s_top, s_bottom), the inset from them, and which pixels hang from
        the upper lip.

        Each lip takes half the opening; given ``teeth_end`` (where the
        source's upper teeth end, per pixel) the upper lip takes its upper
        teeth whole first, and the lower lip covers them
        from below. A smile's lower lip rides over the upper teeth: split
        in the middle, a smile narrower than the source's showed half its
        teeth over the source's dark and lower lip, a pink band."""
        up_s, lo_s = self.curves[index]
        s_top, s_bottom = np.interp(u, *up_s), np.interp(u, *lo_s)
        s_half = np.maximum((s_bottom - s_top) / 2, 0)
        # Inset: sample a little inside the source's lips, never the lip itself.
        inset = 0.06 * s_half + INSET
        above = below = s_half
        if teeth_end is not None:
            above = np.maximum(teeth_end - s_top - inset, 0)
            below = np.maximum(s_bottom - s_top - 2 * inset - above, 0)
            upper = v - top <= above
        else:
            upper = v <= (top + bottom) / 2
        sv = np.where(upper, s_top + inset + np.minimum(v - top, above),
                      s_bottom - inset - np.minimum(bottom - v, below))
        return sv, s_top, s_bottom, inset, upper

    def _interior(self, index: int, u: np.ndarray, v: np.ndarray, top: np.ndarray, bottom: np.ndarray,
                  colours: dict[str, np.ndarray], opening: float) -> np.ndarray:
        """Another's mouth, entry ``index``, drawn between the moved lips
        (RGB float32) parted by ``opening`` (:func:`aperture`): hung from
        them (:meth:`_hung`) and, opened further than the source, what lies
        between its teeth (the dark under the upper teeth, the tongue)
        stretched between them (a flat fill there read as a cut-out)."""
        rows, smear = self._interior_rows(index, u, v, top, bottom)
        # Toward the corners it turns into the cheeks' shadow (the buccal
        # corridor): a laugh, its cheeks drawn back, lights its canines
        # there, and under a speaking lip they read as fangs. (Between a
        # portrait's own teeth, :meth:`_between` shades it already.) Lips
        # parted by a sliver show no corridor.
        corner = 1 - CORNER_SHADE * smoothstep(np.abs(u), *CORNER_SHADE_SPAN) * smoothstep(opening, *CORNER_OPENING)
        return self._sampled(index, u, rows, colours, smear) * corner[..., None]

    def _interior_rows(self, index: int, u: np.ndarray, v: np.ndarray, top: np.ndarray, bottom: np.ndarray
                       ) -> tuple[np.ndarray, np.ndarray]:
        """Where in entry ``index`` each pixel of :meth:`_interior` samples
        (its v), and how much of it is taken from the entry smoothed along
        the mouth (0-1): what lies between another's teeth, stretched,
        drew each tooth's tip and each gap between two as a streak down the
        opening, read as fangs at the corners."""
        a, b = (np.interp(u, *c) for c in self.clear[index])
        sv, s_top, s_bottom, inset, _ = self._hung(index, u, v, top, bottom, teeth_end=a)
        a, b = np.maximum(a, s_top + inset), np.minimum(b, s_bottom - inset)
        teeth_top, teeth_bottom = top + (a - s_top - inset), bottom - (s_bottom - inset - b)
        t = np.clip((v - teeth_top) / np.maximum(teeth_bottom - teeth_top, 1e-3), 0, 1)
        stretched = np.where(v < teeth_top, s_top + inset + v - top,
                             np.where(v > teeth_bottom, s_bottom - inset - (bottom - v), a + t * (b - a)))
        # Opened less than the source, the lips hide its middle (the teeth
        # meet); the one gives way to the other over STRETCH_RAMP, column
        # by column: switched per column, the mouth showed a seam along its
        # middle with ticks at its ends where the columns switched.
        share = np.clip(1 + ((bottom - top) - (s_bottom - s_top)) / STRETCH_RAMP, 0, 1)
        ratio = (teeth_bottom - teeth_top) / np.maximum(b - a, 1e-3)
        smear = share * np.clip((ratio - SMEAR_FROM[0]) / (SMEAR_FROM[1] - SMEAR_FROM[0]), 0, 1)
        smear = np.where((v > teeth_top) & (v < teeth_bottom), smear, 0.0)
        return sv + share * (stretched - sv), smear

    def _own_interior(self, u: np.ndarray, v: np.ndarray, top: np.ndarray, bottom: np.ndarray,
                      reach: tuple[np.ndarray, np.ndarray], colours: dict[str, np.ndarray]
                      ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The portrait's own mouth (entry 0) hung from the moved lips, as
        far as it ``reach``es from each (:meth:`_own_reach`): its RGB
        float32; how far each pixel lies past that (0-1: its teeth cannot
        be moved apart, so what shows there is another's); and the cavity's
        colour there, for a bank with no other mouth."""
        sv, s_top, s_bottom, _, upper = self._hung(0, u, v, top, bottom)
        s_half = np.maximum((s_bottom - s_top) / 2, 0)
        past = np.where(upper, v - top - reach[0], bottom - v - reach[1])
        # Reached softly (a hard edge there reads as a cut-out); the cavity
        # deeper toward the middle.
        into = np.clip(past / np.maximum(0.35 * s_half, 0.03), 0, 1)[..., None]
        shade = np.clip(1 - past / np.maximum((bottom - top) / 2, 0.05), 0.55, 1)[..., None]
        return self._sampled(0, u, sv, colours), into, np.asarray(colours["cavity"], np.float32) * shade

    def _own_reach(self, u: np.ndarray, top: np.ndarray, bottom: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """How far the portrait's own mouth (entry 0) reaches down from the
        moved upper lip and up from the lower, per pixel: as photographed,
        half its opening from each; with the jaw dropped, only as far as its
        teeth, since what lay between them (a dark line where they nearly
        meet) hung under the upper teeth reads as a black crescent. The one
        becomes the other as the lower lip drops by that much. A raised
        upper lip parts no teeth (they are on the skull): there the photo's
        own mouth stays whole."""
        up_s, lo_s = self.curves[0]
        s_top, s_bottom = np.interp(u, *up_s), np.interp(u, *lo_s)
        s_half = np.maximum((s_bottom - s_top) / 2, 0)
        inset = 0.06 * s_half + INSET
        a, b = (np.interp(u, *c) for c in self.clear[0])
        between = np.maximum(b - a, 0)
        grow = np.clip((bottom - s_bottom) / np.maximum(between, OWN_GROW), 0, 1)
        upper = np.clip(a - s_top - inset, 0, s_half)
        lower = np.clip(s_bottom - inset - b, 0, s_half)
        return s_half + grow * (upper - s_half), s_half + grow * (lower - s_half)

    def _between(self, index: int, u: np.ndarray, v: np.ndarray, gap: tuple[np.ndarray, np.ndarray],
                 colours: dict[str, np.ndarray]) -> np.ndarray:
        """What entry ``index`` shows between its teeth (the dark under its
        upper teeth, its tongue above the lower), stretched over the ``gap``
        (per pixel, its top and bottom v) between a portrait's own teeth.
        Hung from the lips instead, another's lips' inside and teeth lie
        against the portrait's teeth, and put in the cavity's colour they
        read as a flat polygon."""
        a, b = self.clear[index]
        t = np.clip((v - gap[0]) / np.maximum(gap[1] - gap[0], 1e-3), 0, 1)
        sv = np.interp(u, *a) + t * (np.interp(u, *b) - np.interp(u, *a))
        # The upper teeth and lip shade what lies just under them; the
        # tongue's front, lower down, catches the light.
        # Toward the corners it darkens into the cheeks (the buccal
        # corridor) as the source's own mouth does: shaded further there, it
        # went black (a sixth of the middle's light, real mouths two thirds)
        # and read as cut-out wedges (benchmarks/interior_light.py).
        shade = np.clip(GAP_SHADE + (1 - GAP_SHADE) * t / 0.8, GAP_SHADE, 1.0)[..., None]
        return self._sampled(index, u, sv, colours) * shade

    def _sampled(self, index: int, u: np.ndarray, sv: np.ndarray, colours: dict[str, np.ndarray],
                 smear: np.ndarray | None = None) -> np.ndarray:
        """Entry ``index`` sampled at the source's (u, ``sv``), in the
        portrait's light (RGB float32), its teeth in the portrait's teeth
        colour; ``smear`` (0-1 per pixel) of it from the entry smoothed
        along the mouth."""
        rows, cols = PATCH
        px = ((u + SPAN_X) * cols / (2 * SPAN_X) - 0.5).astype(np.float32)
        py = ((sv + SPAN_Y) * (rows / (2 * SPAN_Y)) - 0.5).astype(np.float32)
        weight_map, source_teeth = self.teeth[index]
        warped = cv2.remap(self.patches[index], px, py, cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE).astype(np.float32)
        enamel = cv2.remap(weight_map, px, py, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)[..., None]
        if smear is not None and smear.any():
            w = smear.astype(np.float32)[..., None]
            patch, weights = self._along(index)
            warped += w * (cv2.remap(patch, px, py, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE) - warped)
            enamel += w * (cv2.remap(weights, px, py, cv2.INTER_LINEAR,
                                     borderMode=cv2.BORDER_REPLICATE)[..., None] - enamel)
        # Teeth take the portrait's teeth colour, in the mouth's shade,
        # keeping half their own shading (all of it reads as metal).
        shading = _luma(warped)[..., None] / max(float(_luma(source_teeth)), 1.0)
        shading = np.clip(TEETH_SHADE * (1 + 0.5 * (shading - 1)), 0.4, 1.0)
        teeth = colours["teeth"] * shading
        lining = warped * _tint(colours["lip"], self.lips[index])
        if self.own is None or not self.own[index]:
            # Another's mouth keeps its shapes, not its camera's colour cast
            # (webcam green read as olive teeth and gums): what is not teeth
            # takes much of its hue from the portrait's own mouth lining.
            hue = np.asarray(colours["cavity"], np.float32) / max(float(_luma(colours["cavity"])), 1.0)
            lining = lining * (1 - LINING_HUE) + _luma(lining)[..., None] * hue * LINING_HUE
            # The lips' inside is turned from the light: never brighter than
            # LINING_LIGHT of their outside (another's wet lower lip, tinted
            # to this photo, read as a bright orange band).
            cap = LINING_LIGHT * float(_luma(colours["lip"]))
            lining = lining * np.minimum(1, cap / np.maximum(_luma(lining), 1))[..., None]
        return lining * (1 - enamel) + teeth * enamel


#: Where sealed lips meet: a shadowed line this share of the mouth's half
#: width across, at this share of the light of what lies there.
CONTACT_WIDTH, CONTACT_LIGHT = 0.025, 0.6
#: Lips parted less than this many pixels are drawn meeting on that line.
CONTACT_PX = 3.0


def _contact_line(canvas: np.ndarray, outline: np.ndarray, colours: dict[str, np.ndarray], half: float) -> None:
    """The line where sealed lips meet, drawn in place. A photo showing its
    teeth keeps a sliver of them inside its inner-lip landmarks: sealed,
    its lips met on a thin white seam, where real lips meet on a shadow."""
    n = _N_UPPER
    upper, lower = outline[:n], np.concatenate([outline[:1], outline[n:][::-1], outline[n - 1:n]])
    mid = (upper + lower) / 2
    width = max(CONTACT_WIDTH * half, 0.6)
    h, w = canvas.shape[:2]
    x0, y0 = np.maximum(np.floor(mid.min(axis=0) - 4 * width - 2).astype(int), 0)
    x1, y1 = np.minimum(np.ceil(mid.max(axis=0) + 4 * width + 2).astype(int), (w, h))
    if x1 - x0 < 3 or y1 - y0 < 2:
        return
    mask = np.zeros((y1 - y0, x1 - x0), np.float32)
    pts = np.round((mid - [x0, y0]) * 16).astype(np.int32)
    cv2.polylines(mask, [pts], False, 1.0, 1, cv2.LINE_AA, shift=4)
    mask = cv2.GaussianBlur(mask, (0, 0), width)
    # Fades toward the corners, where the lips part into the cheeks.
    t = np.clip((np.arange(x1 - x0) + x0 - mid[0, 0]) / max(mid[-1, 0] - mid[0, 0], 1e-6), 0, 1)
    a = (mask / max(float(mask.max()), 1e-6) * np.sin(np.pi * t)[None, :] ** 0.5)[..., None]
    roi = canvas[y0:y1, x0:x1].astype(np.float32)
    # In the lips' hue and at a share of what lies there, so the seam keeps
    # the photo's grain (a flat line read as painted on).
    lip = np.asarray(colours["lip"], np.float32)
    line = _luma(roi)[..., None] * (lip / max(float(_luma(lip)), 1.0)) * CONTACT_LIGHT
    canvas[y0:y1, x0:x1] = np.clip(roi * (1 - a) + np.minimum(roi, line) * a + 0.5, 0, 255).astype(np.uint8)


def _opening(outline: np.ndarray, shape: tuple[int, int]) -> np.ndarray:
    """Coverage (shape) of the opening: the lips' own smoothed curve, not the
    landmarks' polygon, anti-aliased. (The real mouth's own shade under its
    lips is the edge: a band darkened on top of it read as a painted rim.)"""
    upper, lower = _smooth_lips_of(outline)
    curve = np.concatenate([upper, lower[::-1][1:-1]])
    mask = np.zeros((shape[0] * 4, shape[1] * 4), np.uint8)
    cv2.fillPoly(mask, [np.round(curve * 4 * 16).astype(np.int32)], 255, cv2.LINE_AA, shift=4)
    return cv2.resize(mask, (shape[1], shape[0]), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def high_pass(grey: np.ndarray) -> np.ndarray:
    """Fine detail per pixel: the grey image's difference from its 1-pixel blur."""
    return np.abs(grey - cv2.GaussianBlur(grey, (0, 0), 1.0))


def fine_detail(canvas: np.ndarray, box: tuple[int, int, int, int], half: float) -> float:
    """How much fine detail the face around a mouth box shows: the mean
    high-pass of the canvas in a ring half a mouth wide around it."""
    x0, y0, x1, y1 = box
    m = max(4, int(half))
    h, w = canvas.shape[:2]
    a, b, c, d = max(y0 - m, 0), min(y1 + m, h), max(x0 - m, 0), min(x1 + m, w)
    grey = _luma(canvas[a:b, c:d].astype(np.float32))
    ring = np.ones(grey.shape, bool)
    ring[y0 - a:y1 - a, x0 - c:x1 - c] = False
    return float(high_pass(grey)[ring].mean()) if ring.any() else 0.0


def _matching_blur(layer: np.ndarray, inside: np.ndarray, detail: float) -> float:
    """The least blur (Gaussian sigma, px) that brings the interior's fine
    detail down to what a mouth shows in a face of this detail (teeth edges
    are sharper than skin: MOUTH_DETAIL times the face's); 0 when it is no
    sharper."""
    if not inside.any():
        return 0.0
    grey = _luma(layer)
    for sigma in (0.0, 0.5, 0.8, 1.2, 1.8, 2.5):
        soft = cv2.GaussianBlur(grey, (0, 0), sigma) if sigma else grey
        if high_pass(soft)[inside].mean() <= MOUTH_DETAIL * detail:
            return sigma
    return 2.5


def _as_the_face(layer: np.ndarray, inside: np.ndarray, detail: float, seed: int, light: float
                 ) -> tuple[np.ndarray, float]:
    """``layer`` as sharp and as grainy as a face of this ``detail`` (and
    the blur it took), its grain in proportion to its light up to ``light``
    (:func:`_with_grain`): within the opening only, so that what lies
    outside it does not bleed in as a rim."""
    sigma = _matching_blur(layer, inside, detail)
    if sigma:
        weight = cv2.GaussianBlur(inside.astype(np.float32), (0, 0), sigma)[..., None]
        soft = cv2.GaussianBlur(layer * inside[..., None], (0, 0), sigma) / np.maximum(weight, 1e-3)
        # A few pixels out, where the opening's fade still lays the layer
        # over the lips, the blur of what lies inside runs out: left there,
        # its black drew a dark line around the opening.
        layer = np.where(weight > 0.05, soft, layer)
    return _with_grain(layer, inside, detail, seed, light), sigma


def _with_grain(layer: np.ndarray, inside: np.ndarray, detail: float, seed: int, light: float) -> np.ndarray:
    """``layer`` with grain added until its fine detail inside the opening
    reaches :data:`GRAIN` of the face's ``detail``: a mouth smoother than a
    grainy or wrinkled face around it reads as painted on. Where it is
    darker than ``light`` (the teeth's), in proportion to its light: what
    is in shadow shows a photo's grain and texture less, and grain as
    strong in the dark of the mouth as on a wrinkled face read as "a noisy
    speckled texture". The grain is the same for the same frame (seeded by
    it), fresh from frame to frame, as a camera's is."""
    if not inside.any():
        return layer
    luma = _luma(layer)
    have = float(high_pass(luma)[inside].mean())
    want = GRAIN * detail
    if have >= want:
        return layer
    noise = cv2.GaussianBlur(np.random.default_rng(seed).standard_normal(inside.shape).astype(np.float32),
                             (0, 0), 0.5)
    unit = float(high_pass(noise)[inside].mean())
    amount = np.sqrt(want ** 2 - have ** 2) / max(unit, 1e-6)
    shade = np.clip(luma / max(light, 1.0), 0.0, 1.0)
    return layer + (amount * noise * shade)[..., None]


def _teeth(patch: np.ndarray, outline: np.ndarray, lip: np.ndarray, keep: bool = False
           ) -> tuple[np.ndarray, np.ndarray]:
    """Where a source mouth shows teeth ((rows, cols) weights, 0-1) and their
    mean colour: inside the lips, what is far less red than the lips (the
    tongue is as red as them) and not in the dark of the cavity. No teeth where the
    teeth are the portrait's own (``keep``): they stay as photographed."""
    if keep:
        return np.zeros(patch.shape[:2], np.float32), np.full(3, 200, np.float32)
    inside = np.zeros(patch.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(outline).astype(np.int32)], 1)
    rgb = patch.astype(np.float32)
    # Teeth are lighter than the lips and less red. In warm video they are
    # nearly the skin's hue (the FG-net speaker's read 0.26 red against his
    # lips' 0.40): asked to be far less red than the lips, only their
    # brightest core counted, and the rest was tinted as the mouth's
    # lining, a pink band. Lighter than the lips keeps the tongue out.
    lighter = np.clip((_luma(rgb) / max(float(_luma(lip)), 1.0) - 0.85) / 0.25, 0, 1)
    redness = (rgb[..., 0] - rgb[..., 1]) / np.maximum(rgb[..., 0], 1.0)
    lip_red = (lip[0] - lip[1]) / max(float(lip[0]), 1.0)
    pale = np.clip((lip_red - redness) / max(0.35 * lip_red, 0.05), 0, 1)
    weight = cv2.GaussianBlur(lighter * pale * inside, (0, 0), 0.8).astype(np.float32)
    mean = (rgb * weight[..., None]).sum(axis=(0, 1)) / max(float(weight.sum()), 1e-6)
    return weight, mean.astype(np.float32) if weight.sum() > 1 else np.full(3, 200, np.float32)


#: A portrait's own teeth part this far (half mouth-widths, at least) before
#: what lay between them gives way entirely to another mouth's interior: a
#: smile whose teeth meet, parted a pixel, keeps its own look.
OWN_GROW = 0.2
#: Between a portrait's own teeth, the light just under the upper teeth,
#: as a share of what the source shows there.
GAP_SHADE = 0.35
#: Teeth weights above this count as teeth where the band clear of them is found.
_TOOTH = 0.3
#: A row of teeth found in some columns reaches this many patch columns
#: (about a third of a half mouth-width) either side.
_TOOTH_REACH = 21
#: Another's mouth darkens by this share from the first to the second
#: distance from the middle (half mouth-widths).
CORNER_SHADE, CORNER_SHADE_SPAN = 0.4, (0.5, 0.95)
#: ... once the lips part from the first to the second opening (:func:`aperture`).
CORNER_OPENING = (0.1, 0.2)
#: Stretched this many times its height or less, what lies between another's
#: teeth is drawn as it is; this many times or more, smoothed along the mouth
#: over SMEAR_COLUMNS patch columns (a tooth's width).
SMEAR_FROM = (1.3, 2.5)
SMEAR_COLUMNS = 6.0
#: Another's mouth, opened this much less than it was (half mouth-widths)
#: or more, is drawn with its middle hidden behind the lips; opened as far,
#: stretched between them.
STRETCH_RAMP = 0.15


def _clear_band(curves: tuple, weight: np.ndarray, middle: bool = False
                ) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Where a source mouth shows no teeth, column by column: (u, v) curves
    just under its upper teeth and just over its lower ones, from its teeth
    ``weight`` (PATCH); where a column shows none, a little inside its lips,
    or (``middle``: a portrait's own mouth, whose teeth must not be lost to
    a faint reading) at its middle."""
    rows, cols = PATCH
    u = (np.arange(cols) + 0.5) / cols * 2 * SPAN_X - SPAN_X
    v = (np.arange(rows) + 0.5) / rows * 2 * SPAN_Y - SPAN_Y
    top, bottom = np.interp(u, *curves[0]), np.interp(u, *curves[1])
    half = np.maximum((bottom - top) / 2, 0)
    a, b = top + 0.06 * half + INSET, bottom - 0.06 * half - INSET
    col_v = v[:, None]
    inside = (col_v > top) & (col_v < bottom) & (weight > _TOOTH)
    mid = (top + bottom) / 2
    step = v[1] - v[0]
    above, below = inside & (col_v <= mid), inside & (col_v > mid)
    if not middle:
        # Another's upper teeth are the run of teeth that starts in the
        # upper half and goes on down unbroken, past the middle if they are
        # long (a laugh bares them three quarters of the way down: cut at the
        # middle, their lower half was taken for lower teeth and stretched);
        # its lower teeth, what lies below that run in the lower half. (A
        # portrait's own lit reading breaks at each tooth's edge: there the
        # middle divides.)
        index = np.arange(rows)[:, None]
        first = np.where(above.any(axis=0), np.argmax(above, axis=0), rows)
        gap = (index > first) & ~inside
        end = np.where(gap.any(axis=0), np.argmax(gap, axis=0), rows)  # the row after the run
        above = inside & (index >= first) & (index < end)
        below = inside & (index >= end) & (col_v > mid)
    under_upper = v[rows - 1 - np.argmax(above[::-1], axis=0)] + step  # just under its upper teeth
    over_lower = v[np.argmax(below, axis=0)] - step  # just over its lower teeth
    if middle:
        a, b = mid - step, mid + step
        a = np.where(above.any(axis=0), under_upper, a)
        b = np.where(below.any(axis=0), over_lower, b)
    else:
        found_a = np.where(above.any(axis=0), np.maximum(under_upper - a, 0), 0)
        found_b = np.where(below.any(axis=0), np.maximum(b - over_lower, 0), 0)
        # A row of teeth is one band along the lip: where the reading finds
        # only its lightest teeth (a webcam's yellowish ones are missed),
        # their neighbours hang as far, or the stretched dark beside them
        # cut a block out of the row. Their ends taper over as far.
        reach = [uniform_filter1d(maximum_filter1d(f, _TOOTH_REACH, mode="nearest"), _TOOTH_REACH,
                                  mode="nearest") for f in (found_a, found_b)]
        a, b = a + reach[0], b - reach[1]
    # A column whose teeth meet keeps what lies between its lips.
    shut = b - a < 2 * step
    a[shut], b[shut] = mid[shut] - step, mid[shut] + step
    smooth = np.ones(7) / 7
    a, b = (np.convolve(np.pad(x, 3, mode="edge"), smooth, "valid") for x in (a, b))
    return (u, a), (u, b)


def _lit(patch: np.ndarray, outline: np.ndarray) -> np.ndarray:
    """What inside a mouth's lips is not in the dark between its teeth
    ((rows, cols), 0 or 1): lighter than half its teeth's (its lightest
    tenth's) light. Teeth in a dim photo are found so where their colour
    alone would miss them."""
    inside = np.zeros(patch.shape[:2], np.uint8)
    cv2.fillPoly(inside, [np.round(outline).astype(np.int32)], 1)
    luma = _luma(patch.astype(np.float32))
    if not inside.any():
        return np.zeros(patch.shape[:2], np.float32)
    light = float(np.percentile(luma[inside > 0], 90))
    return ((luma >= 0.5 * light) & (inside > 0)).astype(np.float32)


def _derived(patch: np.ndarray, outline: np.ndarray, lip: np.ndarray, own: bool
             ) -> tuple[tuple, tuple[np.ndarray, np.ndarray], tuple]:
    """What a bank works out once per entry: its lips as (u, v) curves in
    half mouth-widths; where it shows teeth and their colour (:func:`_teeth`;
    none recoloured on a portrait's ``own`` mouth); and where it shows no
    teeth (:func:`_clear_band`; on its own mouth, where the dark between
    its teeth is, :func:`_lit`)."""
    rows, cols = PATCH
    scale = np.array([cols / (2 * SPAN_X), rows / (2 * SPAN_Y)])
    curves = _lip_curves((outline.astype(np.float64) + 0.5) / scale - [SPAN_X, SPAN_Y])
    teeth = _teeth(patch, outline, lip, own)
    return curves, teeth, _clear_band(curves, _lit(patch, outline) if own else teeth[0], own)


def _tint(lip: np.ndarray, source_lip: np.ndarray) -> np.ndarray:
    """Per-channel gain from a source mouth's light to the portrait's, read
    off the two lips: their brightness in full, their hue only in part, as
    lips differ in colour (lipstick) more than the light does, and teeth
    tinted the whole way turn red or yellow."""
    ratio = np.maximum(lip, 1.0) / np.maximum(source_lip, 1.0)
    level = float(np.clip(_luma(np.asarray(lip, np.float32)) / max(_luma(np.asarray(source_lip, np.float32)), 1.0),
                          0.6, 1.6))
    return np.clip(level * (ratio / ratio.mean()) ** HUE_SHARE, 0.5, 1.8).astype(np.float32)


def _lip_curves(uv: np.ndarray) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """The upper and lower inner lip of an outline (K, 2) in the mouth frame
    as (u, v) curves, each sorted by u for interpolation: the lips' smoothed
    curves, as the opening's (a polyline would give the teeth and the
    cavity the landmarks' corners)."""
    upper, lower = _smooth_lips_of(uv)
    ou, ol = np.argsort(upper[:, 0]), np.argsort(lower[:, 0])
    return (upper[ou, 0], upper[ou, 1]), (lower[ol, 0], lower[ol, 1])


def _smooth_lips_of(outline: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The upper and lower inner lip of an :data:`OUTLINE` as smooth
    curves, each from corner to corner."""
    n = _N_UPPER
    return smooth_lips(outline[:n], np.concatenate([outline[:1], outline[n:][::-1], outline[n - 1:n]]))


@lru_cache(maxsize=1)
def default_bank() -> MouthBank | None:
    """The bank in ``mouths.npz`` (scripts/build_mouths.py), or None without it."""
    if not DATA_FILE.is_file():
        return None
    with np.load(DATA_FILE) as data:
        order = np.argsort(data["apertures"])
        return MouthBank(data["patches"][order], data["outlines"][order].astype(np.float32),
                         data["apertures"][order].astype(np.float32), data["lips"][order].astype(np.float32),
                         shown=data["shown"][order])


_SMILE, _RAISE, _TONGUE = channels("mouthSmile"), channels("mouthUpperUp"), channels("tongueOut")


def bared(coeffs: np.ndarray) -> float:
    """How far the lips are drawn back off the teeth, 0-1: a smile pulls
    them back and a raised upper lip lifts off the upper teeth, so a real
    smile shows its teeth through a narrow parting where speech at the same
    opening shows the dark between the lips."""
    c = np.asarray(coeffs, np.float32)
    return float(np.clip(0.6 * c[_SMILE].mean() + 0.8 * c[_RAISE].mean(), 0.0, 1.0))


def paint_interior(canvas: np.ndarray, points: np.ndarray, colours: dict[str, np.ndarray],
                   bank: MouthBank | None, coeffs: np.ndarray) -> None:
    """The interior of the mouth whose moved landmarks are ``points``
    (canvas pixels, (468+, 2)) under ``coeffs`` (52,), in place: real mouths
    from ``bank``, or the drawn interior without one or with the tongue out
    (the bank's mouths keep their tongues in). The still portrait and the
    dub both draw it so."""
    tongue = float(np.asarray(coeffs)[_TONGUE][0])
    if bank is None or tongue > 0.05:
        draw_interior(canvas, points[list(R.LIPS_UPPER_INNER)], points[list(R.LIPS_LOWER_INNER)], colours, tongue)
    else:
        bank.draw(canvas, points[OUTLINE], colours, bared(coeffs))
