"""Plots of active-learning curves (matplotlib, the optional ``plot`` extra)."""

import numpy as np

from .metrics import area_under_learning_curve
from .model_selection import active_learning_curve

__all__ = ["ActiveLearningCurveDisplay"]

STD_DISPLAY_STYLES = ("fill_between", "errorbar", None)


def _as_curves(n_labeled, test_scores):
    """Both arguments as dicts of arrays, checked against each other."""
    if not isinstance(test_scores, dict):
        n_labeled, test_scores = {"learner": n_labeled}, {"learner": test_scores}
    elif not isinstance(n_labeled, dict):
        n_labeled = dict.fromkeys(test_scores, n_labeled)
    if set(n_labeled) != set(test_scores):
        raise ValueError(
            "n_labeled and test_scores must name the same learners; got "
            f"{sorted(n_labeled)} and {sorted(test_scores)}."
        )
    curves_n, curves_s = {}, {}
    for name, scores in test_scores.items():
        counts = np.asarray(n_labeled[name])
        scores = np.asarray(scores, dtype=float)
        if scores.ndim == 1:
            scores = scores[:, np.newaxis]
        if counts.ndim != 1 or scores.ndim != 2 or scores.shape[0] != counts.size:
            raise ValueError(
                f"{name}: test_scores must have shape (n_points, n_repeats) with "
                f"n_points={counts.size} label counts; got {scores.shape}."
            )
        curves_n[name], curves_s[name] = counts, scores
    return curves_n, curves_s


