"""Several annotators: how far they agree, who is reliable, one consensus label.

The common input is a **label matrix**: one row per sample, one column per
annotator, each cell the label that annotator gave that row or a *missing
marker* where the annotator did not answer. The marker follows the learner's
``missing_label`` convention:

* ``missing_label="auto"`` (the default): ``-1`` for an integer matrix, NaN
  for a float matrix, and ``None``, a float NaN or pandas' ``NA`` for an
  object matrix (a nullable pandas column turns into one);
* any other scalar (``-1``, ``np.nan``, ``None``, ``""``, ...) marks the cells
  equal to it (a NaN marker matches every NaN cell).

Every function takes the matrix as ``labels`` (array-like or DataFrame of
shape ``(n_rows, n_annotators)``) and the marker as ``missing_label``.

Agreement: :func:`cohen_kappa_matrix` (Cohen's kappa for every pair of
annotators on the rows both labeled), :func:`fleiss_kappa` (Fleiss 1971 [1]_,
generalized to a varying number of ratings per row) and
:func:`krippendorff_alpha` (nominal, with missing values, Krippendorff 2011
[2]_).

Consensus: :func:`consensus_labels` by majority vote, by the EM algorithm of
Dawid and Skene [3]_, or by a CROWDLAB-style weighting of the annotators'
labels and a classifier's out-of-fold probabilities [4]_; each annotator's
accuracy is estimated *against the consensus* (an estimate, not a
measurement against the truth: an annotator's own labels take part in the
consensus, which pulls its estimate up, most on rows with few labels).

References
----------
.. [1] J. L. Fleiss. "Measuring nominal scale agreement among many raters".
   Psychological Bulletin 76(5), pp. 378-382, 1971.
.. [2] K. Krippendorff. "Computing Krippendorff's Alpha-Reliability".
   Annenberg School for Communication, University of Pennsylvania, 2011.
.. [3] A. P. Dawid and A. M. Skene. "Maximum Likelihood Estimation of Observer
   Error-Rates Using the EM Algorithm". Journal of the Royal Statistical
   Society C 28(1), pp. 20-28, 1979.
.. [4] H. W. Goh, U. Tkachenko and J. Mueller. "CROWDLAB: Supervised learning
   to infer consensus labels and quality scores for data with multiple
   annotators". arXiv:2210.06812, 2022.
.. [5] P. Donmez, J. G. Carbonell and J. Schneider. "Efficiently Learning the
   Accuracy of Labeling Sources for Selective Sampling". KDD 2009.
.. [6] H. W. Goh and J. Mueller. "ActiveLab: Active Learning with
   Re-Labeling by Multiple Annotators". arXiv:2301.11856, 2023.

Choosing whom to ask and what: :func:`interval_estimation` (IEThresh [5]_:
the annotators whose upper confidence bound on their agreement with the
consensus is near the best) and :func:`activelab_scores` (ActiveLab [6]_:
whether a new row or a second opinion on a labeled row is worth more). The
loop that uses them is :class:`skal.CrowdLearner`.
"""

from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
from scipy import stats
from sklearn.utils import check_random_state

from .evaluation import wilson_interval
from .stopping import cohen_kappa

__all__ = [
    "Consensus",
    "encode_label_matrix",
    "cohen_kappa_matrix",
    "fleiss_kappa",
    "krippendorff_alpha",
    "consensus_labels",
    "interval_estimation",
    "activelab_scores",
]


def _is_nan(value):
    """NaN, or pandas' NA (whose truth value is ambiguous)."""
    try:
        result = np.isnan(value)
    except (TypeError, ValueError):
        return False
    try:
        return bool(result)
    except TypeError:
        return True


def _missing_mask(matrix, missing_label):
    """Where ``matrix`` holds the missing marker."""
    kind = matrix.dtype.kind
    if isinstance(missing_label, str) and missing_label == "auto":
        if kind in "iub":
            return matrix == -1
        if kind == "f":
            return np.isnan(matrix)
        if kind in "US":
            return np.zeros(matrix.shape, dtype=bool)
        return np.vectorize(lambda v: v is None or _is_nan(v), otypes=[bool])(matrix)
    if _is_nan(missing_label):
        if kind == "f":
            return np.isnan(matrix)
        if kind == "O":
            return np.vectorize(_is_nan, otypes=[bool])(matrix)
        return np.zeros(matrix.shape, dtype=bool)
    if missing_label is None:
        if kind == "O":
            return np.vectorize(lambda v: v is None, otypes=[bool])(matrix)
        return np.zeros(matrix.shape, dtype=bool)
    if kind in "iufb" and not isinstance(missing_label, (Real, np.number)):
        raise ValueError(
            f"missing_label={missing_label!r} cannot mark a cell of a numeric "
            "labels matrix; use -1 or np.nan, or leave missing_label='auto'."
        )
    if kind == "O":
        return np.vectorize(
            lambda v: v is not None and v == missing_label, otypes=[bool]
        )(matrix)
    return matrix == missing_label


