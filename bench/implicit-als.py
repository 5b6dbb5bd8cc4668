"""Time the `implicit` library's CPU ALS (conjugate gradient) on a CSR matrix written by
bench/train-vs-implicit.ts, and print one JSON object with CPU and wall seconds per epoch.

Usage: python bench/implicit-als.py DIR EPOCHS THREADS FACTORS CG_STEPS REGULARIZATION
DIR holds meta.json ({"rows", "cols", "nnz"}), indptr.i32, indices.i32 and values.f32 (the
user × item confidences, little-endian). The confidences are given to implicit as they are
(alpha=1), so both trainers see the same matrix.
"""

import json
import os
import platform
import sys
import time
import warnings


def main() -> None:
    directory, epochs, threads, factors, cg_steps, regularization = sys.argv[1:7]
    epochs, threads, factors, cg_steps = int(epochs), int(threads), int(factors), int(cg_steps)

    import numpy as np
    import scipy
    import scipy.sparse
    import threadpoolctl
    import implicit
    from implicit.cpu.als import AlternatingLeastSquares

    with open(os.path.join(directory, "meta.json")) as f:
        meta = json.load(f)
    indptr = np.fromfile(os.path.join(directory, "indptr.i32"), dtype="<i4")
    indices = np.fromfile(os.path.join(directory, "indices.i32"), dtype="<i4")
    values = np.fromfile(os.path.join(directory, "values.f32"), dtype="<f4")
    user_items = scipy.sparse.csr_matrix((values, indices, indptr), shape=(meta["rows"], meta["cols"]))
    assert user_items.nnz == meta["nnz"], (user_items.nnz, meta["nnz"])

    # implicit asks for a single-threaded BLAS (its own threads do the row solves).
    with threadpoolctl.threadpool_limits(1, "blas"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = AlternatingLeastSquares(
            factors=factors,
            regularization=float(regularization),
            iterations=epochs,
            use_cg=True,
            calculate_training_loss=False,
            num_threads=threads,
            random_state=42,
        )
        model.cg_steps = cg_steps  # an attribute in implicit 0.7, not a constructor argument
        cpu, wall = [], []
        last = [time.process_time(), time.perf_counter()]

        def on_epoch(_iteration, _elapsed, _loss):
            c, w = time.process_time(), time.perf_counter()
            cpu.append(c - last[0])
            wall.append(w - last[1])
            last[0], last[1] = c, w

        model.fit(user_items, show_progress=False, callback=on_epoch)
        blas = [
            {k: api.get(k) for k in ("internal_api", "version", "num_threads", "architecture")}
            for api in threadpoolctl.threadpool_info()
            if api.get("user_api") == "blas"
        ]

    print(
        json.dumps(
            {
                "implicit": implicit.__version__,
                "numpy": np.__version__,
                "scipy": scipy.__version__,
                "python": platform.python_version(),
                "blas": blas,
                "cgSteps": model.cg_steps,
                "threads": threads,
                "cpuSecondsPerEpoch": cpu,
                "secondsPerEpoch": wall,
                "firstEpochIncludes": "the CSR transpose and factor initialisation inside fit()",
            }
        )
    )


if __name__ == "__main__":
    main()