class ActiveLearningCurveDisplay:
    """Active-learning curves: test score against the number of labels.

    One line per learner (strategy) at the mean over repeats, with a band of
    plus or minus one standard deviation, like
    :class:`sklearn.model_selection.LearningCurveDisplay`. The legend gives
    each learner's mean area under the curve
    (:func:`~skal.metrics.area_under_learning_curve`).

    Create it with :meth:`from_estimator` (runs
    :func:`~skal.model_selection.active_learning_curve`) or :meth:`from_results`
    (from its output); the constructor only stores the data.

    Parameters
    ----------
    n_labeled : ndarray of shape (n_points,), or dict of str to ndarray
        Label counts; a dict names one learner per key.
    test_scores : ndarray of shape (n_points, n_repeats), or dict of str to ndarray
        Test scores per point and repeat.
    score_name : str, default=None
        Label of the y axis; ``None`` means ``"Score"``.

    Attributes
    ----------
    ax_ : matplotlib Axes
    figure_ : matplotlib Figure
    lines_ : dict of str to matplotlib Line2D
        The mean line of each learner.
    fill_between_ : dict of str to matplotlib PolyCollection or None
        The ±1 std band of each learner (``std_display_style="fill_between"``).
    errorbar_ : dict of str to matplotlib ErrorbarContainer or None
        The error bars of each learner (``std_display_style="errorbar"``).

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from skal.plotting import ActiveLearningCurveDisplay
    >>> display = ActiveLearningCurveDisplay(
    ...     {"random": np.array([10, 20, 30]), "margin": np.array([10, 20, 30])},
    ...     {"random": np.array([[0.6, 0.62], [0.7, 0.72], [0.8, 0.78]]),
    ...      "margin": np.array([[0.6, 0.62], [0.8, 0.78], [0.9, 0.88]])},
    ...     score_name="Accuracy",
    ... ).plot()
    >>> sorted(display.lines_)
    ['margin', 'random']
    """

    def __init__(self, n_labeled, test_scores, *, score_name=None):
        self.n_labeled = n_labeled
        self.test_scores = test_scores
        self.score_name = score_name

    def plot(
        self,
        ax=None,
        *,
        negate_score=False,
        score_name=None,
        std_display_style="fill_between",
        line_kw=None,
        fill_between_kw=None,
        errorbar_kw=None,
    ):
        """Draw the curves.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Where to draw; ``None`` makes a new figure.
        negate_score : bool, default=False
            Plot ``-score`` (for ``neg_*`` scorers such as
            ``"neg_mean_squared_error"``).
        score_name : str, default=None
            Overrides the y label given at construction.
        std_display_style : {"fill_between", "errorbar"} or None, \
                default="fill_between"
            How the ±1 std spread is drawn; ``None`` draws only the means.
        line_kw, fill_between_kw, errorbar_kw : dict, default=None
            Passed to ``ax.plot``, ``ax.fill_between`` and ``ax.errorbar``.

        Returns
        -------
        display : ActiveLearningCurveDisplay
        """
        import matplotlib.pyplot as plt

        if std_display_style not in STD_DISPLAY_STYLES:
            raise ValueError(
                f"std_display_style must be one of {list(STD_DISPLAY_STYLES)}; got "
                f"{std_display_style!r}."
            )
        n_labeled, test_scores = _as_curves(self.n_labeled, self.test_scores)
        if ax is None:
            _, ax = plt.subplots()
        sign = -1.0 if negate_score else 1.0
        self.lines_, self.fill_between_, self.errorbar_ = {}, {}, {}
        for name, scores in test_scores.items():
            counts = n_labeled[name]
            scores = sign * scores
            mean = np.nanmean(scores, axis=1)
            std = np.nanstd(scores, axis=1)
            label = name
            if counts.size >= 2:
                aulc = np.nanmean(area_under_learning_curve(counts, scores.T))
                label = f"{name} (AULC {aulc:.3f})"
            self.fill_between_[name] = self.errorbar_[name] = None
            if std_display_style == "errorbar":
                container = ax.errorbar(
                    counts, mean, yerr=std, label=label, **(errorbar_kw or {})
                )
                self.errorbar_[name] = container
                self.lines_[name] = container.lines[0]
                continue
            (line,) = ax.plot(counts, mean, label=label, **(line_kw or {}))
            self.lines_[name] = line
            if std_display_style == "fill_between":
                style = {"alpha": 0.2, "color": line.get_color()}
                style.update(fill_between_kw or {})
                self.fill_between_[name] = ax.fill_between(
                    counts, mean - std, mean + std, **style
                )
        ax.set_xlabel("Number of labels")
        ax.set_ylabel(score_name or self.score_name or "Score")
        ax.legend()
        self.ax_ = ax
        self.figure_ = ax.figure
        return self

    @classmethod
    def from_results(
        cls, n_labeled, test_scores, *, score_name=None, ax=None, **plot_kw
    ):
        """Plot the output of :func:`~skal.model_selection.active_learning_curve`.

        Parameters
        ----------
        n_labeled : ndarray of shape (n_points,), or dict of str to ndarray
        test_scores : ndarray of shape (n_points, n_repeats), or dict
        score_name : str, default=None
            Label of the y axis.
        ax : matplotlib Axes, default=None
        **plot_kw
            Passed to :meth:`plot` (``negate_score``, ``std_display_style``,
            ``line_kw``, ``fill_between_kw``, ``errorbar_kw``).

        Returns
        -------
        display : ActiveLearningCurveDisplay
        """
        display = cls(n_labeled, test_scores, score_name=score_name)
        return display.plot(ax=ax, **plot_kw)

    @classmethod
    def from_estimator(
        cls,
        learner,
        X,
        y,
        *,
        test_size=0.25,
        cv=None,
        n_repeats=5,
        scoring=None,
        n_jobs=None,
        random_state=None,
        score_name=None,
        ax=None,
        **plot_kw,
    ):
        """Simulate the campaigns and plot their curves.

        Runs :func:`~skal.model_selection.active_learning_curve` and plots its
        result; see there for ``learner``, ``X``, ``y``, ``test_size``, ``cv``,
        ``n_repeats``, ``scoring``, ``n_jobs`` and ``random_state``.

        Parameters
        ----------
        learner : ActiveLearner or dict of str to ActiveLearner
        X : array-like, sparse matrix, DataFrame or list
        y : array-like of shape (n_samples,) or (n_samples, n_labels)
            Labels, or a multi-label indicator matrix (with a multi-label
            ``scoring`` such as ``"f1_micro"``).
        test_size : float or int, default=0.25
        cv : int, cross-validation generator or iterable, default=None
        n_repeats : int, default=5
        scoring : str, callable or None, default=None
        n_jobs : int or None, default=None
        random_state : int, RandomState instance or None, default=None
        score_name : str, default=None
            Label of the y axis; ``None`` uses ``scoring`` when it is a string.
        ax : matplotlib Axes, default=None
        **plot_kw
            Passed to :meth:`plot`.

        Returns
        -------
        display : ActiveLearningCurveDisplay
        """
        n_labeled, test_scores = active_learning_curve(
            learner,
            X,
            y,
            test_size=test_size,
            cv=cv,
            n_repeats=n_repeats,
            scoring=scoring,
            n_jobs=n_jobs,
            random_state=random_state,
        )
        if score_name is None and isinstance(scoring, str):
            score_name = scoring
        return cls.from_results(
            n_labeled, test_scores, score_name=score_name, ax=ax, **plot_kw
        )