def encode_label_matrix(labels, *, missing_label="auto", min_annotators=1):
    """Validate a label matrix and encode it as class indices.

    Parameters
    ----------
    labels : array-like of shape (n_rows, n_annotators)
        ``labels[i, j]`` is annotator ``j``'s label for row ``i``, or the
        missing marker.
    missing_label : "auto" or scalar, default="auto"
        The marker of a missing label (see the module's description).
    min_annotators : int, default=1
        Fewest columns accepted.

    Returns
    -------
    codes : ndarray of shape (n_rows, n_annotators), dtype int
        Index into ``classes`` of each label, ``-1`` where it is missing.
    classes : ndarray
        The sorted distinct labels.

    Examples
    --------
    >>> from skal.annotators import encode_label_matrix
    >>> codes, classes = encode_label_matrix([["a", None], ["b", "a"]])
    >>> codes.tolist(), classes.tolist()
    ([[0, -1], [1, 0]], ['a', 'b'])
    """
    matrix = np.asarray(labels)
    if matrix.ndim != 2:
        raise ValueError(
            "labels must be a 2-D matrix of shape (n_rows, n_annotators); got "
            f"{matrix.ndim} dimension(s)."
        )
    if matrix.shape[0] == 0:
        raise ValueError("labels has no row.")
    if matrix.shape[1] < min_annotators:
        raise ValueError(
            f"labels needs at least {min_annotators} annotator column(s); got "
            f"{matrix.shape[1]}."
        )
    missing = _missing_mask(matrix, missing_label)
    given = matrix[~missing]
    if given.size == 0:
        raise ValueError("labels holds no label: every cell is missing.")
    if given.dtype.kind == "O":
        try:
            classes, inverse = np.unique(given, return_inverse=True)
        except TypeError as error:
            raise ValueError(
                "labels mixes label types that cannot be ordered (e.g. numbers "
                f"and strings): {error}"
            ) from None
    else:
        classes, inverse = np.unique(given, return_inverse=True)
    codes = np.full(matrix.shape, -1, dtype=np.intp)
    codes[~missing] = inverse.ravel()
    return codes, classes


def _counts(codes, n_classes):
    """``counts[i, k]``: how many annotators gave row ``i`` class ``k``."""
    counts = np.zeros((codes.shape[0], n_classes))
    rows, columns = np.nonzero(codes >= 0)
    np.add.at(counts, (rows, codes[rows, columns]), 1)
    return counts


def cohen_kappa_matrix(labels, *, missing_label="auto", min_overlap=2):
    """Cohen's kappa for every pair of annotators, on the rows both labeled.

    Parameters
    ----------
    labels : array-like of shape (n_rows, n_annotators)
    missing_label : "auto" or scalar, default="auto"
    min_overlap : int, default=2
        A pair with fewer rows labeled by both gets NaN.

    Returns
    -------
    kappa : ndarray of shape (n_annotators, n_annotators)
        Symmetric, 1.0 on the diagonal; computed with
        :func:`skal.stopping.cohen_kappa`.
    n_overlap : ndarray of shape (n_annotators, n_annotators), dtype int
        Rows labeled by both annotators of each pair.

    Examples
    --------
    >>> from skal.annotators import cohen_kappa_matrix
    >>> kappa, n = cohen_kappa_matrix([[0, 0], [1, 1], [1, 0], [0, -1]])
    >>> round(float(kappa[0, 1]), 3), int(n[0, 1])
    (0.4, 3)
    """
    if not isinstance(min_overlap, Integral) or min_overlap < 1:
        raise ValueError(f"min_overlap must be an int >= 1; got {min_overlap!r}.")
    codes, _ = encode_label_matrix(
        labels, missing_label=missing_label, min_annotators=2
    )
    n_annotators = codes.shape[1]
    kappa = np.eye(n_annotators)
    given = codes >= 0
    n_overlap = (given.T.astype(int) @ given.astype(int)).astype(int)
    for a in range(n_annotators):
        for b in range(a + 1, n_annotators):
            both = given[:, a] & given[:, b]
            value = np.nan
            if both.sum() >= min_overlap:
                value = cohen_kappa(codes[both, a], codes[both, b])
            kappa[a, b] = kappa[b, a] = value
    return kappa, n_overlap


