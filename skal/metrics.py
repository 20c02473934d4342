"""Metrics of whole active-learning runs."""

import numpy as np


def area_under_learning_curve(n_labeled, scores):
    r"""Area under the learning curve, normalised by the label range.

    The trapezoid rule over the label counts, divided by their range:

    .. math:: \mathrm{AULC} = \frac{1}{n_T - n_0} \sum_{t=1}^{T}
              (n_t - n_{t-1}) \frac{s_t + s_{t-1}}{2}

    For scores in [0, 1] (accuracy, say) the result is in [0, 1]: the mean score
    over the budget, which rewards learning early. This is the "area under the
    budget curve" (AUBC) of Zhan et al. [1]_.

    Parameters
    ----------
    n_labeled : array-like of shape (n_points,)
        Increasing label counts.
    scores : array-like of shape (n_points,) or (n_repeats, n_points)
        Scores at those counts; one row per repeat gives one area per repeat.

    Returns
    -------
    area : float or ndarray of shape (n_repeats,)

    References
    ----------
    .. [1] X. Zhan, H. Liu, Q. Li and A. B. Chan. "A Comparative Survey: Benchmarking
       for Pool-based Active Learning". IJCAI 2021.

    Examples
    --------
    >>> from skal.metrics import area_under_learning_curve
    >>> area_under_learning_curve([10, 20, 30], [0.5, 0.7, 0.9])
    0.7
    """
    n_labeled = np.asarray(n_labeled, dtype=float)
    scores = np.asarray(scores, dtype=float)
    if n_labeled.ndim != 1 or n_labeled.size < 2:
        raise ValueError("n_labeled must be a 1-D array with at least two counts.")
    if scores.shape[-1] != n_labeled.size:
        raise ValueError(
            f"scores must have {n_labeled.size} columns, one per label count; "
            f"got shape {scores.shape}."
        )
    if np.any(np.diff(n_labeled) <= 0):
        raise ValueError("n_labeled must be strictly increasing.")
    widths = np.diff(n_labeled)
    heights = (scores[..., 1:] + scores[..., :-1]) / 2.0
    area = (heights * widths).sum(axis=-1) / (n_labeled[-1] - n_labeled[0])
    return float(area) if np.ndim(area) == 0 else area
