r"""Honest estimates of a model trained on actively chosen rows.

A model trained on rows an active learner chose must not be scored on those
same rows: the chosen rows are the hard ones, so cross-validation on them is
biased low, and its interval does not cover the model's accuracy on the data it
will meet. Two routes give estimates that are unbiased, with an interval:

* **audit rows** (:func:`audit_estimate`): a share of the questions drawn
  uniformly at random from the pool and kept out of training. The model trained
  without them is scored on them: an ordinary random sample, so the ordinary
  intervals hold (Wilson's for accuracy);
* **importance weights** (:func:`stochastic_selection`, :func:`lure_estimate`):
  when rows are picked at random with known probabilities -- in proportion to a
  power of the strategy's utilities (Kirsch et al. [3]_) instead of the top
  ones -- every labeled row can enter the estimate, each weighted by how likely
  it was to be picked. The LURE estimator of Farquhar et al. [1]_ is unbiased
  for the mean of a per-row quantity over the pool; Kossen et al. [2]_ use the
  same weights to evaluate a model with few test labels, as Sawade et al.
  [4]_ did for risk estimation from actively drawn test rows.

Every estimate is an :class:`Estimate`: the value, its interval, how many rows
it rests on and what they are, so a status line can say all of it.

References
----------
.. [1] S. Farquhar, Y. Gal and T. Rainforth. "On Statistical Bias in Active
   Learning: How and When to Fix It". ICLR 2021.
.. [2] J. Kossen, S. Farquhar, Y. Gal and T. Rainforth. "Active Testing:
   Sample-Efficient Model Evaluation". ICML 2021.
.. [3] A. Kirsch, S. Farquhar, P. Atighehchian, A. Jesson, F. Branchaud-Charron
   and Y. Gal. "Stochastic Batch Acquisition: A Simple Baseline for Deep Active
   Learning". TMLR 2023.
.. [4] C. Sawade, N. Landwehr, S. Bickel and T. Scheffer. "Active Risk
   Estimation". ICML 2010.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.metrics import check_scoring
from sklearn.utils import check_random_state

from .utils._rows import n_rows, take_rows

__all__ = [
    "Estimate",
    "audit_estimate",
    "lure_estimate",
    "lure_weights",
    "pure_estimate",
    "stochastic_selection",
    "wilson_interval",
]


@dataclass(frozen=True)
class Estimate:
    """An estimate of a model's quality, with its interval and what it rests on.

    Attributes
    ----------
    value : float
        The point estimate.
    low, high : float
        The interval's bounds.
    confidence : float
        The interval's nominal coverage, in (0, 1) (0.95 for a 95% interval).
    n_rows : int
        How many labeled rows the estimate rests on.
    basis : str
        What those rows are and how they were used, for a person: ``"120 random
        audit rows"``, ``"300 labels, importance-weighted (LURE)"``.
    metric : str
        What is estimated: ``"accuracy"``, a scorer's name, ``"loss"``.

    Examples
    --------
    >>> from skal.evaluation import Estimate
    >>> print(Estimate(0.87, 0.81, 0.91, 0.95, 120, "120 random audit rows",
    ...                "accuracy"))
    accuracy 0.87 (95% interval 0.81-0.91, 120 random audit rows)
    """

    value: float
    low: float
    high: float
    confidence: float
    n_rows: int
    basis: str
    metric: str = "accuracy"

    @property
    def width(self) -> float:
        """``high - low``."""
        return self.high - self.low

    def covers(self, truth: float) -> bool:
        """Whether ``low <= truth <= high``."""
        return bool(self.low <= truth <= self.high)

    def __str__(self) -> str:
        return (
            f"{self.metric} {_fmt(self.value)} ({self.confidence:.0%} interval "
            f"{_fmt(self.low)}-{_fmt(self.high)}, {self.basis})"
        )


def _fmt(x):
    """Two decimals for numbers of order one, three significant digits else."""
    if not np.isfinite(x):
        return str(x)
    return f"{x:.2f}" if 0.01 <= abs(x) < 100 or x == 0 else f"{x:.3g}"


def _check_confidence(confidence):
    if not isinstance(confidence, Real) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a number in (0, 1); got {confidence!r}.")
    return float(confidence)


def wilson_interval(n_successes, n_trials, confidence=0.95):
    r"""Wilson's score interval for a proportion.

    .. math:: \frac{\hat p + \frac{z^2}{2n}}{1 + \frac{z^2}{n}} \pm
              \frac{z}{1 + \frac{z^2}{n}}
              \sqrt{\frac{\hat p (1 - \hat p)}{n} + \frac{z^2}{4 n^2}}

    with :math:`\hat p` the observed share and :math:`z` the normal quantile
    of :math:`(1 + \text{confidence}) / 2`. Unlike the normal ("Wald")
    interval it stays inside [0, 1] and keeps its coverage near 0 and 1 and on
    small samples (Brown, Cai and DasGupta, Statistical Science 2001).

    Parameters
    ----------
    n_successes : float
        Successes (may be fractional, for an effective sample size).
    n_trials : float
        Trials, > 0.
    confidence : float, default=0.95

    Returns
    -------
    low, high : float

    Examples
    --------
    >>> from skal.evaluation import wilson_interval
    >>> low, high = wilson_interval(8, 10)
    >>> round(low, 3), round(high, 3)
    (0.49, 0.943)
    """
    confidence = _check_confidence(confidence)
    if not n_trials > 0:
        raise ValueError(f"n_trials must be > 0; got {n_trials!r}.")
    if not 0 <= n_successes <= n_trials:
        raise ValueError(
            f"n_successes must be in [0, n_trials={n_trials}]; got {n_successes!r}."
        )
    z = stats.norm.ppf((1 + confidence) / 2)
    p = n_successes / n_trials
    denominator = 1 + z**2 / n_trials
    center = (p + z**2 / (2 * n_trials)) / denominator
    half = z / denominator * np.sqrt(p * (1 - p) / n_trials + z**2 / (4 * n_trials**2))
    low = 0.0 if n_successes == 0 else max(0.0, center - half)
    high = 1.0 if n_successes == n_trials else min(1.0, center + half)
    return float(low), float(high)


def _t_interval(values, confidence):
    """Mean of ``values`` with a Student-t interval on its standard error."""
    values = np.asarray(values, dtype=float)
    mean = float(values.mean())
    if values.size < 2:
        return mean, -np.inf, np.inf
    se = values.std(ddof=1) / np.sqrt(values.size)
    t = stats.t.ppf((1 + confidence) / 2, df=values.size - 1)
    return mean, mean - t * se, mean + t * se


def _row_scores(estimator, X, y, scoring):
    """Per-row scores whose mean is ``scoring`` (greater is better), or None
    when the scorer does not decompose over rows."""
    y = np.asarray(y)
    if scoring == "neg_mean_squared_error":
        return -((y - np.asarray(estimator.predict(X), dtype=float)) ** 2)
    if scoring == "neg_mean_absolute_error":
        return -np.abs(y - np.asarray(estimator.predict(X), dtype=float))
    if scoring in ("neg_log_loss", "neg_brier_score"):
        proba = np.asarray(estimator.predict_proba(X), dtype=float)
        classes = list(estimator.classes_)
        if scoring == "neg_brier_score":
            if len(classes) != 2:
                return None
            positive = (y == classes[1]).astype(float)
            return -((proba[:, 1] - positive) ** 2)
        columns = np.array([classes.index(label) for label in y])
        p_true = proba[np.arange(len(y)), columns]
        eps = np.finfo(proba.dtype).eps
        return np.log(np.clip(p_true, eps, 1.0))
    return None


def audit_estimate(
    estimator,
    X_audit,
    y_audit,
    *,
    scoring="accuracy",
    confidence=0.95,
    n_bootstrap=1000,
    random_state=0,
):
    """Estimate a fitted model's quality on audit rows drawn at random.

    Audit rows are pool rows drawn uniformly at random and labeled, but kept
    out of the model's training. The model is scored on them: a simple random
    sample of the data the model will meet, so the estimate is unbiased and the
    ordinary intervals apply. Rows an active strategy chose must never be used
    here (they are the hard rows: the estimate would be biased low).

    How the interval is made depends on the scorer:

    * ``"accuracy"``: Wilson's score interval (:func:`wilson_interval`) on the
      number of correct predictions;
    * scorers that are a mean over rows (``"neg_log_loss"``,
      ``"neg_brier_score"`` for two classes, ``"neg_mean_squared_error"``,
      ``"neg_mean_absolute_error"``): the mean of the per-row scores with a
      Student-t interval on its standard error;
    * any other scorer (``"balanced_accuracy"``, ``"f1_macro"``, ``"r2"``, a
      callable, ...): a percentile bootstrap over the audit rows, with
      ``n_bootstrap`` resamples drawn with ``random_state`` (resamples on
      which the scorer fails, say with one class only, are skipped).

    Parameters
    ----------
    estimator : fitted estimator
        The model, trained without the audit rows.
    X_audit : array-like, sparse matrix, DataFrame or list
        The audit rows.
    y_audit : array-like of shape (n_audit,)
        Their labels.
    scoring : str or callable, default="accuracy"
        A scikit-learn scorer name or a scorer ``scorer(estimator, X, y)``.
    confidence : float, default=0.95
        Nominal coverage of the interval.
    n_bootstrap : int, default=1000
        Resamples for scorers that need the bootstrap.
    random_state : int, RandomState instance or None, default=0
        For the bootstrap only.

    Returns
    -------
    estimate : Estimate

    References
    ----------
    .. [1] S. Farquhar, Y. Gal and T. Rainforth. "On Statistical Bias in Active
       Learning: How and When to Fix It". ICLR 2021.
    .. [2] E. B. Wilson. "Probable Inference, the Law of Succession, and
       Statistical Inference". JASA 22, 1927.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.dummy import DummyClassifier
    >>> from skal.evaluation import audit_estimate
    >>> model = DummyClassifier(strategy="constant", constant=1).fit([[0], [1]], [0, 1])
    >>> X_audit, y_audit = np.zeros((40, 1)), np.array([1] * 30 + [0] * 10)
    >>> print(audit_estimate(model, X_audit, y_audit))
    accuracy 0.75 (95% interval 0.60-0.86, 40 random audit rows)
    """
    confidence = _check_confidence(confidence)
    n = n_rows(X_audit)
    y_audit = np.asarray(y_audit)
    if n == 0:
        raise ValueError("X_audit is empty: an audit estimate needs audit rows.")
    if y_audit.shape[0] != n:
        raise ValueError(
            f"y_audit has {y_audit.shape[0]} labels for {n} rows of X_audit."
        )
    if not isinstance(n_bootstrap, Integral) or n_bootstrap < 1:
        raise ValueError(f"n_bootstrap must be an int >= 1; got {n_bootstrap!r}.")
    basis = f"{n} random audit row{'s' if n != 1 else ''}"
    metric = (
        scoring if isinstance(scoring, str) else getattr(scoring, "__name__", "score")
    )
    if scoring in ("accuracy", None):
        correct = np.asarray(estimator.predict(X_audit)) == y_audit
        k = int(np.sum(correct))
        low, high = wilson_interval(k, n, confidence)
        return Estimate(k / n, low, high, confidence, n, basis, "accuracy")
    scores = _row_scores(estimator, X_audit, y_audit, scoring)
    if scores is not None:
        value, low, high = _t_interval(scores, confidence)
        return Estimate(value, float(low), float(high), confidence, n, basis, metric)
    scorer = check_scoring(estimator, scoring=scoring)
    value = float(scorer(estimator, X_audit, y_audit))
    rng = check_random_state(random_state)
    replicates = []
    for _ in range(n_bootstrap):
        rows = rng.randint(0, n, size=n)
        try:
            replicates.append(
                float(scorer(estimator, take_rows(X_audit, rows), y_audit[rows]))
            )
        except ValueError:
            continue
    if replicates:
        alpha = (1 - confidence) / 2
        low, high = np.quantile(replicates, [alpha, 1 - alpha])
    else:
        low, high = -np.inf, np.inf
    return Estimate(value, float(low), float(high), confidence, n, basis, metric)


def stochastic_selection(utilities, n_instances, *, power=1.0, random_state=None):
    r"""Draw rows at random in proportion to a power of their utilities.

    Power acquisition (Kirsch et al. [1]_): ``n_instances`` rows are drawn one
    after another without replacement, each with probability

    .. math:: q_m(i) = \frac{s_i^\beta}{\sum_{j \text{ not yet drawn}} s_j^\beta}

    where :math:`s_i` is row :math:`i`'s utility (shifted so the smallest is 0
    when some are negative) and :math:`\beta` is ``power``. ``power=0`` draws
    uniformly; a large power approaches the top-k picks of a ranking strategy.
    Kirsch et al. find power sampling as good as top-k while being cheaper than
    batch-aware strategies; here it matters because every pick's probability
    is known, so the importance-weighted estimates (:func:`lure_estimate`) can
    use every labeled row.

    The draws are made at once with the Gumbel-top-k trick (ordering
    :math:`\beta \log s_i + G_i` with Gumbel noise :math:`G_i` gives the order
    of sequential draws without replacement), so the cost is one pass over the
    pool. Rows with zero weight are drawn only after every row of positive
    weight, uniformly among themselves; all-zero utilities draw uniformly.
    Importance weights need every row to have a positive probability: keep the
    utilities positive (uncertainty measures are) or mix in a uniform share
    yourself.

    Parameters
    ----------
    utilities : array-like of shape (n_pool,)
        Utilities of the pool rows, greater is more wanted (a ranking
        strategy's ``score_pool``).
    n_instances : int
        Rows to draw, at most ``n_pool``.
    power : float, default=1.0
        The exponent :math:`\beta \ge 0`.
    random_state : int, RandomState instance or None, default=None

    Returns
    -------
    positions : ndarray of int, shape (n_instances,)
        The drawn positions, in drawing order.
    probabilities : ndarray of float, shape (n_instances,)
        Each pick's probability :math:`q_m` at the moment it was drawn, among
        the rows not drawn before it (what :func:`lure_estimate` needs).

    References
    ----------
    .. [1] A. Kirsch, S. Farquhar, P. Atighehchian, A. Jesson,
       F. Branchaud-Charron and Y. Gal. "Stochastic Batch Acquisition: A Simple
       Baseline for Deep Active Learning". TMLR 2023.

    Examples
    --------
    >>> from skal.evaluation import stochastic_selection
    >>> positions, q = stochastic_selection([1.0, 1.0, 2.0], 1, random_state=0)
    >>> float(q[0]) == (2.0 / 4.0 if positions[0] == 2 else 1.0 / 4.0)
    True
    """
    utilities = np.asarray(utilities, dtype=float)
    if utilities.ndim != 1:
        raise ValueError(f"utilities must be 1-D; got shape {utilities.shape}.")
    if not np.all(np.isfinite(utilities)):
        raise ValueError("utilities must be finite.")
    n_pool = utilities.size
    if not isinstance(n_instances, Integral) or not 0 <= n_instances <= n_pool:
        raise ValueError(
            f"n_instances must be an int in [0, {n_pool}]; got {n_instances!r}."
        )
    if not isinstance(power, Real) or not power >= 0 or not np.isfinite(power):
        raise ValueError(f"power must be a finite number >= 0; got {power!r}.")
    rng = check_random_state(random_state)
    if n_pool and utilities.min() < 0:
        utilities = utilities - utilities.min()
    if power == 0:
        weights = np.ones(n_pool)
    else:
        # scale first so large utilities or powers do not overflow
        top = utilities.max() if n_pool else 0.0
        weights = (utilities / top) ** power if top > 0 else np.zeros(n_pool)
    positive = weights > 0
    keys = np.full(n_pool, -np.inf)
    with np.errstate(divide="ignore"):
        keys[positive] = np.log(weights[positive]) + rng.gumbel(size=positive.sum())
    # zero-weight rows come last, in a uniformly random order among themselves
    zero_order = rng.permutation(np.flatnonzero(~positive))
    order = np.concatenate(
        [
            np.flatnonzero(positive)[np.argsort(-keys[positive], kind="stable")],
            zero_order,
        ]
    )
    positions = order[:n_instances].astype(np.intp)
    drawn = weights[positions]
    remaining = weights.sum() - np.concatenate([[0.0], np.cumsum(drawn)[:-1]])
    probabilities = np.empty(n_instances)
    for m in range(n_instances):
        if drawn[m] > 0:
            probabilities[m] = min(1.0, drawn[m] / remaining[m])
        else:  # only zero-weight rows are left: uniform among them
            probabilities[m] = 1.0 / (n_pool - m)
    return positions, probabilities


def _check_lure_inputs(losses, q, N):
    losses = np.asarray(losses, dtype=float)
    q = np.asarray(q, dtype=float)
    if losses.ndim != 1 or losses.shape != q.shape:
        raise ValueError(
            "losses and q must be 1-D arrays of the same length; got shapes "
            f"{losses.shape} and {q.shape}."
        )
    M = losses.size
    if M == 0:
        raise ValueError("losses is empty: an estimate needs at least one row.")
    if not isinstance(N, Integral) or N < M:
        raise ValueError(f"N must be an int >= len(losses)={M}; got {N!r}.")
    if not np.all((q > 0) & (q <= 1)):
        raise ValueError("every probability in q must be in (0, 1].")
    if not np.all(np.isfinite(losses)):
        raise ValueError("losses must be finite.")
    return losses, q, int(N)


def lure_weights(q, N):
    r"""The LURE weights of Farquhar et al. for picks in acquisition order.

    .. math:: v_m = 1 + \frac{N - M}{N - m}
              \left(\frac{1}{(N - m + 1)\, q_m} - 1\right),
              \quad m = 1, \dots, M

    With uniform draws (:math:`q_m = 1 / (N - m + 1)`) every weight is 1.

    Parameters
    ----------
    q : array-like of shape (M,)
        Each pick's selection probability when it was drawn.
    N : int
        Rows in the pool the picks were drawn from (before the first pick).

    Returns
    -------
    weights : ndarray of shape (M,)

    Examples
    --------
    >>> from skal.evaluation import lure_weights
    >>> lure_weights([1 / 4, 1 / 3], 4).tolist()
    [1.0, 1.0]
    """
    q = np.asarray(q, dtype=float)
    _check_lure_inputs(np.zeros_like(q), q, N)
    M = q.size
    m = np.arange(1, M + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(m < N, (N - M) / np.maximum(N - m, 1), 0.0)
    return 1.0 + ratio * (1.0 / ((N - m + 1) * q) - 1.0)


def _weighted_interval(weights, values, confidence):
    """The interval of the mean of ``weights * values``: Student-t on the
    terms' sample variance, widened to Wilson's on Kish's effective sample size
    when ``values`` are 0/1 (a share, such as accuracy)."""
    value, low, high = _t_interval(weights * values, confidence)
    if np.all((values == 0) | (values == 1)):
        weights = np.abs(weights)
        n_eff = weights.sum() ** 2 / np.sum(weights**2) if np.any(weights) else 1.0
        p = min(max(value, 0.0), 1.0)
        w_low, w_high = wilson_interval(p * n_eff, n_eff, confidence)
        low, high = min(low, w_low), max(high, w_high)
        low, high = max(low, 0.0), min(high, 1.0)
    return float(low), float(high)


def lure_estimate(losses, q, N, *, confidence=0.95, metric="loss", basis=None):
    r"""The LURE estimate of a pool mean from rows picked with known probabilities.

    Farquhar et al.'s "levelled unbiased risk estimator": for :math:`M` rows
    picked one after another from a pool of :math:`N`, the :math:`m`-th with
    probability :math:`q_m` among the rows left,

    .. math:: \hat R_{\mathrm{LURE}} = \frac{1}{M} \sum_{m=1}^{M} v_m L_m

    with the weights :math:`v_m` of :func:`lure_weights`. It is unbiased for
    the mean of :math:`L` over all :math:`N` rows whatever the (positive)
    probabilities, and with uniform picks it is the plain mean. ``losses`` may
    be any per-row quantity.

    For accuracy, pass the 0/1 **errors** and take one minus the estimate (and
    the interval flipped), rather than passing 1 for each correct row: LURE is
    not normalised (a constant loss does not give that constant back, only on
    average), so the estimate of a mean of values near 1 carries the whole
    variance of the weights, while rows without error contribute nothing
    whatever their weight. On ``load_breast_cancer``, where the model is right
    on almost every row, passing correctness instead of errors made the
    estimate's mean absolute error ten times larger or more (0.14-0.70
    against 0.01-0.03, margin power sampling, 2 seeds).

    The losses must not come from a model trained on the same rows (that is
    training error, biased optimistic): use out-of-fold predictions (cross-
    fitting) or a model trained before the rows were picked.

    **The interval.** The variance used is the plug-in one, the sample variance
    of the terms :math:`v_m L_m` divided by :math:`M`, with a Student-t
    quantile. It treats the terms as independent and drops the finite-pool
    correction :math:`1 - M / N`: for draws without replacement this errs on
    the wide side, which is the side to err on for an interval a person relies
    on (Farquhar et al. analyse the variance only asymptotically). When the
    losses are 0/1 the interval is widened to at least Wilson's on Kish's
    effective sample size :math:`(\sum v)^2 / \sum v^2`, which keeps coverage
    when few errors were seen, and clipped to [0, 1].

    Parameters
    ----------
    losses : array-like of shape (M,)
        Per-row values of the picks, in acquisition order.
    q : array-like of shape (M,)
        Each pick's selection probability when it was drawn (see
        :func:`stochastic_selection`; ``1 / (N - m + 1)`` for the ``m``-th of
        uniform random picks).
    N : int
        Rows in the pool before the first pick.
    confidence : float, default=0.95
    metric : str, default="loss"
        What ``losses`` measure, for :class:`Estimate`.
    basis : str or None, default=None
        Overrides the default ``"M labels, importance-weighted (LURE)"``.

    Returns
    -------
    estimate : Estimate

    References
    ----------
    .. [1] S. Farquhar, Y. Gal and T. Rainforth. "On Statistical Bias in Active
       Learning: How and When to Fix It". ICLR 2021.
    .. [2] J. Kossen, S. Farquhar, Y. Gal and T. Rainforth. "Active Testing:
       Sample-Efficient Model Evaluation". ICML 2021.

    Examples
    --------
    >>> from skal.evaluation import lure_estimate
    >>> est = lure_estimate([1.0, 0.0], [0.5, 0.5], N=4)
    >>> round(est.value, 4)
    0.3333
    """
    confidence = _check_confidence(confidence)
    losses, q, N = _check_lure_inputs(losses, q, N)
    weights = lure_weights(q, N)
    value = float(np.mean(weights * losses))
    low, high = _weighted_interval(weights, losses, confidence)
    M = losses.size
    if basis is None:
        basis = f"{M} label{'s' if M != 1 else ''}, importance-weighted (LURE)"
    return Estimate(value, low, high, confidence, M, basis, metric)


def pure_estimate(losses, q, N, *, confidence=0.95, metric="loss", basis=None):
    r"""The PURE estimate of a pool mean from rows picked with known probabilities.

    Farquhar et al.'s "plain unbiased risk estimator": each pick gives an
    unbiased estimate of the pool mean, the rows picked before it counted
    exactly and the rest importance-sampled,

    .. math:: a_m = \frac{1}{N} \left(\sum_{t < m} L_t
              + \frac{L_m}{q_m}\right), \qquad
              \hat R_{\mathrm{PURE}} = \frac{1}{M} \sum_{m=1}^{M} a_m .

    The interval is the plug-in Student-t one on the :math:`a_m` (widened as in
    :func:`lure_estimate` for 0/1 losses); the :math:`a_m` are correlated, so
    it is a rough guide only. Prefer :func:`lure_estimate`, whose variance
    Farquhar et al. find lower in practice.

    Parameters
    ----------
    losses, q, N, confidence, metric, basis
        As in :func:`lure_estimate`.

    Returns
    -------
    estimate : Estimate

    Examples
    --------
    >>> from skal.evaluation import pure_estimate
    >>> round(pure_estimate([1.0, 0.0], [0.5, 0.5], N=4).value, 4)
    0.375
    """
    confidence = _check_confidence(confidence)
    losses, q, N = _check_lure_inputs(losses, q, N)
    before = np.concatenate([[0.0], np.cumsum(losses)[:-1]])
    terms = (before + losses / q) / N
    value = float(terms.mean())
    low, high = _t_interval(terms, confidence)[1:]
    if np.all((losses == 0) | (losses == 1)):
        low, high = max(low, 0.0), min(high, 1.0)
    M = losses.size
    if basis is None:
        basis = f"{M} label{'s' if M != 1 else ''}, importance-weighted (PURE)"
    return Estimate(value, float(low), float(high), confidence, M, basis, metric)