def _pairable_counts(labels, missing_label):
    """``(counts, totals)`` of the rows with two labels or more: labels per
    class (rows x classes) and per row."""
    codes, classes = encode_label_matrix(
        labels, missing_label=missing_label, min_annotators=2
    )
    counts = _counts(codes, classes.size)
    totals = counts.sum(axis=1)
    keep = totals >= 2
    if not keep.any():
        raise ValueError("labels has no row with two labels or more.")
    return counts[keep], totals[keep]


def fleiss_kappa(labels, *, missing_label="auto"):
    r"""Fleiss' kappa over the rows with at least two labels.

    With :math:`n_{ik}` the annotators giving row :math:`i` class :math:`k` and
    :math:`n_i = \sum_k n_{ik} \ge 2`:

    .. math:: P_i = \frac{\sum_k n_{ik}(n_{ik} - 1)}{n_i (n_i - 1)}, \quad
              p_k = \frac{\sum_i n_{ik}}{\sum_i n_i}, \quad
              \kappa = \frac{\bar P - \sum_k p_k^2}{1 - \sum_k p_k^2}

    with :math:`\bar P` the mean of :math:`P_i` over those rows. When every
    row has the same number of labels this is Fleiss' (1971) kappa; with a
    varying number it is the usual generalization (each row's agreement over
    its own pairs, class shares over all labels). Rows with fewer than two
    labels are left out. If every label is the same class (chance agreement
    1), 1.0 is returned.

    Parameters
    ----------
    labels : array-like of shape (n_rows, n_annotators)
    missing_label : "auto" or scalar, default="auto"

    Returns
    -------
    kappa : float
    """
    counts, n_i = _pairable_counts(labels, missing_label)
    p_i = (counts * (counts - 1)).sum(axis=1) / (n_i * (n_i - 1))
    p_bar = float(p_i.mean())
    p_k = counts.sum(axis=0) / n_i.sum()
    p_e = float(p_k @ p_k)
    if np.isclose(p_e, 1.0):
        return 1.0
    return float((p_bar - p_e) / (1.0 - p_e))


def krippendorff_alpha(labels, *, missing_label="auto"):
    r"""Krippendorff's alpha for nominal labels, with missing values.

    From the coincidence matrix (Krippendorff 2011): each row with
    :math:`m_u \ge 2` labels adds, for every ordered pair of its labels from
    two different annotators, :math:`1 / (m_u - 1)` to :math:`o_{ck}`; with
    :math:`n_c = \sum_k o_{ck}` and :math:`n = \sum_c n_c` (the pairable
    labels),

    .. math:: \alpha = 1 - (n - 1)
              \frac{\sum_{c \ne k} o_{ck}}{\sum_{c \ne k} n_c n_k}.

    Rows with fewer than two labels are left out. If every pairable label is
    the same class, 1.0 is returned.

    Parameters
    ----------
    labels : array-like of shape (n_rows, n_annotators)
    missing_label : "auto" or scalar, default="auto"

    Returns
    -------
    alpha : float
    """
    counts, m_u = _pairable_counts(labels, missing_label)
    # pairs within a row: n_c n_k for c != k, n_c (n_c - 1) on the diagonal
    pairs = counts[:, :, None] * counts[:, None, :]
    diagonal = np.arange(counts.shape[1])
    pairs[:, diagonal, diagonal] -= counts
    coincidences = (pairs / (m_u - 1)[:, None, None]).sum(axis=0)
    n_c = coincidences.sum(axis=1)
    n = n_c.sum()
    observed = coincidences.sum() - np.trace(coincidences)
    expected = n_c.sum() ** 2 - (n_c**2).sum()
    if np.isclose(expected, 0.0):
        return 1.0
    return float(1.0 - (n - 1) * observed / expected)


@dataclass
class Consensus:
    """What :func:`consensus_labels` returns.

    Attributes
    ----------
    labels : ndarray of shape (n_rows,)
        The consensus label of each row (values of ``classes``).
    confidence : ndarray of shape (n_rows,)
        The posterior of the chosen class (majority vote: its share of the
        row's votes).
    posteriors : ndarray of shape (n_rows, n_classes)
        Each row's distribution over ``classes`` (majority vote: vote shares).
    classes : ndarray of shape (n_classes,)
    annotator_accuracy : ndarray of shape (n_annotators,)
        Share of each annotator's labels equal to the consensus: an estimate
        *relative to the consensus*, not to the truth (NaN for an annotator
        with no label).
    accuracy_interval : ndarray of shape (n_annotators, 2)
        Wilson's score interval on ``annotator_accuracy``
        (:func:`skal.evaluation.wilson_interval`).
    n_labels : ndarray of shape (n_annotators,), dtype int
        The rows each accuracy rests on (each annotator's labels).
    confusion : ndarray of shape (n_annotators, n_classes, n_classes) or None
        Dawid-Skene's estimated confusion matrices (``confusion[j, k, l]``:
        probability that annotator ``j`` says class ``l`` on a row of class
        ``k``); ``None`` for majority vote.
    priors : ndarray of shape (n_classes,) or None
        Dawid-Skene's class priors.
    n_iter : int
        EM iterations run (0 for majority vote).
    """

    labels: np.ndarray
    confidence: np.ndarray
    posteriors: np.ndarray
    classes: np.ndarray
    annotator_accuracy: np.ndarray
    accuracy_interval: np.ndarray
    n_labels: np.ndarray
    confusion: np.ndarray | None = None
    priors: np.ndarray | None = None
    n_iter: int = 0


