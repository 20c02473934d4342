"""Metrics of whole active-learning runs."""

import numpy as np
from sklearn.metrics import hamming_loss, make_scorer

#: The negative Hamming loss as a scorer (greater is better, like scikit-learn's
#: ``neg_*`` scorers): the share of label entries predicted wrong, for
#: ``active_learning_curve(..., scoring=hamming_scorer)`` on multi-label data.
#: scikit-learn's own multi-label scorers are strings: ``"f1_micro"``,
#: ``"f1_macro"``, ``"accuracy"`` (subset accuracy), ``"jaccard_samples"``.
hamming_scorer = make_scorer(hamming_loss, greater_is_better=False)


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


PAIRED_TESTS = ("wilcoxon", "ttest")


def paired_summary(scores, baseline_scores, *, test="wilcoxon", tie_tolerance=0.0):
    r"""Compare per-repeat results with a baseline's on the same repeats.

    ``scores[r]`` and ``baseline_scores[r]`` must come from the same repeat
    (same split, same initial set), as :func:`skal.model_selection.
    active_learning_curve` produces them. With :math:`d_r = s_r - b_r`:

    - ``mean_difference`` is :math:`\bar d = \frac{1}{R} \sum_r d_r` and
      ``std_difference`` the standard deviation of the :math:`d_r`;
    - ``wins``, ``ties`` and ``losses`` count the repeats with
      :math:`d_r > \tau`, :math:`|d_r| \le \tau` and :math:`d_r < -\tau`, for the
      tolerance :math:`\tau` (``tie_tolerance``);
    - ``p_value`` is the two-sided p-value of a paired test that the
      differences are centred on zero: the Wilcoxon signed-rank test [1]_
      (``scipy.stats.wilcoxon``, zero differences dropped, the default: it
      assumes no normality) or the paired t-test (``scipy.stats.ttest_rel``).
      It is 1.0 when every difference is zero and NaN with fewer than two
      repeats. With few repeats the Wilcoxon test cannot reach small p-values
      (at best 0.0625 for 5 repeats), which is the honest answer.

    Single-seed comparisons mislead: results change with the seed and the
    setting [2]_ [3]_, hence the win/tie/loss count and the test over repeats.

    Parameters
    ----------
    scores : array-like of shape (n_repeats,)
        One value per repeat, for example the area under the learning curve.
    baseline_scores : array-like of shape (n_repeats,)
        The baseline's values on the same repeats (random sampling, say).
    test : {"wilcoxon", "ttest"}, default="wilcoxon"
        The paired test.
    tie_tolerance : float, default=0.0
        Differences of at most this size in absolute value count as ties.

    Returns
    -------
    summary : dict
        ``mean_difference``, ``std_difference``, ``wins``, ``ties``,
        ``losses``, ``p_value``, ``test`` and ``n_repeats``.

    References
    ----------
    .. [1] F. Wilcoxon. "Individual Comparisons by Ranking Methods". Biometrics
       Bulletin 1(6), 1945.
    .. [2] P.-Y. Lu, C.-L. Li and H.-T. Lin. "Re-Benchmarking Pool-Based Active
       Learning for Binary Classification". arXiv:2306.08954, 2023.
    .. [3] C. T. Lüth, T. J. Bungert, L. Klein and P. F. Jaeger. "Navigating the
       Pitfalls of Active Learning Evaluation: A Systematic Framework for
       Meaningful Performance Assessment". NeurIPS 2023.

    Examples
    --------
    >>> from skal.metrics import paired_summary
    >>> summary = paired_summary([0.90, 0.92, 0.91], [0.88, 0.92, 0.93])
    >>> summary["wins"], summary["ties"], summary["losses"]
    (1, 1, 1)
    """
    from scipy import stats  # scipy.stats is slow to import; only needed here

    scores = np.asarray(scores, dtype=float)
    baseline_scores = np.asarray(baseline_scores, dtype=float)
    if scores.ndim != 1 or scores.shape != baseline_scores.shape:
        raise ValueError(
            "scores and baseline_scores must be 1-D with one value per repeat; "
            f"got shapes {scores.shape} and {baseline_scores.shape}."
        )
    if test not in PAIRED_TESTS:
        raise ValueError(f"test must be one of {list(PAIRED_TESTS)}; got {test!r}.")
    if isinstance(tie_tolerance, bool) or not tie_tolerance >= 0:
        raise ValueError(f"tie_tolerance must be >= 0; got {tie_tolerance!r}.")
    diff = scores - baseline_scores
    if diff.size < 2 or np.any(np.isnan(diff)):
        p_value = np.nan
    elif np.all(diff == 0):
        p_value = 1.0
    elif test == "wilcoxon":
        p_value = float(stats.wilcoxon(scores, baseline_scores).pvalue)
    else:
        p_value = float(stats.ttest_rel(scores, baseline_scores).pvalue)
    return {
        "mean_difference": float(np.mean(diff)) if diff.size else np.nan,
        "std_difference": float(np.std(diff)) if diff.size else np.nan,
        "wins": int(np.sum(diff > tie_tolerance)),
        "ties": int(np.sum(np.abs(diff) <= tie_tolerance)),
        "losses": int(np.sum(diff < -tie_tolerance)),
        "p_value": p_value,
        "test": test,
        "n_repeats": int(diff.size),
    }


