"""The reference figure for `npm run bench:sweeps`: Optuna's TPESampler and
RandomSampler (default settings) on the same functions, budgets and seeds.
Run by bench/sweeps.ts with Debian's python3-optuna; prints one JSON object."""
import json
import math
import sys

import optuna

optuna.logging.set_verbosity(optuna.logging.WARNING)


def branin(t):
    x1 = t.suggest_float("x1", -5, 10)
    x2 = t.suggest_float("x2", 0, 15)
    b, c, r, s, tt = 5.1 / (4 * math.pi**2), 5 / math.pi, 6, 10, 1 / (8 * math.pi)
    return (x2 - b * x1**2 + c * x1 - r) ** 2 + s * (1 - tt) * math.cos(x1) + s


ALPHA = [1.0, 1.2, 3.0, 3.2]
A = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14], [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P = [[1312, 1696, 5569, 124, 8283, 5886], [2329, 4135, 8307, 3736, 1004, 9991], [2348, 1451, 3522, 2883, 3047, 6650], [4047, 8828, 8732, 5743, 1091, 381]]


def hartmann6(t):
    x = [t.suggest_float(f"x{i + 1}", 0, 1) for i in range(6)]
    return -sum(ALPHA[i] * math.exp(-sum(A[i][j] * (x[j] - P[i][j] * 1e-4) ** 2 for j in range(6))) for i in range(4))


def main():
    seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    rows = []
    for name, fn in (("branin", branin), ("hartmann6", hartmann6)):
        for trials in (50, 100):
            row = {"fn": name, "trials": trials}
            for sampler in ("tpe", "random"):
                best = []
                for seed in range(seeds):
                    s = optuna.samplers.TPESampler(seed=seed) if sampler == "tpe" else optuna.samplers.RandomSampler(seed=seed)
                    study = optuna.create_study(direction="minimize", sampler=s)
                    study.optimize(fn, n_trials=trials)
                    best.append(study.best_value)
                m = sum(best) / len(best)
                se = math.sqrt(sum((v - m) ** 2 for v in best) / (len(best) - 1) / len(best))
                row[sampler] = {"mean": m, "se": se}
            rows.append(row)
    print(json.dumps({"optuna": optuna.__version__, "seeds": seeds, "rows": rows}))


main()