def _argmax_random_ties(scores, rng):
    """Row-wise argmax; ties between classes drawn uniformly with ``rng``."""
    best = scores.max(axis=1, keepdims=True)
    tied = np.isclose(scores, best, rtol=1e-12, atol=1e-12)
    # a random score among the tied classes: one draw per row and class
    noise = rng.random_sample(scores.shape)
    return np.argmax(np.where(tied, noise, -1.0), axis=1)


def _dawid_skene_step(codes, posteriors, smoothing):
    """One M step then one E step of Dawid and Skene's EM."""
    n_rows, n_annotators = codes.shape
    n_classes = posteriors.shape[1]
    priors = (posteriors.sum(axis=0) + smoothing) / (n_rows + n_classes * smoothing)
    confusion = np.full((n_annotators, n_classes, n_classes), float(smoothing))
    for j in range(n_annotators):
        given = codes[:, j] >= 0
        one_hot = np.eye(n_classes)[codes[given, j]]
        confusion[j] += posteriors[given].T @ one_hot
    confusion /= confusion.sum(axis=2, keepdims=True)
    log_post = np.tile(np.log(priors), (n_rows, 1))
    log_confusion = np.log(confusion)
    for j in range(n_annotators):
        given = codes[:, j] >= 0
        log_post[given] += log_confusion[j][:, codes[given, j]].T
    log_post -= log_post.max(axis=1, keepdims=True)
    new = np.exp(log_post)
    new /= new.sum(axis=1, keepdims=True)
    return new, priors, confusion


def _check_pred_probs(pred_probs, n_rows, n_classes, name="pred_probs"):
    """``pred_probs`` as a float array of shape ``(n_rows, n_classes)`` whose
    rows are probability distributions."""
    pred_probs = np.asarray(pred_probs, dtype=float)
    if pred_probs.shape != (n_rows, n_classes):
        raise ValueError(
            f"{name} must have shape (n_rows, n_classes) = {(n_rows, n_classes)}"
            f" (columns: the sorted classes found in labels); got {pred_probs.shape}."
        )
    if (
        not np.isfinite(pred_probs).all()
        or (pred_probs < 0).any()
        or not np.allclose(pred_probs.sum(axis=1), 1.0)
    ):
        raise ValueError(
            f"{name} must hold finite non-negative probabilities summing to 1 "
            "on each row."
        )
    return pred_probs


@dataclass
class _Weights:
    """The CROWDLAB-style weights (see :func:`consensus_labels`)."""

    annotators: np.ndarray  # w_j
    model: float  # w_M
    likelihood: np.ndarray  # q: row k is the distribution of a label k


def _crowdlab_weights(codes, vote_shares, pred_probs, rng, floor=1e-3):
    """Annotator and model weights from the majority vote (see
    :func:`consensus_labels`, ``method="model"``)."""
    n_rows, n_classes = vote_shares.shape
    # the vote, ties broken by the model (vote shares differ by 1/n or more)
    majority = _argmax_random_ties(vote_shares + 1e-6 * pred_probs, rng)
    given = codes >= 0
    # baseline and model accuracy on the rows with several labels, if any
    shared = given.sum(axis=1) >= 2
    if not shared.any():
        shared = np.ones(n_rows, dtype=bool)
    counted = np.bincount(majority[shared], minlength=n_classes)
    room = max(1.0 - counted.max() / shared.sum(), floor)
    counts = _counts(codes, n_classes)
    n_annotators = codes.shape[1]
    agreement = np.full(n_annotators, np.nan)
    for j in range(n_annotators):
        others = given[:, j] & (given.sum(axis=1) >= 2)
        if others.any():
            rows = np.flatnonzero(others)
            same = counts[rows, codes[rows, j]] - 1
            agreement[j] = np.mean(same / (given[rows].sum(axis=1) - 1))
    mean_agreement = np.nanmean(agreement) if np.isfinite(agreement).any() else 1.0
    agreement = np.where(np.isnan(agreement), mean_agreement, agreement)
    weights = np.maximum(1.0 - (1.0 - agreement) / room, floor)
    model_accuracy = np.mean(pred_probs[shared].argmax(axis=1) == majority[shared])
    model_weight = max(1.0 - (1.0 - model_accuracy) / room, floor)
    model_weight *= np.sqrt(given.sum() / n_rows)
    if n_classes > 1:
        # a label's likelihood: the mean share of a row's labels equal to its
        # vote, on the rows with several labels
        vote_share = counts[shared, majority[shared]] / given[shared].sum(axis=1)
        right = float(np.mean(vote_share))
        likelihood = np.full((n_classes, n_classes), (1.0 - right) / (n_classes - 1))
        np.fill_diagonal(likelihood, right)
    else:
        likelihood = np.ones((1, 1))
    return _Weights(weights, float(model_weight), likelihood)