def summarize_learning_curves(
    n_labeled, test_scores, *, baseline=None, test="wilcoxon", tie_tolerance=0.0
):
    """One summary row per learner of an active-learning-curve comparison.

    The input is the output of :func:`skal.model_selection.active_learning_curve`
    with a dict of learners.

    Parameters
    ----------
    n_labeled : dict of str to ndarray of shape (n_points,)
        Label counts of each learner.
    test_scores : dict of str to ndarray of shape (n_points, n_repeats)
        Test scores of each learner, repeats paired across learners.
    baseline : str or None, default=None
        Name of the learner the others are compared with
        (:func:`paired_summary` on the per-repeat AULC); ``None`` skips the
        comparison.
    test : {"wilcoxon", "ttest"}, default="wilcoxon"
        The paired test.
    tie_tolerance : float, default=0.0
        AULC differences of at most this size count as ties.

    Returns
    -------
    rows : list of dict
        Per learner, in the order of ``test_scores``: ``name``, ``aulc`` (one
        per repeat), ``aulc_mean``, ``aulc_std``, ``final_mean``,
        ``final_std``, ``n_labeled`` (final count) and, with a baseline,
        ``vs_baseline`` (the :func:`paired_summary` of the AULC; ``None`` for
        the baseline itself).

    Examples
    --------
    >>> import numpy as np
    >>> from skal.metrics import summarize_learning_curves
    >>> n = {"a": np.array([10, 20]), "b": np.array([10, 20])}
    >>> s = {"a": np.array([[0.5, 0.6], [0.7, 0.8]]),
    ...      "b": np.array([[0.5, 0.6], [0.9, 0.8]])}
    >>> rows = summarize_learning_curves(n, s, baseline="a")
    >>> [round(row["aulc_mean"], 3) for row in rows]
    [0.65, 0.7]
    >>> rows[1]["vs_baseline"]["wins"], rows[1]["vs_baseline"]["ties"]
    (1, 1)
    """
    if baseline is not None and baseline not in test_scores:
        raise ValueError(
            f"baseline {baseline!r} is not one of the learners {list(test_scores)}."
        )
    aulc = {
        name: np.atleast_1d(area_under_learning_curve(n_labeled[name], scores.T))
        for name, scores in test_scores.items()
    }
    rows = []
    for name, scores in test_scores.items():
        row = {
            "name": name,
            "aulc": aulc[name],
            "aulc_mean": float(np.mean(aulc[name])),
            "aulc_std": float(np.std(aulc[name])),
            "final_mean": float(np.mean(scores[-1])),
            "final_std": float(np.std(scores[-1])),
            "n_labeled": int(n_labeled[name][-1]),
        }
        if baseline is not None:
            row["vs_baseline"] = (
                None
                if name == baseline
                else paired_summary(
                    aulc[name],
                    aulc[baseline],
                    test=test,
                    tie_tolerance=tie_tolerance,
                )
            )
        rows.append(row)
    return rows
