"""Expected error reduction: query the row whose label should lower the error most."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed, effective_n_jobs
from sklearn.base import clone

from ..utils import entropy, least_confident
from ..utils._model_outputs import predict_proba_or_softmax
from ..utils._rows import concat_rows, take_rows
from ..utils._validation import Interval, Options
from ._base import QueryStrategy, top_k
from ._committee import aligned_proba, seed_random_states

EXPECTED_LOSSES = {
    # expected log loss of a row under the model's own posterior: its entropy
    "log_loss": entropy,
    # expected 0/1 loss of a row: 1 - max_y P(y | x)
    "zero_one": least_confident,
}


def expected_error(estimator, X_labeled, y_labeled, x, proba_x, classes, X_eval, loss):
    r"""Roy & McCallum's expected error after labeling ``x``.

    .. math::

        \sum_{y} P(y \mid x)\;
        \frac{1}{|\mathcal{P}|} \sum_{u \in \mathcal{P}}
        \operatorname{loss}\big(P_{\mathcal{L} \cup \{(x, y)\}}(\cdot \mid u)\big)

    ``estimator`` is cloned and trained once per class of positive
    probability; ``proba_x`` holds :math:`P(y \mid x)` for ``classes``.
    """
    total = 0.0
    for label, weight in zip(classes, proba_x, strict=True):
        if weight <= 0:
            continue
        model = clone(estimator).fit(
            concat_rows([X_labeled, x]), np.append(y_labeled, label)
        )
        proba = predict_proba_or_softmax(model, X_eval)
        total += weight * float(np.mean(EXPECTED_LOSSES[loss](proba)))
    return total


def _errors_of(
    estimator, X_labeled, y_labeled, X_candidates, proba, classes, X_eval, loss
):
    """Expected errors of a block of candidates (one joblib task)."""
    return [
        expected_error(
            estimator,
            X_labeled,
            y_labeled,
            take_rows(X_candidates, [i]),
            proba[i],
            classes,
            X_eval,
            loss,
        )
        for i in range(len(proba))
    ]


def _subsample(rng, n, size):
    """Sorted positions of ``size`` of ``n`` rows (all of them if ``size >= n``)."""
    if size is None or size >= n:
        return np.arange(n)
    return np.sort(rng.choice(n, size=size, replace=False))


class ExpectedErrorReduction(QueryStrategy):
    r"""Query the rows whose label is expected to reduce the model's error most.

    For each candidate :math:`x` and each label :math:`y`, the model is
    retrained on :math:`\mathcal{L} \cup \{(x, y)\}` and its expected loss
    over the pool is estimated with its own posterior as the unknown truth;
    the candidate of least expected loss, weighted by the current
    :math:`P(y \mid x)`, is queried [1]_:

    .. math::

        x^\star = \arg\min_{x \in \mathcal{U}} \sum_y P_{\mathcal{L}}(y \mid x)
            \, \frac{1}{|\mathcal{P}|} \sum_{u \in \mathcal{P}}
            \operatorname{loss}_{\mathcal{L}^{+}}(u),
        \qquad \mathcal{L}^{+} = \mathcal{L} \cup \{(x, y)\}

    with, for the retrained posterior :math:`P^{+}`,

    - ``"log_loss"``: :math:`-\sum_{y'} P^{+}(y' \mid u) \log P^{+}(y' \mid u)`;
    - ``"zero_one"``: :math:`1 - \max_{y'} P^{+}(y' \mid u)`.

    Retraining for every row of the pool is the price of this strategy, so
    [1]_'s own remedy is applied: ``max_candidates`` candidates are drawn at
    random from the pool and :math:`\mathcal{P}` is a random sample of
    ``max_eval`` pool rows (both drawn with the learner's ``random_state``).
    A batch takes the ``n_instances`` best candidates; when ``n_instances``
    exceeds ``max_candidates``, ``n_instances`` candidates are drawn.

    Parameters
    ----------
    loss : {"log_loss", "zero_one"}, default="log_loss"
        The loss estimated on the pool sample.
    max_candidates : int, default=50
        Pool rows scored per query (at most).
    max_eval : int or None, default=500
        Pool rows on which the expected loss is estimated; ``None`` uses the
        whole pool.

    Notes
    -----
    Classifiers only. Cost: ``max_candidates x n_classes`` fits on
    :math:`L + 1` rows and as many ``predict_proba`` calls on ``max_eval``
    rows; candidates are spread over the learner's ``n_jobs`` (joblib). Memory:
    the labeled set, the evaluation sample and one probability matrix per
    worker. Estimator parameters named ``random_state`` left to ``None`` are set
    to one seed drawn from the learner's ``random_state``, shared by every
    retraining (so candidates are compared under the same randomness and picks
    do not depend on ``n_jobs``). Classes with :math:`P(y \mid x) = 0` are
    skipped.

    The model's own posterior stands in for the truth, so an overconfident
    model misleads the estimate: with a Gaussian naive Bayes on a few labeled
    rows, the rows that make it most confident (and least accurate) win. Use
    a reasonably calibrated classifier (e.g. a regularised logistic regression).

    References
    ----------
    .. [1] N. Roy and A. McCallum. "Toward Optimal Active Learning through
       Sampling Estimation of Error Reduction". ICML 2001.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import ExpectedErrorReduction
    >>> X, y = load_iris(return_X_y=True)
    >>> strategy = ExpectedErrorReduction(max_candidates=5, max_eval=50)
    >>> learner = ActiveLearner(LogisticRegression(), strategy, budget=12,
    ...                         n_initial=9, batch_size=3, random_state=0)
    >>> learner.fit(X, y).labeled_indices_.shape
    (12,)
    """

    requires_model = True

    def __init__(self, loss="log_loss", max_candidates=50, max_eval=500):
        self.loss = loss
        self.max_candidates = max_candidates
        self.max_eval = max_eval

    _parameter_constraints = {
        "loss": [Options(EXPECTED_LOSSES)],
        "max_candidates": [Interval(Integral, 1, None)],
        "max_eval": [None, Interval(Integral, 1, None)],
    }

    def _select(self, context, n_instances):
        max_candidates = self.max_candidates
        if not context.is_classifier:
            raise TypeError(
                "ExpectedErrorReduction needs a classifier; for regression use "
                "QueryByCommittee, PredictiveStdSampling or greedy sampling."
            )
        rng = context.random_state
        candidates = _subsample(rng, context.n_pool, max(max_candidates, n_instances))
        X_eval = context.pool_rows(_subsample(rng, context.n_pool, self.max_eval))
        seed = int(rng.randint(np.iinfo(np.int32).max))
        estimator = seed_random_states(clone(context.estimator), seed, False)
        X_labeled, y_labeled = context.labeled()
        classes = np.unique(y_labeled) if context.classes is None else context.classes
        X_candidates = context.pool_rows(candidates)
        proba = aligned_proba(context.estimator, X_candidates, np.asarray(classes))
        fixed = (estimator, X_labeled, y_labeled)
        errors = self._expected_errors(
            context.n_jobs, fixed, X_candidates, proba, classes, X_eval
        )
        return candidates[top_k(-errors, n_instances, rng)]

    def _expected_errors(self, n_jobs, fixed, X_candidates, proba, classes, X_eval):
        """Expected error of every candidate, in blocks spread over ``n_jobs``.

        ``fixed`` is ``(estimator, X_labeled, y_labeled)``.
        """
        if n_jobs in (None, 1):
            errors = _errors_of(*fixed, X_candidates, proba, classes, X_eval, self.loss)
            return np.asarray(errors, dtype=float)
        n_blocks = min(len(proba), 4 * effective_n_jobs(n_jobs))
        blocks = np.array_split(np.arange(len(proba)), n_blocks)
        parts = Parallel(n_jobs=n_jobs)(
            delayed(_errors_of)(
                *fixed,
                take_rows(X_candidates, block),
                proba[block],
                classes,
                X_eval,
                self.loss,
            )
            for block in blocks
        )
        return np.concatenate([np.asarray(part, dtype=float) for part in parts])
