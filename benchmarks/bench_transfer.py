"""Transfer active learning in miniature: a frozen embedding runs once per row.

An ``MLPClassifier`` is trained on the ``load_digits`` images of classes 0-4;
its hidden layer, frozen (:class:`sklearn.frozen.FrozenEstimator`), embeds the
images of classes 5-9, on which a ``LogisticRegression`` is actively learned
(margin sampling, 10 initial labels, 10 loops of 10). A second embedder adds a
deliberately expensive stage after the hidden layer (a random-feature map of
width 8,192 projected back to 64 numbers), standing in for a real encoder that
costs far more than the linear model on top.

Table 1 (cost structure, one campaign per embedder and seed 0): rows passed to
the embedder's ``transform`` per campaign, the seconds spent in it ("embed s")
and the campaign's wall time (the fastest of 3 runs, BLAS on one thread), cached
(skal recognises the ``FrozenEstimator`` step) and not cached (the same
pipeline with the frozen step in a wrapper skal does not recognise: the
embedding runs at every query and refit, as before this change); whether the two
campaigns picked the same rows; and, with ``cache_dir``, a first run and a
restart that reads the memory-mapped cache back.

Table 2 (does the embedding help, paired over ``--repeats`` splits): area
under the learning curve (test accuracy, 10 to 110 labels) of margin sampling
on the frozen embedding, random sampling on it, and both on raw pixels
(:func:`skal.model_selection.active_learning_curve`; Wilcoxon signed-rank p
against margin sampling on the embedding).

Run: ``python benchmarks/bench_transfer.py [--repeats 10]``.
"""

import argparse
import os
import platform
import tempfile
import time

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.datasets import load_digits
from sklearn.frozen import FrozenEstimator
from sklearn.linear_model import LogisticRegression
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline, make_pipeline
from threadpoolctl import threadpool_limits

from skal import ActiveLearner
from skal.metrics import summarize_learning_curves
from skal.model_selection import active_learning_curve
from skal.strategies import RandomSampling, UncertaintySampling

BUDGET, BATCH, N_INITIAL = 110, 10, 10


class HiddenLayer(TransformerMixin, BaseEstimator):
    """The hidden layer of an ``MLPClassifier`` trained on other classes."""

    def __init__(self, hidden=256, alpha=1e-2, random_state=0):
        self.hidden = hidden
        self.alpha = alpha
        self.random_state = random_state

    def fit(self, X, y):
        self.mlp_ = MLPClassifier(
            (self.hidden,),
            alpha=self.alpha,
            max_iter=500,
            random_state=self.random_state,
        ).fit(X, y)
        self.n_features_in_ = X.shape[1]
        return self

    def transform(self, X):
        W, b = self.mlp_.coefs_[0], self.mlp_.intercepts_[0]
        return np.maximum(np.asarray(X) @ W + b, 0.0)


class RandomFeatures(TransformerMixin, BaseEstimator):
    """An expensive stage: ``cos`` features of width ``width``, projected to
    ``n_out`` numbers (about ``4 * n_in * width`` flops per row)."""

    def __init__(self, width=8192, n_out=64, random_state=0):
        self.width = width
        self.n_out = n_out
        self.random_state = random_state

    def fit(self, X, y=None):
        rng = np.random.RandomState(self.random_state)
        n_in = X.shape[1]
        self.W_ = rng.normal(scale=1 / np.sqrt(n_in), size=(n_in, self.width))
        self.b_ = rng.uniform(0, 2 * np.pi, self.width)
        self.P_ = rng.normal(
            scale=1 / np.sqrt(self.width), size=(self.width, self.n_out)
        )
        self.n_features_in_ = n_in
        return self

    def transform(self, X):
        return np.cos(np.asarray(X) @ self.W_ + self.b_) @ self.P_


class Counted(TransformerMixin, BaseEstimator):
    """Counts the rows passed to ``transform`` of a fitted transformer."""

    def __init__(self, inner):
        self.inner = inner

    def __sklearn_is_fitted__(self):
        return True

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        start = time.perf_counter()
        out = self.inner.transform(X)
        COUNTS[id(self)] = COUNTS.get(id(self), 0) + len(X)
        SECONDS[id(self)] = SECONDS.get(id(self), 0.0) + time.perf_counter() - start
        return out


# outside the transformer, so counting does not change its hash
COUNTS, SECONDS = {}, {}


class NotRecognised(Counted):
    """The same frozen step in a wrapper skal does not recognise (no cache):
    ``fit`` does nothing and cloning keeps the fitted model, as
    ``FrozenEstimator`` does."""

    def __sklearn_clone__(self):
        return self


def data():
    X, y = load_digits(return_X_y=True)
    X = X / 16.0
    source = y < 5
    return X[source], y[source], X[~source], y[~source]


def embedders(X_src, y_src):
    hidden = HiddenLayer().fit(X_src, y_src)
    h = hidden.transform(X_src)
    expensive = make_pipeline(hidden, RandomFeatures(n_out=64).fit(h))
    return {"MLP hidden layer (256)": hidden, "+ random features (8,192)": expensive}