def _model_weighted(codes, vote_shares, pred_probs, rng):
    """CROWDLAB-style posteriors and their weights (see
    :func:`consensus_labels`)."""
    n_rows, n_classes = vote_shares.shape
    pred_probs = _check_pred_probs(pred_probs, n_rows, n_classes)
    weights = _crowdlab_weights(codes, vote_shares, pred_probs, rng)
    total = weights.model * pred_probs
    norm = np.full(n_rows, weights.model)
    for j in range(codes.shape[1]):
        rows = np.flatnonzero(codes[:, j] >= 0)
        total[rows] += weights.annotators[j] * weights.likelihood[codes[rows, j]]
        norm[rows] += weights.annotators[j]
    return total / norm[:, None], weights


def consensus_labels(
    labels,
    method="majority",
    *,
    missing_label="auto",
    smoothing=0.01,
    tol=1e-4,
    max_iter=200,
    confidence=0.95,
    pred_probs=None,
    random_state=None,
):
    r"""One label per row from several annotators' labels.

    Parameters
    ----------
    labels : array-like of shape (n_rows, n_annotators)
        Label matrix (see the module's description); every row needs at least
        one label.
    method : {"majority", "dawid_skene", "model"}, default="majority"
        * ``"majority"``: the most frequent label of each row; ties are broken
          at random with ``random_state``. The confidence is the winner's
          share of the votes.
        * ``"dawid_skene"``: Dawid and Skene's (1979) EM. The posteriors start
          from each row's vote shares (the soft majority vote); each iteration
          estimates the class priors and each annotator's confusion matrix
          from the posteriors (both with ``smoothing`` added to every count,
          a symmetric Dirichlet prior), then the posteriors from them:

          .. math:: T_{ik} \propto \pi_k \prod_{j \text{ labeled } i}
                    \pi^{(j)}_{k, y_{ij}}

          until no posterior moves by more than ``tol`` or ``max_iter``
          iterations. The label is the most probable class (ties at random),
          the confidence its posterior.
        * ``"model"``: a CROWDLAB-style weighted ensemble (Goh, Tkachenko and
          Mueller 2022) of a classifier's out-of-fold probabilities
          ``pred_probs`` and the annotators' labels. From the majority vote
          :math:`c` (ties broken by ``pred_probs``), with :math:`b` the share
          of its most common class and :math:`a_M` below both computed on
          the rows with two labels or more (on all rows if there is none):
          each annotator's agreement :math:`A_j` (mean share of the *other*
          annotators agreeing with its label, on the rows it shares), the
          annotator weight :math:`w_j = 1 - (1 - A_j) / (1 - b)`, the model
          weight :math:`w_M = (1 - (1 - a_M) / (1 - b)) \sqrt{\bar m}` with
          :math:`a_M` the model's accuracy against :math:`c` and
          :math:`\bar m` the mean number of labels per row (weights below
          ``1e-3`` are raised to it). Annotator :math:`j`'s label on row
          :math:`i` counts as the distribution :math:`q_{ij}`: :math:`\bar A`
          on its class and :math:`(1 - \bar A) / (K - 1)` on each other,
          :math:`\bar A` the mean share of a row's labels equal to its vote
          (on those rows); a row's posterior is

          .. math:: \frac{w_M\, p_i + \sum_{j} w_j\, q_{ij}}
                    {w_M + \sum_j w_j}

          over the annotators who labeled it. The label is its most probable
          class (ties at random), the confidence its posterior.
    missing_label : "auto" or scalar, default="auto"
    smoothing : float, default=0.01
        Dirichlet pseudo-count for Dawid-Skene (> 0).
    tol : float, default=1e-4
        Stop when no posterior moves by more than ``tol`` in an iteration.
    max_iter : int, default=200
    confidence : float, default=0.95
        Level of the annotators' accuracy intervals.
    pred_probs : array-like of shape (n_rows, n_classes) or None, default=None
        For ``method="model"`` only (and required there): a classifier's
        out-of-fold class probabilities, columns in the order of the sorted
        labels found in ``labels`` (every class must occur in ``labels``).
    random_state : int, RandomState instance or None, default=None
        Breaks ties.

    Returns
    -------
    Consensus

    Examples
    --------
    >>> from skal.annotators import consensus_labels
    >>> result = consensus_labels([[0, 0, 1], [1, 1, -1], [0, 1, 1]])
    >>> result.labels.tolist(), result.n_labels.tolist()
    ([0, 1, 1], [3, 3, 2])
    """
    if method not in ("majority", "dawid_skene", "model"):
        raise ValueError(
            f"method must be 'majority', 'dawid_skene' or 'model'; got {method!r}."
        )
    if (pred_probs is None) == (method == "model"):
        raise ValueError(
            "pred_probs is required by method='model' and taken by no other "
            f"method; got method={method!r} and pred_probs "
            f"{'None' if pred_probs is None else 'given'}."
        )
    if not isinstance(smoothing, Real) or not smoothing > 0:
        raise ValueError(f"smoothing must be a float > 0; got {smoothing!r}.")
    if not isinstance(tol, Real) or not tol >= 0:
        raise ValueError(f"tol must be a float >= 0; got {tol!r}.")
    if not isinstance(max_iter, Integral) or max_iter < 1:
        raise ValueError(f"max_iter must be an int >= 1; got {max_iter!r}.")
    codes, classes = encode_label_matrix(labels, missing_label=missing_label)
    unlabeled = np.flatnonzero((codes < 0).all(axis=1))
    if unlabeled.size:
        raise ValueError(
            f"labels has {unlabeled.size} row(s) with no label (e.g. row "
            f"{int(unlabeled[0])}); drop them before computing a consensus."
        )
    rng = check_random_state(random_state)
    counts = _counts(codes, classes.size)
    posteriors = counts / counts.sum(axis=1, keepdims=True)
    confusion = priors = None
    n_iter = 0
    if method == "dawid_skene":
        moved = np.inf
        while n_iter < max_iter and moved > tol:
            new, priors, confusion = _dawid_skene_step(codes, posteriors, smoothing)
            moved = np.abs(new - posteriors).max()
            posteriors = new
            n_iter += 1
    elif method == "model":
        posteriors, _ = _model_weighted(codes, posteriors, pred_probs, rng)
    chosen = _argmax_random_ties(posteriors, rng)
    given = codes >= 0
    n_labels = given.sum(axis=0)
    agree = (given & (codes == chosen[:, None])).sum(axis=0)
    accuracy = np.full(codes.shape[1], np.nan)
    interval = np.full((codes.shape[1], 2), np.nan)
    for j in np.flatnonzero(n_labels):
        accuracy[j] = agree[j] / n_labels[j]
        interval[j] = wilson_interval(int(agree[j]), int(n_labels[j]), confidence)
    return Consensus(
        labels=classes[chosen],
        confidence=posteriors[np.arange(codes.shape[0]), chosen],
        posteriors=posteriors,
        classes=classes,
        annotator_accuracy=accuracy,
        accuracy_interval=interval,
        n_labels=n_labels.astype(int),
        confusion=confusion,
        priors=priors,
        n_iter=n_iter,
    )


