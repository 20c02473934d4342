"""Evaluation of stream learners: prequential replay on a (drifting) stream.

:func:`prequential_evaluation` replays a dataset as a stream and scores the
model on every chunk *before* it learns from it (test-then-train), the
standard protocol for data streams [1]_. ``skal benchmark --stream``
(:mod:`skal.cli.stream`) compares decision rules with it.

References
----------
.. [1] J. Gama, R. Sebastião and P. P. Rodrigues. "On evaluating stream
   learning algorithms". Machine Learning 90(3):317-346, 2013.
"""

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.base import clone
from sklearn.utils import check_random_state

from ..utils._rows import n_rows, take_rows
from ..utils._validation import check_int
from ._learner import StreamActiveLearner


# ------------------------------------------------------------------- the data
def make_drifting_stream(
    n_samples=10_000,
    n_features=10,
    n_classes=2,
    *,
    drift_at=(0.5,),
    noise=0.05,
    random_state=None,
):
    """A stream whose concept changes abruptly at given points.

    Rows are standard normal; under concept 0 the class of a row is the argmax
    of ``X @ W`` for a random weight matrix ``W``, and at every drift point
    each class region passes to the next class (``k`` becomes ``k + 1`` modulo
    ``n_classes``; two classes swap). A share ``noise`` of the labels is then
    replaced by random classes. A model fitted before a drift is confidently
    wrong after it: what it learned must be unlearned, and a rule that only
    asks when the model is unsure never finds out.

    Parameters
    ----------
    n_samples : int, default=10_000
    n_features : int, default=10
    n_classes : int, default=2
    drift_at : sequence of float, default=(0.5,)
        Where the concept changes, as fractions of the stream in (0, 1).
    noise : float, default=0.05
        Share of labels replaced by a uniformly drawn class.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
    y : ndarray of shape (n_samples,)
    concept : ndarray of shape (n_samples,)
        Which concept (0, 1, ...) generated each row.

    Examples
    --------
    >>> from skal.stream import make_drifting_stream
    >>> X, y, concept = make_drifting_stream(1000, drift_at=(0.3, 0.7),
    ...                                      random_state=0)
    >>> X.shape, sorted(set(concept.tolist()))
    ((1000, 10), [0, 1, 2])
    """
    n_samples = check_int("n_samples", n_samples, minimum=1)
    n_features = check_int("n_features", n_features, minimum=1)
    n_classes = check_int("n_classes", n_classes, minimum=2)
    points = sorted(float(p) for p in drift_at)
    if any(not 0.0 < p < 1.0 for p in points):
        raise ValueError(f"drift_at must hold fractions in (0, 1); got {drift_at!r}.")
    if not 0.0 <= noise <= 1.0:
        raise ValueError(f"noise must be in [0, 1]; got {noise!r}.")
    rng = check_random_state(random_state)
    X = rng.standard_normal((n_samples, n_features))
    bounds = [int(p * n_samples) for p in points]
    concept = np.searchsorted(bounds, np.arange(n_samples), side="right")
    y = np.empty(n_samples, dtype=int)
    weights = rng.standard_normal((n_features, n_classes))
    for k in range(len(points) + 1):
        rows = concept == k
        # concept k: the class regions of concept 0, each handed to the next
        # class (k steps on): every row changes class at a drift
        y[rows] = (np.argmax(X[rows] @ weights, axis=1) + k) % n_classes
    flip = rng.random_sample(n_samples) < noise
    y[flip] = rng.randint(n_classes, size=int(flip.sum()))
    return X, y, concept


# ---------------------------------------------------------- the replay itself
@dataclass
class PrequentialResult:
    """What a prequential replay measured, one entry per chunk.

    Attributes
    ----------
    n_seen : ndarray of int
        Rows seen after each chunk.
    accuracy : ndarray of float
        Accuracy on each chunk before learning from it (NaN while no model).
    n_requested : ndarray of int
        Labels requested up to each chunk (what the budget counts).
    n_labeled : ndarray of int
        Labels learned up to each chunk (fewer than requested while some are
        late).
    mean_accuracy : float
        Accuracy over every row scored by a model (test-then-train).
    seconds : float
        Wall time of the decisions and updates, scoring excluded.
    learner : StreamActiveLearner
        The learner at the end of the stream.
    """

    n_seen: np.ndarray
    accuracy: np.ndarray
    n_requested: np.ndarray
    n_labeled: np.ndarray
    mean_accuracy: float
    seconds: float
    learner: Any