def campaign(embed_step, X, y, cache_dir=None, seed=0):
    pipe = Pipeline([("embed", embed_step), ("clf", LogisticRegression(max_iter=1000))])
    learner = ActiveLearner(
        pipe,
        UncertaintySampling("margin"),
        budget=BUDGET,
        batch_size=BATCH,
        n_initial=N_INITIAL,
        cache_dir=cache_dir,
        random_state=seed,
    )
    start = time.perf_counter()
    learner.fit(X, y)
    return learner, time.perf_counter() - start


def cost_table(X_src, y_src, X, y, n_timings=3):
    print(
        f"Table 1. Margin sampling, {N_INITIAL} initial labels + "
        f"{(BUDGET - N_INITIAL) // BATCH} loops of {BATCH}, pool of {len(X)} rows "
        f"(load_digits classes 5-9); wall: best of {n_timings}, one BLAS thread"
    )
    header = (
        f"{'embedder':26s} {'run':21s} {'rows embedded':>13s} {'x pool':>7s} "
        f"{'wall s':>7s} {'embed s':>8s} {'speed-up':>9s} {'same picks':>10s}"
    )
    print(header)
    print("-" * len(header))
    for name, embed in embedders(X_src, y_src).items():
        counted, plain = Counted(embed), NotRecognised(embed)
        with tempfile.TemporaryDirectory() as cache:
            runs = [
                ("not cached", plain, lambda k: None),
                ("cached (memory)", FrozenEstimator(counted), lambda k: None),
                (
                    "cached (cache_dir)",
                    FrozenEstimator(counted),
                    lambda k: f"{cache}/{k}",
                ),
                (
                    "  restart, same cache",
                    FrozenEstimator(counted),
                    lambda k: f"{cache}/0",
                ),
            ]
            base = None
            for run, step, cache_dir in runs:
                counter = plain if step is plain else counted
                timings, rows = [], None
                for k in range(n_timings):
                    before = COUNTS.get(id(counter), 0)
                    seconds = SECONDS.get(id(counter), 0.0)
                    learner, wall = campaign(step, X, y, cache_dir(k))
                    timings.append((wall, SECONDS.get(id(counter), 0.0) - seconds))
                    if rows is None:
                        rows = COUNTS.get(id(counter), 0) - before
                wall, embed_s = min(timings)  # the fastest run, and its embedding
                base = base or (learner, wall)
                same = np.array_equal(
                    learner.labeled_indices_, base[0].labeled_indices_
                )
                print(
                    f"{name:26s} {run:21s} {rows:13,d} {rows / len(X):6.1f}x "
                    f"{wall:7.2f} "
                    + f"{embed_s:8.2f} "
                    + f"{base[1] / wall:8.1f}x {'yes' if same else 'NO':>10s}"
                )


def aulc_table(X_src, y_src, X, y, n_repeats):
    embed = FrozenEstimator(embedders(X_src, y_src)["MLP hidden layer (256)"])

    def learner(strategy, on_embedding):
        model = LogisticRegression(max_iter=1000)
        if on_embedding:
            model = Pipeline([("embed", embed), ("clf", model)])
        return ActiveLearner(
            model, strategy, budget=BUDGET, batch_size=BATCH, n_initial=N_INITIAL
        )

    learners = {
        "margin, frozen embedding": learner(UncertaintySampling("margin"), True),
        "random, frozen embedding": learner(RandomSampling(), True),
        "margin, raw pixels": learner(UncertaintySampling("margin"), False),
        "random, raw pixels": learner(RandomSampling(), False),
    }
    n_labeled, scores = active_learning_curve(
        learners, X, y, test_size=0.3, n_repeats=n_repeats, random_state=0
    )
    baseline = "margin, frozen embedding"
    rows = summarize_learning_curves(n_labeled, scores, baseline=baseline)
    print(
        f"\nTable 2. AULC (test accuracy, {N_INITIAL} to {BUDGET} labels), "
        f"{n_repeats} paired splits (30% test); LogisticRegression on top"
    )
    header = (
        f"{'campaign':26s} {'AULC':>13s} {'final acc':>10s} "
        f"{'vs margin/embedding':>20s} {'W/T/L':>8s} {'p':>6s}"
    )
    print(header)
    print("-" * len(header))
    for row in rows:
        vs = row["vs_baseline"]
        versus = (
            ("-", "-", "-")
            if vs is None
            else (
                f"{vs['mean_difference']:+.3f}",
                f"{vs['wins']}/{vs['ties']}/{vs['losses']}",
                f"{vs['p_value']:.3f}",
            )
        )
        print(
            f"{row['name']:26s} {row['aulc_mean']:.3f} ± {row['aulc_std']:.3f} "
            f"{row['final_mean']:10.3f} {versus[0]:>20s} {versus[1]:>8s} "
            f"{versus[2]:>6s}"
        )


def main(n_repeats=10):
    X_src, y_src, X, y = data()
    start = time.perf_counter()
    print(
        f"{time.strftime('%Y-%m-%d')}, {platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}"
    )
    with threadpool_limits(limits=1, user_api="blas"):
        cost_table(X_src, y_src, X, y)
    aulc_table(X_src, y_src, X, y, n_repeats)
    print(f"\nwall {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=10)
    main(parser.parse_args().repeats)