def interval_estimation(n_agree, n_labels, *, epsilon=0.8, confidence=0.95):
    r"""IEThresh: upper confidence bounds on the annotators' agreement, and
    the annotators near the best.

    Interval estimation (Donmez, Carbonell and Schneider 2009) scores
    annotator :math:`j` by the upper end of a Student-t interval on the mean
    of its rewards, 1 for a label equal to the consensus and 0 otherwise:

    .. math:: UI_j = m_j + t_{(1 + c)/2,\, n_j - 1}\, \frac{s_j}{\sqrt{n_j}}

    with :math:`m_j` the mean and :math:`s_j` the sample standard deviation
    (``ddof=1``) of its :math:`n_j` rewards and :math:`c` the ``confidence``.
    As in scikit-activeml's ``IntervalEstimationAnnotModel``, each
    annotator's rewards start with one 1 and one 0 (so :math:`n_j \ge 2`, and
    an annotator never asked has the widest bound: it is explored first).
    IEThresh asks every annotator with :math:`UI_j \ge \epsilon \max_k
    UI_k`: the reliable ones and the ones not known well enough yet.

    Parameters
    ----------
    n_agree : array-like of int, shape (n_annotators,)
        Labels of each annotator equal to the consensus.
    n_labels : array-like of int, shape (n_annotators,)
        Labels of each annotator.
    epsilon : float in [0, 1], default=0.8
        The threshold, a share of the best bound.
    confidence : float in (0, 1), default=0.95
        Level of the intervals.

    Returns
    -------
    upper : ndarray of shape (n_annotators,)
        The upper bounds :math:`UI_j`.
    chosen : ndarray of bool, shape (n_annotators,)
        The annotators at or above the threshold.

    References
    ----------
    .. [1] P. Donmez, J. G. Carbonell and J. Schneider. "Efficiently Learning
       the Accuracy of Labeling Sources for Selective Sampling". KDD 2009,
       pp. 259-268.

    Examples
    --------
    >>> from skal.annotators import interval_estimation
    >>> upper, chosen = interval_estimation([8, 3, 0], [10, 5, 0])
    >>> upper.round(3).tolist(), chosen.tolist()
    ([1.037, 1.066, 6.853], [False, False, True])
    """
    n_agree = np.asarray(n_agree)
    n_labels = np.asarray(n_labels)
    if (
        n_agree.ndim != 1
        or n_agree.shape != n_labels.shape
        or n_agree.size == 0
        or n_agree.dtype.kind not in "iu"
        or n_labels.dtype.kind not in "iu"
        or (n_agree < 0).any()
        or (n_agree > n_labels).any()
    ):
        raise ValueError(
            "n_agree and n_labels must be two non-empty 1-D arrays of counts of "
            "the same length with 0 <= n_agree <= n_labels; got "
            f"{n_agree!r} and {n_labels!r}."
        )
    if not isinstance(epsilon, Real) or not 0 <= epsilon <= 1:
        raise ValueError(f"epsilon must be a float in [0, 1]; got {epsilon!r}.")
    if not isinstance(confidence, Real) or not 0 < confidence < 1:
        raise ValueError(f"confidence must be a float in (0, 1); got {confidence!r}.")
    ones = n_agree + 1.0
    n = n_labels + 2.0
    mean = ones / n
    std = np.sqrt((ones * (1 - mean) ** 2 + (n - ones) * mean**2) / (n - 1))
    upper = mean + stats.t.ppf((1 + confidence) / 2, n - 1) * std / np.sqrt(n)
    return upper, upper >= epsilon * upper.max()


