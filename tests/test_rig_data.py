"""The shipped rig data matches the code it is built from (make rig)."""

import numpy as np

from emoface.face.rig import DATA_FILE, build_digest


def test_rig_data_is_built_from_this_code():
    with np.load(DATA_FILE) as data:
        recorded = str(data["code"]) if "code" in data else "(none recorded)"
    assert recorded == build_digest(), (
        "src/emoface/face/rig_data.npz was built from other code than this checkout's "
        "(renderer, rig or build script changed since): run `make rig` and commit the new file")
