"""The ``skal`` command line."""

import argparse
import sys

import numpy as np
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from . import ActiveLearner
from .strategies import RandomSampling, UncertaintySampling

STRATEGIES = {
    "random": RandomSampling,
    "least_confident": lambda: UncertaintySampling("least_confident"),
    "margin": lambda: UncertaintySampling("margin"),
    "entropy": lambda: UncertaintySampling("entropy"),
}


def benchmark(args):
    X, y = load_digits(return_X_y=True)
    estimator = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    print(
        f"load_digits: budget={args.budget}, batch_size={args.batch_size}, "
        f"repeats={args.repeats}"
    )
    print(f"{'strategy':<16} {'accuracy':>18}")
    for name, make in STRATEGIES.items():
        scores = []
        for seed in range(args.seed, args.seed + args.repeats):
            X_tr, X_te, y_tr, y_te = train_test_split(
                X, y, test_size=0.3, random_state=seed, stratify=y
            )
            learner = ActiveLearner(
                estimator,
                make(),
                budget=args.budget,
                batch_size=args.batch_size,
                random_state=seed,
            )
            scores.append(learner.fit(X_tr, y_tr).score(X_te, y_te))
        print(f"{name:<16} {np.mean(scores):>10.3f} ± {np.std(scores):.3f}")
    return 0


def main(argv=None):
    parser = argparse.ArgumentParser(prog="skal", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    bench = commands.add_parser("benchmark", help="compare strategies on a dataset")
    bench.add_argument("--budget", type=int, default=100)
    bench.add_argument("--batch-size", type=int, default=10)
    bench.add_argument("--repeats", type=int, default=3)
    bench.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    return benchmark(args)


if __name__ == "__main__":
    sys.exit(main())