def activelab_scores(
    labels=None,
    pred_probs=None,
    pred_probs_unlabeled=None,
    *,
    missing_label="auto",
    random_state=None,
):
    r"""ActiveLab scores: is a new row or another label on a labeled row worth
    more? Lower is more worth labeling.

    ActiveLab (Goh and Mueller 2023) compares the two at the cost of one label.
    With the CROWDLAB-style weights of :func:`consensus_labels`
    (``method="model"``): :math:`w_j` for annotator :math:`j`, :math:`w_M`
    for the model, :math:`\bar w` the mean annotator weight, and :math:`K`
    classes, a labeled row :math:`i` whose consensus has posterior
    :math:`Q_i` and whose labels come from the annotators :math:`J_i` scores

    .. math:: \frac{Q_i \left(w_M + \sum_{j \in J_i} w_j\right) +
              \bar w / K}{w_M + \sum_{j \in J_i} w_j + \bar w}

    and an unlabeled row with model probabilities :math:`p` scores

    .. math:: \frac{w_M \max_k p_k + \bar w / K}{w_M + \bar w}:

    each is the quality of its current answer averaged with that of one more,
    uninformative, label (:math:`1/K`), weighted by what each rests on. As in
    cleanlab's ``get_active_learning_scores``, when no row has two labels the
    weights are 1 and :math:`Q_i` is the model's probability of the row's
    majority label; otherwise, as there, every probability is first
    temperature-scaled (:math:`p_k \propto p_k^{1/T}`) with the :math:`T`
    that best fits the labeled rows' label shares (the least mean
    cross-entropy on a grid from 0.1 to 8, refined around the best).

    Parameters
    ----------
    labels : array-like of shape (n_rows, n_annotators) or None, default=None
        Label matrix of the labeled rows (every row with one label at least).
    pred_probs : array-like of shape (n_rows, n_classes) or None, default=None
        Out-of-fold class probabilities of the labeled rows, columns in the
        order of the sorted labels found in ``labels``; required with
        ``labels``.
    pred_probs_unlabeled : array-like of shape (n_unlabeled, n_classes) or None
        Class probabilities of the candidate new rows (same columns).
    missing_label : "auto" or scalar, default="auto"
    random_state : int, RandomState instance or None, default=None
        Breaks the majority vote's ties.

    Returns
    -------
    scores : ndarray of shape (n_rows,)
        Scores of the labeled rows (empty without ``labels``).
    scores_unlabeled : ndarray of shape (n_unlabeled,)
        Scores of the new rows (empty without ``pred_probs_unlabeled``).

    References
    ----------
    .. [1] H. W. Goh and J. Mueller. "ActiveLab: Active Learning with
       Re-Labeling by Multiple Annotators". arXiv:2301.11856, 2023.

    Examples
    --------
    >>> from skal.annotators import activelab_scores
    >>> labeled, new = activelab_scores([[0, -1], [1, -1]],
    ...                                 [[0.9, 0.1], [0.4, 0.6]],
    ...                                 [[0.5, 0.5]])
    >>> labeled.round(3).tolist(), new.round(3).tolist()
    ([0.767, 0.567], [0.5])
    """
    if labels is None and pred_probs_unlabeled is None:
        raise ValueError(
            "activelab_scores needs labels (with pred_probs), "
            "pred_probs_unlabeled, or both; got neither."
        )
    scores = np.empty(0)
    model_weight = mean_weight = temperature = 1.0
    n_classes = None
    if labels is not None:
        if pred_probs is None:
            raise ValueError("pred_probs is required with labels.")
        codes, classes = encode_label_matrix(labels, missing_label=missing_label)
        if ((codes < 0).all(axis=1)).any():
            raise ValueError("labels has a row with no label; every row needs one.")
        rng = check_random_state(random_state)
        n_rows, n_classes = codes.shape[0], np.shape(pred_probs)[1]
        if n_classes != classes.size:
            # a class the model knows that no annotator gave yet: its column
            # stays out of the labels' encoding, so give labels its column
            raise ValueError(
                f"pred_probs has {n_classes} columns but labels hold "
                f"{classes.size} classes; they must match."
            )
        pred_probs = _check_pred_probs(pred_probs, n_rows, n_classes)
        counts = _counts(codes, n_classes)
        shares = counts / counts.sum(axis=1, keepdims=True)
        given = codes >= 0
        if (given.sum(axis=1) >= 2).any():
            temperature = _best_temperature(shares, pred_probs)
            pred_probs = _temperature_scaled(pred_probs, temperature)
            posteriors, weights = _model_weighted(codes, shares, pred_probs, rng)
            chosen = _argmax_random_ties(posteriors, rng)
            quality = posteriors[np.arange(n_rows), chosen]
            model_weight = weights.model
            annotator_weights = weights.annotators
        else:
            chosen = _argmax_random_ties(shares, rng)
            quality = pred_probs[np.arange(n_rows), chosen]
            annotator_weights = np.ones(codes.shape[1])
        mean_weight = float(np.mean(annotator_weights))
        resting = given @ annotator_weights + model_weight
        scores = (quality * resting + mean_weight / n_classes) / (resting + mean_weight)
    unlabeled = np.empty(0)
    if pred_probs_unlabeled is not None:
        probs = np.asarray(pred_probs_unlabeled, dtype=float)
        if probs.ndim != 2 or (n_classes is not None and probs.shape[1] != n_classes):
            raise ValueError(
                "pred_probs_unlabeled must have shape (n_unlabeled, n_classes)"
                f"{'' if n_classes is None else f' with {n_classes} columns'}; "
                f"got {probs.shape}."
            )
        probs = _check_pred_probs(
            probs, probs.shape[0], probs.shape[1], "pred_probs_unlabeled"
        )
        probs = _temperature_scaled(probs, temperature)
        unlabeled = (
            model_weight * probs.max(axis=1) + mean_weight / probs.shape[1]
        ) / (model_weight + mean_weight)
    return scores, unlabeled


