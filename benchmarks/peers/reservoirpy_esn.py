"""reservoirpy's ESN on the task of `benchmarks/training_reservoir.py`, run in its own venv (never imported by brainlab).

    benchmarks/.peers/venv-reservoirpy/bin/python benchmarks/peers/reservoirpy_esn.py --data series.npy \
        --units 500 --n-train 9000 --horizon 10 --repeats 3

Reads a (T, 1) float64 series (the same Mackey-Glass data brainlab uses, written by the benchmark), builds
``Reservoir(units, lr, sr, rc_connectivity, input_connectivity) >> Ridge(ridge)`` (reservoirpy's numpy backend,
float64, sparse W), fits it ``horizon`` steps ahead on the first ``n_train`` steps with ``warmup`` and runs it on
the rest.  Prints one line ``RESULT {json}``: ``build_s`` (weights, incl. the spectral radius), ``fit_s``,
``run_s`` (fastest of ``--repeats``; each repeat builds a fresh, identically seeded model), ``nrmse`` (RMSE /
std of the test target) and versions.

With ``--weights file.npz`` (arrays ``W``, ``W_in``, ``bias``: another library's reservoir, e.g. brainlab's ESN
of the same seed) the model is built on those weights instead of drawing its own, in reservoirpy's own formats
(``W`` and ``W_in`` as scipy CSR arrays, as its initialisers make them; the bias a float when it is all zeros,
its default), so the two libraries' test errors compare on the same reservoir; ``fit_s`` then contains no weight
drawing at all.
"""

import argparse
import json
import time

import numpy as np


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True)
    ap.add_argument("--units", type=int, default=500)
    ap.add_argument("--lr", type=float, default=0.3)
    ap.add_argument("--sr", type=float, default=1.25)
    ap.add_argument("--ridge", type=float, default=1e-6)
    ap.add_argument("--density", type=float, default=0.1)
    ap.add_argument("--input-density", type=float, default=0.1)
    ap.add_argument("--warmup", type=int, default=100)
    ap.add_argument("--n-train", type=int, default=9000)
    ap.add_argument("--horizon", type=int, default=10)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--weights", default=None, help="npz with W, W_in, bias: use this reservoir")
    a = ap.parse_args()

    import reservoirpy
    from reservoirpy.nodes import Reservoir, Ridge
    from scipy import sparse

    given = {}
    if a.weights:
        w = np.load(a.weights)
        bias = np.asarray(w["bias"], np.float64).reshape(-1)
        given = dict(W=sparse.csr_array(np.asarray(w["W"], np.float64)),
                     Win=sparse.csr_array(np.asarray(w["W_in"], np.float64)),
                     bias=0.0 if not bias.any() else bias)

    x = np.load(a.data)
    X, Y = x[: -a.horizon], x[a.horizon:]
    best = {"build_s": np.inf, "fit_s": np.inf, "run_s": np.inf}
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        res = Reservoir(a.units, lr=a.lr, sr=a.sr, rc_connectivity=a.density, input_connectivity=a.input_density,
                        seed=a.seed, **given)
        model = res >> Ridge(ridge=a.ridge)
        t1 = time.perf_counter()
        model.fit(X[: a.n_train], Y[: a.n_train], warmup=a.warmup)
        t2 = time.perf_counter()
        yp = model.run(X[a.n_train:])
        t3 = time.perf_counter()
        for k, v in (("build_s", t1 - t0), ("fit_s", t2 - t1), ("run_s", t3 - t2)):
            best[k] = min(best[k], v)
    yt = Y[a.n_train:]
    nrmse = float(np.sqrt(np.mean((np.asarray(yp) - yt) ** 2)) / yt.std())
    out = dict(best, nrmse=nrmse, units=a.units, weights="given" if a.weights else "own draw", n_train=a.n_train,
               n_test=int(len(yt)),
               reservoirpy=reservoirpy.__version__, numpy=np.__version__)
    print("RESULT " + json.dumps(out))


if __name__ == "__main__":
    main()
