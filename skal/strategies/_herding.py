"""Herding: greedy maximisation of (uncertainty-weighted) kernel coverage."""

from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from scipy.special import softmax
from sklearn.base import clone
from sklearn.metrics.pairwise import euclidean_distances, rbf_kernel
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import normalize as unit_rows

from ..utils import MEASURES, UNCERTAINTY
from ..utils._clustering import draw_seed
from ..utils._feature_matrix import labeled_feature_matrix, pool_feature_matrix
from ..utils._multilabel import refuse_multilabel
from ..utils._validation import InstanceOf, Interval, Options
from ._base import QueryStrategy, top_k

#: Kernel entries computed at once (rows of a block x pool rows): 2**22 floats,
#: 32 MiB, so a block of a 100,000-row pool is 41 rows and memory stays O(N).
KERNEL_BLOCK = 2**22

#: Candidates whose gain is recomputed together in the lazy greedy search.
LAZY_BLOCK = 32

_BOOL = InstanceOf(bool, "True or False")


def coverage_gains(candidates, points, weights, covered, gamma):
    r"""Gain of each candidate: :math:`\sum_i w_i\,[k(x_i, c) - m_i]_+`.

    ``points`` are the rows to cover (:math:`x_i`), ``covered`` their current
    coverage :math:`m_i = \max_{s \in S} k(x_i, s)` and ``weights`` the
    :math:`w_i`; :math:`k(x, x') = \exp(-\gamma \lVert x - x' \rVert^2)`.
    Kernel blocks of at most :data:`KERNEL_BLOCK` entries: O(N) memory.
    """
    n_points = points.shape[0]
    step = max(1, KERNEL_BLOCK // max(n_points, 1))
    gains = np.empty(candidates.shape[0])
    for start in range(0, candidates.shape[0], step):
        block = rbf_kernel(candidates[start : start + step], points, gamma=gamma)
        np.subtract(block, covered, out=block)
        np.maximum(block, 0.0, out=block)
        gains[start : start + step] = block @ weights
    return gains


def max_kernel(points, centers, gamma):
    """:math:`\\max_j k(x_i, c_j)` for every row of ``points`` (0 without centers)."""
    covered = np.zeros(points.shape[0])
    if centers is None or centers.shape[0] == 0:
        return covered
    step = max(1, KERNEL_BLOCK // centers.shape[0])
    for start in range(0, points.shape[0], step):
        block = rbf_kernel(points[start : start + step], centers, gamma=gamma)
        covered[start : start + step] = block.max(axis=1)
    return covered


def greedy_herding(features, labeled, weights, gamma, n_instances, random_state):
    r"""Greedy maximisation of :math:`\sum_i w_i \max_{s \in L \cup S} k(x_i, s)`.

    ``features`` are the pool rows (the candidates and the rows to cover),
    ``labeled`` the labeled rows (covering from the start). The objective is a
    weighted facility-location function, monotone and submodular, so a
    candidate's gain only shrinks as rows are picked: the lazy greedy search
    [1]_ recomputes the gains of the :data:`LAZY_BLOCK` best upper bounds and
    picks the best one once it beats every other bound. The picks are those of
    the plain greedy search; ties are broken with ``random_state``.

    Cost: one pass of O(N²·d) kernel evaluations for the first gains (blocks
    of :data:`KERNEL_BLOCK` entries, O(N) memory), then O(N·d) per recomputed
    candidate and per pick.

    References
    ----------
    .. [1] M. Minoux. "Accelerated greedy algorithms for maximizing submodular
       set functions". Optimization Techniques, LNCS 7, 1978.
    """
    n = features.shape[0]
    covered = max_kernel(features, labeled, gamma)
    upper = coverage_gains(features, features, weights, covered, gamma)
    fresh = np.ones(n, dtype=bool)  # the bound is the exact current gain
    available = np.ones(n, dtype=bool)
    picked = []
    while len(picked) < n_instances:
        bounds = np.where(available, upper, -np.inf)
        best = top_k(bounds, 1, random_state)[0]
        if not fresh[best]:
            block = top_k(bounds, min(LAZY_BLOCK, int(available.sum())), random_state)
            block = block[~fresh[block]]
            upper[block] = coverage_gains(
                features[block], features, weights, covered, gamma
            )
            fresh[block] = True
            continue
        position = int(best)
        picked.append(position)
        available[position] = False
        column = rbf_kernel(features, features[position : position + 1], gamma=gamma)
        covered = np.maximum(covered, column[:, 0])
        fresh[:] = False
    return np.asarray(picked, dtype=np.intp)


def sampled_distances(features, n_samples, random_state):
    """Non-zero pairwise distances among at most ``n_samples`` rows drawn at random."""
    n = features.shape[0]
    if n > n_samples:
        features = features[np.sort(random_state.choice(n, n_samples, replace=False))]
    return nonzero_distances(features)


def nonzero_distances(features):
    """The non-zero distances between distinct rows (upper triangle)."""
    if features is None or features.shape[0] < 2:
        return np.empty(0)
    distances = euclidean_distances(features)
    distances = distances[np.triu_indices_from(distances, k=1)]
    return distances[distances > 0]


def kernel_gamma(gamma, pool, labeled, n_samples, random_state):
    r"""The :math:`\gamma` of the kernel :math:`\exp(-\gamma\lVert x - x'\rVert^2)`.

    A number is used as given. ``"median"``: :math:`1/\sigma^2` with
    :math:`\sigma` the median distance between pool rows (on ``n_samples``
    rows drawn with ``random_state``). ``"adaptive"`` [1]_: :math:`\sigma` is
    the smallest non-zero distance between labeled rows, so the kernel
    narrows as labels accumulate; ``"median"`` while fewer than two distinct
    labeled rows exist.

    References
    ----------
    .. [1] W. Bae, G. L. Oliveira and D. J. Sutherland. "Uncertainty Herding:
       One Active Learning Method for All Label Budgets". ICLR 2025.
    """
    if not isinstance(gamma, str):
        return float(gamma)
    sigma = np.nan
    if gamma == "adaptive" and labeled is not None:
        distances = nonzero_distances(labeled)
        sigma = distances.min() if distances.size else np.nan
    if not np.isfinite(sigma) or sigma <= 0:
        distances = sampled_distances(pool, n_samples, random_state)
        sigma = np.median(distances) if distances.size else 1.0
    return 1.0 / float(sigma) ** 2


def herding_features(context, normalize):
    """Pool and labeled rows as dense feature matrices, unit rows if asked."""
    pool = pool_feature_matrix(context)
    labeled = labeled_feature_matrix(context)
    blocks = [pool, labeled]
    for i, block in enumerate(blocks):
        if block is None:
            continue
        block = block.toarray() if sp.issparse(block) else np.asarray(block, float)
        blocks[i] = unit_rows(block) if normalize else block
    return blocks


class MaxHerding(QueryStrategy):
    r"""MaxHerding: greedily maximise the generalized coverage of the data.

    Generalized coverage [1]_ replaces ProbCover's :math:`\delta`-balls with a
    Gaussian kernel :math:`k(x, x') = \exp(-\gamma \lVert x - x' \rVert^2)`:

    .. math::

        C(\mathcal{L}) = \frac{1}{N} \sum_{i=1}^{N}
        \max_{x' \in \mathcal{L}} k(x_i, x'),

    the average over the pool of how well the nearest labeled row covers each
    row. Labeled rows cover from the start; each pick is the pool row that
    raises :math:`C` most, :math:`\arg\max_x \sum_i [k(x_i, x) - m_i]_+` with
    :math:`m_i` the current coverage of :math:`x_i` (Algorithm 1 of [1]_, a
    kernel herding on the data's own distribution). :math:`C` is monotone and
    submodular, so the greedy batch is within :math:`1 - 1/e` of the best
    one. No model is needed (``requires_model = False``): it is meant for the
    initial set and low budgets, where it is more robust than TypiClust and
    ProbCover to the choice of its one parameter [1]_.

    Parameters
    ----------
    gamma : float or {"median", "adaptive"}, default="median"
        :math:`\gamma` of the kernel. ``"median"``: :math:`1/\sigma^2` with
        :math:`\sigma` the median distance between pool rows (estimated on
        ``n_distance_samples`` rows); ``"adaptive"``: :math:`\sigma` is the
        smallest distance between two labeled rows [2]_.
    normalize : bool, default=False
        Scale every row to unit length first (the authors work on normalised
        self-supervised embeddings; scikit-activeml normalises by default).
    n_distance_samples : int, default=2000
        Rows on which the median distance is estimated.

    Attributes
    ----------
    gamma_ : float
        The :math:`\gamma` of the last :meth:`select`.

    Notes
    -----
    Distances are Euclidean in the estimator's feature space, made dense.
    Kernel values are computed in blocks (:data:`KERNEL_BLOCK` entries), never
    as an N x N matrix; the lazy greedy search (:func:`greedy_herding`) costs
    one O(N²·d) pass, then O(N·d) per pick and per recomputed gain. On a
    100,000 x 20 pool the first pass is 10¹⁰ kernel values: a query of 10
    rows took 115 s on one core with a peak of 78 MiB of allocations
    (``benchmarks/bench_scoreboard.py --scale``);
    :class:`~skal.strategies.SubSampling` bounds the time.

    References
    ----------
    .. [1] W. Bae, J. Noh and D. J. Sutherland. "Generalized Coverage for More
       Robust Low-Budget Active Learning". European Conference on Computer
       Vision (ECCV), 2024.
    .. [2] W. Bae, G. L. Oliveira and D. J. Sutherland. "Uncertainty Herding:
       One Active Learning Method for All Label Budgets". International
       Conference on Learning Representations (ICLR), 2025.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import MaxHerding
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000),
    ...                         initial_strategy=MaxHerding(), n_initial=20,
    ...                         budget=40, batch_size=10, random_state=0)
    >>> learner.fit(X, y).history_[0]["strategy"]
    'MaxHerding'
    """

    requires_model = False

    def __init__(self, gamma="median", normalize=False, n_distance_samples=2000):
        self.gamma = gamma
        self.normalize = normalize
        self.n_distance_samples = n_distance_samples

    _parameter_constraints = {
        "gamma": [
            Options(("median", "adaptive")),
            Interval(Real, 0, None, closed="neither"),
        ],
        "normalize": [_BOOL],
        "n_distance_samples": [Interval(Integral, 2, None)],
    }

    def _weights(self, context, pool):
        """Weights of the pool rows in the coverage: all equal here."""
        return np.ones(pool.shape[0])

    def _select(self, context, n_instances):
        pool, labeled = herding_features(context, self.normalize)
        weights = self._weights(context, pool)
        self.gamma_ = kernel_gamma(
            self.gamma, pool, labeled, self.n_distance_samples, context.random_state
        )
        return greedy_herding(
            pool, labeled, weights, self.gamma_, n_instances, context.random_state
        )


def model_logits(estimator, X):
    """Logits of a classifier: ``decision_function`` (``[0, d]`` for a binary
    one), else the log of ``predict_proba`` (a softmax of it gives the
    probabilities back)."""
    if hasattr(estimator, "decision_function"):
        scores = np.asarray(estimator.decision_function(X), dtype=float)
        if scores.ndim == 1:
            scores = np.column_stack([np.zeros_like(scores), scores])
        return scores
    with np.errstate(divide="ignore"):
        return np.log(np.asarray(estimator.predict_proba(X), dtype=float))


def expected_calibration_error(proba, y_true, classes, n_bins):
    r"""Expected calibration error of the top-class confidence.

    .. math::

        \mathrm{ECE} = \sum_{b=1}^{B} \frac{|I_b|}{n}
        \big|\mathrm{acc}(I_b) - \mathrm{conf}(I_b)\big|

    over ``n_bins`` equal-width bins of confidence :math:`\max_y P(y\mid x)`
    (the last bin closed) [1]_.

    References
    ----------
    .. [1] C. Guo, G. Pleiss, Y. Sun and K. Q. Weinberger. "On Calibration of
       Modern Neural Networks". ICML 2017.

    Examples
    --------
    >>> import numpy as np
    >>> proba = np.array([[0.9, 0.1], [0.6, 0.4], [0.2, 0.8]])
    >>> round(expected_calibration_error(proba, np.array([0, 1, 1]),
    ...                                  np.array([0, 1]), 10), 4)
    0.3
    """
    confidence = proba.max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y_true
    bins = np.minimum((confidence * n_bins).astype(int), n_bins - 1)
    error = 0.0
    for b in np.unique(bins):
        members = bins == b
        gap = correct[members].mean() - confidence[members].mean()
        error += members.mean() * abs(gap)
    return float(error)


def calibrated_temperature(
    estimator, X, y, temperatures, validation_size, n_bins, seed
):
    """The temperature of lowest calibration error on a validation split.

    A clone of ``estimator`` is fitted on the other labeled rows (the split is
    stratified when every class has two rows); its logits on the validation
    rows are divided by each temperature and the one of lowest
    :func:`expected_calibration_error` is kept (the first among ties). 1 when
    the split or the fit is impossible.
    """
    y = np.asarray(y)
    classes, counts = np.unique(y, return_counts=True)
    if y.size < 4 or classes.size < 2:
        return 1.0
    stratify = y if counts.min() >= 2 else None
    try:
        train, valid = train_test_split(
            np.arange(y.size),
            test_size=validation_size,
            random_state=seed,
            stratify=stratify,
        )
    except ValueError:
        return 1.0
    if np.unique(y[train]).size < 2:
        return 1.0
    model = clone(estimator).fit(_rows(X, train), y[train])
    logits = model_logits(model, _rows(X, valid))
    errors = [
        expected_calibration_error(
            softmax(logits / t, axis=1), y[valid], model.classes_, n_bins
        )
        for t in temperatures
    ]
    return float(temperatures[int(np.argmin(errors))])


def _rows(X, index):
    return X.iloc[index] if hasattr(X, "iloc") else X[index]


class UncertaintyHerding(MaxHerding):
    r"""Uncertainty Herding: cover the uncertain rows, greedily.

    Uncertainty coverage [1]_ weights the generalized coverage of
    :class:`MaxHerding` by the model's uncertainty :math:`U(x_i)` of each row:

    .. math::

        UC(\mathcal{L}) = \frac{1}{N} \sum_{i=1}^{N} U(x_i)
        \max_{x' \in \mathcal{L}} k(x_i, x'),

    and each pick is :math:`\arg\max_x \sum_i U(x_i)\,[k(x_i, x) - m_i]_+`.
    With the adaptive kernel width (the smallest distance between labeled
    rows) the kernel narrows as labels accumulate: at low budgets the picks
    cover the data like MaxHerding, at high budgets they approach uncertainty
    sampling, so one method serves every budget [1]_.

    :math:`U` is an uncertainty ``measure`` of temperature-scaled
    probabilities :math:`\mathrm{softmax}(z / T)` of the model's logits
    :math:`z` (``decision_function``, or the log of ``predict_proba``). As in
    [1]_, :math:`T` is picked among ``temperatures`` by the expected
    calibration error of a clone of the estimator fitted on the labeled rows
    but a ``validation_size`` share, scored on that share.

    Parameters
    ----------
    measure : {"margin", "least_confident", "entropy"}, default="margin"
        The uncertainty :math:`U` (margin in [1]_).
    temperatures : "auto", float or array-like of float, default="auto"
        Candidate temperatures; ``"auto"`` is 49 values log-spaced over
        [0.1, 10]. A single number is used as given (no calibration fit).
    validation_size : float in (0, 1), default=0.2
        Share of the labeled rows the calibration is scored on.
    n_bins : int, default=15
        Bins of the expected calibration error.
    gamma : float or {"adaptive", "median"}, default="adaptive"
        :math:`\gamma` of the Gaussian kernel (see :class:`MaxHerding`);
        ``"adaptive"`` as in [1]_.
    normalize : bool, default=False
        Scale every row to unit length first.
    n_distance_samples : int, default=2000
        Rows on which a median distance is estimated.

    Attributes
    ----------
    gamma_ : float
        The kernel's :math:`\gamma` of the last :meth:`select`.
    temperature_ : float
        The temperature of the last :meth:`select`.

    Notes
    -----
    Cost: that of :class:`MaxHerding`, plus one ``decision_function`` pass over
    the pool and, to calibrate, one fit of a clone on the labeled rows. When
    the model has no information (every uncertainty zero, one class known)
    the weights are all one: plain MaxHerding.

    References
    ----------
    .. [1] W. Bae, G. L. Oliveira and D. J. Sutherland. "Uncertainty Herding:
       One Active Learning Method for All Label Budgets". International
       Conference on Learning Representations (ICLR), 2025.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import UncertaintyHerding
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=1000),
    ...                         UncertaintyHerding(), n_initial=20,
    ...                         budget=40, batch_size=10, random_state=0)
    >>> learner.fit(X, y).history_[-1]["strategy"]
    'UncertaintyHerding'
    """

    requires_model = True

    def __init__(
        self,
        measure="margin",
        temperatures="auto",
        validation_size=0.2,
        n_bins=15,
        gamma="adaptive",
        normalize=False,
        n_distance_samples=2000,
    ):
        super().__init__(
            gamma=gamma, normalize=normalize, n_distance_samples=n_distance_samples
        )
        self.measure = measure
        self.temperatures = temperatures
        self.validation_size = validation_size
        self.n_bins = n_bins

    _parameter_constraints = {
        "measure": [Options(MEASURES)],
        "temperatures": [
            Options(("auto",)),
            Interval(Real, 0, None, closed="neither"),
            InstanceOf((list, tuple, np.ndarray), "a list of positive numbers"),
        ],
        "validation_size": [Interval(Real, 0, 1, closed="neither")],
        "n_bins": [Interval(Integral, 1, None)],
    }

    def _temperature(self, context):
        if isinstance(self.temperatures, str):
            grid = np.logspace(-1, 1, 49)
        else:
            grid = np.atleast_1d(np.asarray(self.temperatures, dtype=float))
            if grid.ndim != 1 or grid.size == 0 or not np.all(grid > 0):
                raise ValueError(
                    "temperatures must be 'auto', a positive number or a "
                    f"non-empty list of positive numbers; got {self.temperatures!r}."
                )
        if grid.size == 1:
            return float(grid[0])
        X_labeled, y_labeled = context.labeled()
        return calibrated_temperature(
            context.estimator,
            X_labeled,
            y_labeled,
            grid,
            self.validation_size,
            self.n_bins,
            draw_seed(context.random_state),
        )

    def _weights(self, context, pool):
        refuse_multilabel(context, self)
        self.temperature_ = self._temperature(context)
        measure = UNCERTAINTY[self.measure]
        temperature = self.temperature_

        def uncertainty(X_chunk):
            logits = model_logits(context.estimator, X_chunk)
            return measure(softmax(logits / temperature, axis=1))

        weights = context.map_pool(uncertainty)
        if not np.all(np.isfinite(weights)) or np.allclose(weights, 0.0):
            return np.ones(pool.shape[0])
        return weights
