"""Builds small malformed ONNX models under models/bad/ for the error-path tests.

Run: python models/make_bad_models.py  (needs only the `onnx` package).
"""
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "bad")


def save(model, name):
    os.makedirs(HERE, exist_ok=True)
    onnx.save_model(model, os.path.join(HERE, name))


def model(nodes, inits=(), inputs=None, outputs=None, domains=()):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])
    g = helper.make_graph(nodes, "bad", inputs or [x], outputs or [y], initializer=list(inits))
    opsets = [helper.make_opsetid("", 18)] + [helper.make_opsetid(d, 1) for d in domains]
    return helper.make_model(g, opset_imports=opsets, producer_name="snnc-tests")


# Two unsupported ops: both must be named in one error.
save(
    model(
        [
            helper.make_node("Relu", ["x"], ["a"], name="ok_relu"),
            helper.make_node("LpNormalization", ["a"], ["b"], name="norm_here"),
            helper.make_node("Frobnicate", ["b"], ["y"], name="frob_there", domain="com.example"),
        ],
        domains=["com.example"],
    ),
    "two_unsupported.onnx",
)

# An initializer whose external data path leaves the model's folder.
w = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
w.ClearField("raw_data")
w.data_location = TensorProto.EXTERNAL
for k, v in {"location": "../escape.data", "offset": "0", "length": "24"}.items():
    e = w.external_data.add()
    e.key, e.value = k, v
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [w]), "escaping_external.onnx")

# An initializer whose external data file does not exist.
w2 = numpy_helper.from_array(np.ones((2, 3), np.float32), "w")
w2.ClearField("raw_data")
w2.data_location = TensorProto.EXTERNAL
for k, v in {"location": "missing.data", "offset": "0", "length": "24"}.items():
    e = w2.external_data.add()
    e.key, e.value = k, v
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [w2]), "missing_external.onnx")

# A custom op with an unknown surrogate method.
save(
    model(
        [
            helper.make_node("Unsqueeze", ["x", "ax"], ["x3"], name="to_seq"),
            helper.make_node("IAF", ["x3"], ["z3"], name="bad_iaf", domain="snn", method="foo"),
            helper.make_node("Squeeze", ["z3", "ax"], ["y"], name="from_seq"),
        ],
        [numpy_helper.from_array(np.array([0], np.int64), "ax")],
        domains=["snn"],
    ),
    "bad_method.onnx",
)

with open(os.path.join(HERE, "garbage.onnx"), "wb") as f:
    f.write(bytes(range(256)) * 4)
open(os.path.join(HERE, "empty.onnx"), "wb").close()
