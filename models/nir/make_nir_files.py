"""Writes the hand-made NIR files of snnc's tests (run from this folder; needs nir 1.0.8, h5py).

- lif_norse_gzip.nir: lif_norse.nir re-written by nir 1.0.8 (gzip-compressed datasets).
- bad/*.nir: malformed files the frontend must refuse with a message naming the node.
"""
import h5py
import nir
import numpy as np

g = nir.read("lif_norse.nir")
nir.write("lif_norse_gzip.nir", g)  # nir >= 1.0.8 compresses with gzip by default


def base(f, version="1.0.8"):
    f.create_dataset("version", data=version, dtype=h5py.string_dtype())
    n = f.create_group("node")
    n.create_dataset("type", data="NIRGraph", dtype=h5py.string_dtype())
    nodes = n.create_group("nodes")
    return n, nodes


def node(nodes, name, typ, **fields):
    g = nodes.create_group(name)
    g.create_dataset("type", data=typ, dtype=h5py.string_dtype())
    for k, v in fields.items():
        if isinstance(v, str):
            g.create_dataset(k, data=v, dtype=h5py.string_dtype())
        else:
            g.create_dataset(k, data=v)
    return g


def edges(n, pairs):
    n.create_dataset("edges", data=np.array(pairs, dtype=object), dtype=h5py.string_dtype())


def chain(path, mid_name, mid_type, mid_fields, in_shape=(1,), out_shape=(1,)):
    with h5py.File(path, "w") as f:
        n, nodes = base(f)
        node(nodes, "input", "Input", shape=np.array(in_shape))
        node(nodes, mid_name, mid_type, **mid_fields)
        node(nodes, "output", "Output", shape=np.array(out_shape))
        edges(n, [("input", mid_name), (mid_name, "output")])


one = np.ones(1, dtype=np.float32)
chain("bad/missing_tau.nir", "lif", "LIF", dict(r=one, v_leak=0 * one, v_threshold=one))
chain("bad/string_weight.nir", "fc", "Affine", dict(weight="not numbers", bias=one))
chain("bad/unknown_type.nir", "mystery", "Spline", dict(knots=one))
chain("bad/negative_tau.nir", "lif", "LIF", dict(tau=-one, r=one, v_leak=0 * one, v_threshold=one))
chain("bad/shape_mismatch.nir", "fc", "Affine",
      dict(weight=np.ones((3, 2), np.float32), bias=np.ones(3, np.float32)), in_shape=(4,), out_shape=(3,))
chain("bad/nan_weight.nir", "fc", "Linear", dict(weight=np.array([[np.nan]], np.float32)))
chain("bad/lif_param_shapes.nir", "lif", "LIF",
      dict(tau=np.ones(2, np.float32), r=one, v_leak=0 * one, v_threshold=one))
with h5py.File("bad/no_node_group.nir", "w") as f:
    f.create_dataset("version", data="1.0.8", dtype=h5py.string_dtype())
with h5py.File("bad/numeric_edges.nir", "w") as f:
    n, nodes = base(f)
    node(nodes, "input", "Input", shape=np.array([1]))
    node(nodes, "output", "Output", shape=np.array([1]))
    n.create_dataset("edges", data=np.zeros((1, 2)))
with h5py.File("bad/no_input.nir", "w") as f:
    n, nodes = base(f)
    node(nodes, "fc", "Linear", weight=np.ones((1, 1), np.float32))
    node(nodes, "output", "Output", shape=np.array([1]))
    edges(n, [("fc", "output")])