#: temperatures tried first (then a finer grid around the best)
_TEMPERATURES = (0.1, 0.2, 0.5, 0.8, 1.0, 2.0, 3.0, 5.0, 8.0)


def _temperature_scaled(probs, temperature):
    """``probs`` raised to ``1 / temperature`` and renormalized."""
    if temperature == 1.0:
        return probs
    with np.errstate(divide="ignore"):
        logits = np.log(probs) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    scaled = np.exp(logits)
    return scaled / scaled.sum(axis=1, keepdims=True)


def _best_temperature(shares, probs):
    """The temperature whose scaled ``probs`` have the least mean
    cross-entropy with the label ``shares``: on :data:`_TEMPERATURES`, then on
    a finer grid between the best one's neighbours."""

    def loss(temperature):
        scaled = np.clip(_temperature_scaled(probs, temperature), 1e-12, 1.0)
        return float(np.mean(-(shares * np.log(scaled)).sum(axis=1)))

    coarse = np.asarray(_TEMPERATURES)
    best = int(np.argmin([loss(t) for t in coarse]))
    low, high = coarse[max(best - 1, 0)], coarse[min(best + 1, coarse.size - 1)]
    fine = np.linspace(low, high, 9)
    return float(fine[np.argmin([loss(t) for t in fine])])
