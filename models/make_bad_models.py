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

def external(name, shape, location, length=None):
    t = numpy_helper.from_array(np.ones(shape, np.float32), name)
    t.ClearField("raw_data")
    t.data_location = TensorProto.EXTERNAL
    entries = {"location": location, "offset": "0"}
    if length is not None:
        entries["length"] = str(length)
    for k, v in entries.items():
        e = t.external_data.add()
        e.key, e.value = k, v
    return t


def iaf(name="lif", **attrs):
    """x [2,3] -> Unsqueeze -> snn.IAF(attrs) -> Squeeze -> y, as [T=1, B=2, N=3]."""
    return model(
        [
            helper.make_node("Unsqueeze", ["x", "ax"], ["x3"], name="to_seq"),
            helper.make_node("IAF", ["x3"], ["z3"], name=name, domain="snn", **attrs),
            helper.make_node("Squeeze", ["z3", "ax"], ["y"], name="from_seq"),
        ],
        [numpy_helper.from_array(np.array([0], np.int64), "ax")],
        domains=["snn"],
    )


# External data shorter than the tensor it holds, and a path outside the folder (absolute).
with open(os.path.join(HERE, "short.data"), "wb") as f:
    f.write(np.ones(5, np.float32).tobytes())
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")],
           [external("w", (2, 3), "short.data")]), "truncated_external.onnx")
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")],
           [external("w", (2, 3), "/etc/hostname")]), "absolute_external.onnx")

# Graph structure: a cycle, an input nobody defines, an output nobody produces, a value
# produced twice.
save(model([helper.make_node("Relu", ["x"], ["p"], name="pre"),
            helper.make_node("Add", ["p", "b"], ["a"], name="loop_add"),
            helper.make_node("Relu", ["a"], ["b"], name="loop_relu"),
            helper.make_node("Relu", ["b"], ["y"], name="post")]), "cycle.onnx")
save(model([helper.make_node("Add", ["x", "ghost"], ["y"], name="adder")]), "dangling.onnx")
save(model([helper.make_node("Relu", ["x"], ["a"], name="relu")]), "no_producer.onnx")
save(model([helper.make_node("Relu", ["x"], ["y"], name="first"),
            helper.make_node("Neg", ["x"], ["y"], name="second")]), "duplicate_value.onnx")

# Custom-op attributes: an unknown order, a v_th of the wrong length.
save(iaf(order="sideways"), "bad_order.onnx")
save(iaf(v_th=[1.0, 2.0]), "bad_vth_len.onnx")

# Weight shapes that do not fit: a recurrent layer's W, and a Gemm's B.
save(model(
    [helper.make_node("Unsqueeze", ["x", "ax"], ["x3"], name="to_seq"),
     helper.make_node("IAFRecurrent", ["x3", "W", "R"], ["z3"], name="rec", domain="snn"),
     helper.make_node("Squeeze", ["z3", "ax"], ["y"], name="from_seq")],
    [numpy_helper.from_array(np.array([0], np.int64), "ax"),
     numpy_helper.from_array(np.ones((3, 4), np.float32), "W"),
     numpy_helper.from_array(np.ones((3, 3), np.float32), "R")],
    domains=["snn"]), "bad_weight_shape.onnx")
save(model([helper.make_node("Gemm", ["x", "B"], ["y"], name="fc", transB=1)],
           [numpy_helper.from_array(np.ones((3, 5), np.float32), "B")]), "bad_gemm_shape.onnx")

# Absurd declared sizes: an input of 2^40 elements, an initializer of 2^40 elements whose data
# is 6 floats.
huge_x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1 << 20, 1 << 20])
save(model([helper.make_node("Relu", ["x"], ["y"], name="r")], inputs=[huge_x]), "huge_input.onnx")
big = numpy_helper.from_array(np.ones(6, np.float32), "w")
del big.dims[:]
big.dims.extend([1 << 20, 1 << 20])
save(model([helper.make_node("Add", ["x", "w"], ["y"], name="add_w")], [big]), "huge_initializer.onnx")

# A valid model cut in half.
whole = model([helper.make_node("Gemm", ["x", "B"], ["y"], name="fc", transB=1)],
              [numpy_helper.from_array(np.arange(9, dtype=np.float32).reshape(3, 3), "B")])
raw = whole.SerializeToString()
with open(os.path.join(HERE, "truncated.onnx"), "wb") as f:
    f.write(raw[: len(raw) // 2])

with open(os.path.join(HERE, "garbage.onnx"), "wb") as f:
    f.write(bytes(range(256)) * 4)
open(os.path.join(HERE, "empty.onnx"), "wb").close()

# Text IR: garbage, and a graph cut off in the middle of a node.
with open(os.path.join(HERE, "garbage.snn"), "w") as f:
    f.write("graph g {\n  input x: f32[2]\n  y = Relu(x\n  ]]] @@@ \n")
with open(os.path.join(HERE, "truncated.snn"), "w") as f:
    f.write("graph g {\n  input x: f32[4,2,3]\n  @lif z, v = IAF(x) {v_th = 1.0, meth")
with open(os.path.join(HERE, "huge.snn"), "w") as f:
    f.write("graph g {\n  input x: f32[1048576,1048576]\n  y = Relu(x)\n  output y\n}\n")
# No elements, but dimensions whose product (without the zero) overflows array libraries.
with open(os.path.join(HERE, "zero_dim.snn"), "w") as f:
    f.write("graph g {\n  input x: f32[0,4294967296,4294967296]\n  y = Neg(x)\n  output y\n}\n")

# Plan files: the magic bytes followed by garbage, and a header that declares a huge payload.
with open(os.path.join(HERE, "garbage.plan"), "wb") as f:
    f.write(b"SNNCPLAN" + bytes(range(7, 200)))
with open(os.path.join(HERE, "huge.plan"), "wb") as f:
    f.write(b"SNNCPLAN" + (1).to_bytes(4, "little") + (1 << 60).to_bytes(8, "little") + bytes(4))

# A symbolic dimension, for an absurd `--dim T=...` (refused before allocating).
sym_x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["T", 1 << 20])
sym_y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["T", 1 << 20])
save(model([helper.make_node("Relu", ["x"], ["y"], name="r")], inputs=[sym_x], outputs=[sym_y]),
     "sym_dim.onnx")
