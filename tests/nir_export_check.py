"""Helper of tests/nir_export.rs: checks snnc's exported .nir files with the `nir` package.

  roundtrip EXPORTED.nir TMP.nir [ORIGINAL.nir]
      nir.read, nir.write, nir.read: node types and every parameter must survive; with an
      original NIR file, each of its neurons must have a twin of the same type and parameters
      (rtol 1e-5) in the export. Prints the export's node-type histogram as JSON.
  input T,B,N OUT.npy
      writes a deterministic random spike input (float32, p = 0.3).
  compare A.npz B.npz KEY...
      the arrays KEY of both files must agree (1e-5).
"""
import collections
import json
import sys

import nir
import numpy as np

NEURONS = ("IF", "LIF", "CubaLIF", "LI", "CubaLI", "I")


def params(node):
    d = node.to_dict()
    return {k: np.asarray(v) for k, v in d.items() if isinstance(v, np.ndarray)}


def roundtrip(exported, tmp, original=None):
    g1 = nir.read(exported)
    nir.write(tmp, g1)
    g2 = nir.read(tmp)
    assert g1.nodes.keys() == g2.nodes.keys(), "node names changed in nir's round trip"
    assert sorted(g1.edges) == sorted(g2.edges), "edges changed in nir's round trip"
    for k, n in g1.nodes.items():
        m = g2.nodes[k]
        assert type(n) is type(m), f"{k}: {type(n).__name__} became {type(m).__name__}"
        p, q = params(n), params(m)
        assert p.keys() == q.keys(), f"{k}: fields {sorted(p)} became {sorted(q)}"
        for f in p:
            assert np.array_equal(p[f], q[f]), f"{k}.{f} changed in nir's round trip"
    if original:
        orig = nir.read(original)
        ours = [n for n in g1.nodes.values() if type(n).__name__ in NEURONS]
        for k, n in orig.nodes.items():
            if type(n).__name__ not in NEURONS:
                continue
            p = params(n)
            def twin(m):
                if type(m) is not type(n):
                    return False
                q = params(m)
                return all(
                    f in q and q[f].shape == p[f].shape
                    and np.allclose(q[f], p[f], rtol=1e-5, atol=1e-7)
                    for f in p if f != "v_reset" or "v_reset" in q
                )
            assert any(twin(m) for m in ours), f"no neuron of the export matches {k}: {p}"
    hist = collections.Counter(type(n).__name__ for n in g1.nodes.values())
    print(json.dumps(dict(sorted(hist.items()))))


def make_input(shape, out):
    dims = [int(x) for x in shape.split(",")]
    rng = np.random.default_rng(7)
    np.save(out, (rng.random(dims) < 0.3).astype(np.float32))


def compare(a, b, keys):
    x, y = np.load(a), np.load(b)
    for k in keys:
        assert x[k].shape == y[k].shape, f"{k}: {x[k].shape} vs {y[k].shape}"
        assert np.allclose(x[k], y[k], atol=1e-5), f"{k} differs: max {np.abs(x[k] - y[k]).max()}"
        print(k, x[k].shape, "spikes", int(x[k].sum()))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"roundtrip": roundtrip, "input": make_input, "compare": compare}[cmd](*args[:2], *(
        [args[2:]] if cmd == "compare" else args[2:]))
