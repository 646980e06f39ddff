"""Writes the small convolution files the snnc-nir tests read (nir 1.0.8, `nir.write`):

- conv1d_same.nir: Input [1, 6] → Conv1d(weight [1, 1, 4] = 0, .1, .2, .3, bias .5,
  padding='same') → Output [1, 6]. nir stores the padding as the string 'same'.
- avgpool_pad.nir: Input [1, 3, 3] → AvgPool2d(kernel 2, stride 1, padding 1) → Output [1, 4, 4].

Run from this folder: python3 make_conv_files.py
"""

import nir
import numpy as np

w = (np.arange(4, dtype=np.float32) / 10).reshape(1, 1, 4)
conv = nir.Conv1d(
    input_shape=6, weight=w, stride=1, padding="same", dilation=1, groups=1,
    bias=np.array([0.5], dtype=np.float32),
)
nir.write("conv1d_same.nir", nir.NIRGraph(
    nodes={
        "input": nir.Input(input_type={"input": np.array([1, 6])}),
        "c": conv,
        "output": nir.Output(output_type={"output": np.array([1, 6])}),
    },
    edges=[("input", "c"), ("c", "output")],
))

pool = nir.AvgPool2d(kernel_size=np.array([2, 2]), stride=np.array([1, 1]), padding=np.array([1, 1]))
nir.write("avgpool_pad.nir", nir.NIRGraph(
    nodes={
        "input": nir.Input(input_type={"input": np.array([1, 3, 3])}),
        "p": pool,
        "output": nir.Output(output_type={"output": np.array([1, 4, 4])}),
    },
    edges=[("input", "p"), ("p", "output")],
))
assert nir.read("conv1d_same.nir").nodes["c"].padding == "same"
