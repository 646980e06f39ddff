"""Reference outputs of the Braille RNNs from Norse's NIR import (norse==1.1.0,
`norse.torch.from_nir(graph, dt=1e-4)`, stepped over time with its state), on a deterministic
random spike input [T=40, B=2, 12] (p = 0.3, numpy default_rng(7)). Checked by
tests/nir_norse_ref.rs against `snnc run` (default `--nir-current spec`).

    python3 models/nir/norse_ref/make.py
"""
import pathlib
import warnings

import nir
import norse.torch as nt
import numpy as np
import torch
from norse.torch.functional import reset

warnings.filterwarnings("ignore")
HERE = pathlib.Path(__file__).parent
x = (np.random.default_rng(7).random((40, 2, 12)) < 0.3).astype(np.float32)
np.save(HERE / "x.npy", x)
for name, method in [("braille_noDelay_bias_zero", reset.reset_value),
                     ("braille_noDelay_noBias_subtract", reset.reset_subtract)]:
    m = nt.from_nir(nir.read(HERE.parent / f"{name}.nir"), dt=1e-4, reset_method=method)
    state, outs = None, []
    with torch.no_grad():
        for t in range(x.shape[0]):
            y, state = m(torch.tensor(x[t]), state)
            outs.append(y.numpy())
    z = np.stack(outs).astype(np.float32)
    np.save(HERE / f"{name}.npy", z)
    print(name, z.shape, int(z.sum()), "spikes")