def prequential_evaluation(learner, X, y, *, chunk_size=100, delay=0):
    """Replay ``(X, y)`` as a stream: test on each chunk, then let it learn.

    A fresh clone of ``learner`` sees the rows in the given order, ``chunk_size``
    at a time. Each chunk is first scored by the current model, then decided;
    the labels of the requested rows come back ``delay`` chunks later (through
    :meth:`StreamActiveLearner.teach`, by row id) or at once when ``delay`` is 0
    (:meth:`StreamActiveLearner.step`).

    Parameters
    ----------
    learner : StreamActiveLearner
        Not changed; a clone is replayed. Its ``classes`` default to those of
        ``y``.
    X : array-like of shape (n_samples, n_features)
    y : array-like of shape (n_samples,)
    chunk_size : int, default=100
    delay : int, default=0
        Chunks between a request and its answer.

    Returns
    -------
    result : PrequentialResult

    Examples
    --------
    >>> from sklearn.linear_model import SGDClassifier
    >>> from skal.stream import (StreamActiveLearner, make_drifting_stream,
    ...                          prequential_evaluation)
    >>> X, y, _ = make_drifting_stream(2000, random_state=0)
    >>> result = prequential_evaluation(
    ...     StreamActiveLearner(SGDClassifier(random_state=0), random_state=0),
    ...     X, y, chunk_size=200)
    >>> bool(result.n_requested[-1] <= 0.1 * 2000), result.mean_accuracy > 0.6
    (True, True)
    """
    if not isinstance(learner, StreamActiveLearner):
        raise TypeError(f"learner must be a StreamActiveLearner; got {learner!r}.")
    chunk_size = check_int("chunk_size", chunk_size, minimum=1)
    delay = check_int("delay", delay, minimum=0)
    y = np.asarray(y)
    n = n_rows(X)
    if y.shape[0] != n:
        raise ValueError(f"X and y have different numbers of rows: {n} and {len(y)}.")
    learner = clone(learner)
    if learner.classes is None:
        learner.set_params(classes=np.unique(y))
    seen, accuracy, requested, labeled = [], [], [], []
    correct = scored = 0
    waiting = []  # (due chunk, ids, labels)
    seconds = 0.0
    for index, start in enumerate(range(0, n, chunk_size)):
        rows = np.arange(start, min(start + chunk_size, n))
        X_chunk, y_chunk = take_rows(X, rows), y[rows]
        model = getattr(learner, "estimator_", None)
        if model is None:
            accuracy.append(np.nan)
        else:
            hits = int(np.sum(model.predict(X_chunk) == y_chunk))
            correct, scored = correct + hits, scored + rows.size
            accuracy.append(hits / rows.size)
        tic = time.perf_counter()
        if delay == 0:
            learner.step(X_chunk, y_chunk)
        else:
            while waiting and waiting[0][0] <= index:
                _, ids, answers = waiting.pop(0)
                learner.teach(ids, answers)
            mask, ids = learner.decide(X_chunk, return_ids=True)
            waiting.append((index + delay, ids, y_chunk[mask]))
        seconds += time.perf_counter() - tic
        seen.append(int(rows[-1]) + 1)
        requested.append(learner.n_requested_)
        labeled.append(learner.n_labeled_)
    return PrequentialResult(
        n_seen=np.asarray(seen),
        accuracy=np.asarray(accuracy, dtype=float),
        n_requested=np.asarray(requested),
        n_labeled=np.asarray(labeled),
        mean_accuracy=correct / scored if scored else float("nan"),
        seconds=seconds,
        learner=learner,
    )
