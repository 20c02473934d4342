"""Learning curves of simulated active-learning campaigns."""

import warnings
from numbers import Integral, Real

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import ShuffleSplit, StratifiedShuffleSplit, check_cv
from sklearn.utils import check_random_state

from ._learner import ActiveLearner
from .oracles import SimulatedOracle, as_oracle
from .schedules import label_counts
from .strategies import RandomSampling
from .utils._multilabel import as_dense_labels, is_label_indicator
from .utils._rows import as_indexable, n_rows, take_rows
from .utils._validation import check_int, resolve_size

__all__ = ["active_learning_curve"]


def active_learning_curve(
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
    return_times=False,
    return_costs=False,
    progress=None,
):
    """Test scores after every loop of simulated active-learning campaigns.

    Each repeat splits the rows into a pool and a test set, draws an initial set
    from the pool with the learner's ``initial_strategy`` (``n_initial`` rows),
    then runs the loop with the learner's public :meth:`~skal.ActiveLearner.query`
    and :meth:`~skal.ActiveLearner.label`, the known labels acting as the
    oracle, until ``budget`` labels are used. The model is scored on the test
    set after the initial set and after every loop.

    Given several learners (a dict), every learner of a repeat sees the same
    split, the same initial set and the same seed: the comparison is paired,
    repeat by repeat (see :func:`skal.metrics.paired_summary`).

    Parameters
    ----------
    learner : ActiveLearner or dict of str to ActiveLearner
        The campaign(s) to simulate. Each learner's ``budget`` (required),
        ``batch_size``, ``query_strategy`` and ``estimator`` are used;
        ``random_state`` is replaced by one seed per repeat. Learners compared
        in one call must share ``n_initial`` and ``initial_strategy``.

    X : array-like, sparse matrix, DataFrame or list of shape (n_samples, ...)
        Every row; the pool and the test set are taken from them.

    y : array-like of shape (n_samples,) or (n_samples, n_labels)
        Every label (the oracle): one per row, or a multi-label indicator
        matrix (dense or sparse), one column per label.

    test_size : float or int, default=0.25
        Size of the test set of each repeat when ``cv`` is None: a fraction of
        the rows or a count. The split is stratified for a single-label
        classifier (scikit-learn does not stratify multi-label rows).

    cv : int, cross-validation generator or iterable, default=None
        Splits to use instead of ``n_repeats`` random ones, as in
        :func:`sklearn.model_selection.learning_curve`: the training part of
        each split is the pool, the test part scores the model. ``n_repeats``
        and ``test_size`` are then ignored.

    n_repeats : int, default=5
        Number of random splits (repeats) when ``cv`` is None.

    scoring : str, callable or None, default=None
        A scikit-learn scorer; ``None`` uses the estimator's ``score`` (subset
        accuracy for a multi-label classifier). Multi-label scorers:
        ``"f1_micro"``, ``"f1_macro"``, ``"jaccard_samples"``, or
        :func:`skal.metrics.hamming_scorer` for the Hamming loss.

    n_jobs : int or None, default=None
        Campaigns run in parallel (one job per repeat and learner). Results do
        not depend on it.

    random_state : int, RandomState instance or None, default=None
        Draws the splits and one seed per repeat (shared by the learners of
        that repeat). The same value gives the same curves.

    return_times : bool, default=False
        Also return the cumulative seconds spent querying and training at each
        point.

    return_costs : bool, default=False
        Also return the cumulative labeling cost at each point (returned
        after the times when both are asked for): what the learner's
        ``oracle`` charged (1 per label for the simulation's known labels).
        Plot scores against costs to compare, say, an
        :class:`~skal.oracles.OracleChain` of a cheap model and a person with
        the person alone.

    progress : callable or None, default=None
        Called as ``progress(n_done, n_total)`` each time a campaign ends.

    Returns
    -------
    n_labeled : ndarray of shape (n_points,), or dict of them
        Labels used at each point: the initial set, then one point per loop,
        up to the budget.

    test_scores : ndarray of shape (n_points, n_repeats), or dict of them
        Test score at each point of each repeat, shaped like the ``test_scores``
        of :func:`sklearn.model_selection.learning_curve`. NaN where no model
        could be trained yet (for example a single class labeled).

    times : ndarray of shape (n_points, n_repeats), or dict of them
        Only with ``return_times=True``: cumulative query and training seconds.

    costs : ndarray of shape (n_points, n_repeats), or dict of them
        Only with ``return_costs=True``: cumulative labeling cost.

    Notes
    -----
    Each campaign asks the learner's ``oracle`` (``None``: the known labels),
    the initial set included. An oracle is asked with row indices of the
    repeat's pool, so one that answers from labels should be
    :class:`~skal.oracles.SimulatedOracle` ``()`` (bound to each repeat's
    pool labels, possibly inside a :class:`~skal.oracles.NoisyOracle` or an
    :class:`~skal.oracles.OracleChain`); a :class:`~skal.oracles.ModelOracle`
    reads the rows themselves.
    A learner's ``stopping`` criterion is not applied: every campaign runs to
    the budget, so the curves show what stopping earlier would have cost.
    A ``budget`` given as a fraction is taken of the smallest pool over the
    splits, so every repeat has the same label counts. Cost: ``n_repeats``
    times the cost of one campaign per learner, plus one scoring pass over the
    test set per point.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.model_selection import active_learning_curve
    >>> from skal.strategies import RandomSampling, UncertaintySampling
    >>> X, y = load_iris(return_X_y=True)
    >>> learners = {
    ...     "random": ActiveLearner(LogisticRegression(), RandomSampling(),
    ...                             budget=30, batch_size=5, n_initial=10),
    ...     "margin": ActiveLearner(LogisticRegression(), UncertaintySampling(),
    ...                             budget=30, batch_size=5, n_initial=10),
    ... }
    >>> n_labeled, test_scores = active_learning_curve(
    ...     learners, X, y, n_repeats=3, random_state=0)
    >>> n_labeled["margin"]
    array([10, 15, 20, 25, 30])
    >>> test_scores["margin"].shape
    (5, 3)
    """
    single = not isinstance(learner, dict)
    learners = {"learner": learner} if single else dict(learner)
    _check_learners(learners)
    first = next(iter(learners.values()))
    X = as_indexable(X)
    y = np.asarray(as_dense_labels(y))
    multilabel = y.ndim == 2 and is_label_indicator(y, np.zeros(len(y), bool))
    if not (y.ndim == 1 or multilabel) or y.shape[0] != n_rows(X):
        raise ValueError(
            f"y must be 1-D with one label per row of X ({n_rows(X)}), or a "
            f"2-D label-indicator matrix with a row per row of X; got shape "
            f"{y.shape}."
        )
    rng = check_random_state(random_state)
    splits = _splits(first, X, y, test_size, cv, n_repeats, rng)
    seeds = rng.randint(np.iinfo(np.int32).max, size=len(splits))
    smallest_pool = min(train.size for train, _ in splits)
    plans = {name: _plan(name, one, smallest_pool) for name, one in learners.items()}
    n_initial = max(plan["n_initial"] for plan in plans.values())
    marker, unlabeled = _unlabeled(y)

    parallel = Parallel(n_jobs=n_jobs, return_as="generator")
    initial_sets = list(
        parallel(
            delayed(_draw_initial)(
                first, take_rows(X, train), unlabeled[train], marker, n_initial, seed
            )
            for (train, _), seed in zip(splits, seeds, strict=True)
        )
    )
    tasks = [
        (name, repeat)
        for repeat in range(len(splits))
        for name in learners  # learners of a repeat side by side
    ]
    jobs = (
        delayed(_campaign)(
            learners[name],
            plans[name],
            X,
            y,
            splits[repeat],
            initial_sets[repeat],
            unlabeled,
            marker,
            seeds[repeat],
            scoring,
        )
        for name, repeat in tasks
    )
    scores = {
        name: np.empty((len(p["n_labeled"]), len(splits))) for name, p in plans.items()
    }
    times = {name: np.empty_like(value) for name, value in scores.items()}
    costs = {name: np.empty_like(value) for name, value in scores.items()}
    for done, ((name, repeat), (run_scores, run_times, run_costs)) in enumerate(
        zip(tasks, parallel(jobs), strict=True), start=1
    ):
        scores[name][:, repeat] = run_scores
        times[name][:, repeat] = run_times
        costs[name][:, repeat] = run_costs
        if progress is not None:
            progress(done, len(tasks))

    n_labeled = {name: plan["n_labeled"] for name, plan in plans.items()}
    result = (n_labeled, scores)
    if return_times:
        result += (times,)
    if return_costs:
        result += (costs,)
    if single:
        result = tuple(part["learner"] for part in result)
    return result


def _check_learners(learners):
    if not learners:
        raise ValueError("learner must be an ActiveLearner or a non-empty dict.")
    initial = None
    for name, learner in learners.items():
        if not isinstance(name, str):
            raise TypeError(f"learner names must be strings; got {name!r}.")
        if not isinstance(learner, ActiveLearner):
            raise TypeError(
                f"learner {name!r} must be an ActiveLearner; got {learner!r}."
            )
        if learner.budget is None:
            raise ValueError(
                f"learner {name!r} has budget=None: set the number of labels the "
                "campaign may use (an int, or a fraction of the pool)."
            )
        key = (learner.n_initial, repr(learner.initial_strategy))
        if initial is not None and key != initial:
            raise ValueError(
                "learners compared in one call must share n_initial and "
                "initial_strategy, so that they start from the same initial set; "
                f"{name!r} differs."
            )
        initial = key


def _splits(learner, X, y, test_size, cv, n_repeats, rng):
    """The (pool, test) index pairs of every repeat."""
    classifier = is_classifier(learner.estimator)
    if cv is None:
        check_int("n_repeats", n_repeats, minimum=1)
        if isinstance(test_size, bool) or not isinstance(test_size, (Integral, Real)):
            raise TypeError(f"test_size must be a float or an int; got {test_size!r}.")
        # scikit-learn's stratification is for one label per row
        stratify = classifier and y.ndim == 1
        splitter = StratifiedShuffleSplit if stratify else ShuffleSplit
        cv = splitter(
            n_splits=n_repeats,
            test_size=test_size,
            random_state=rng.randint(np.iinfo(np.int32).max),
        )
    else:
        cv = check_cv(cv, y, classifier=classifier)
    splits = [(np.asarray(train), np.asarray(test)) for train, test in cv.split(X, y)]
    if not splits:
        raise ValueError("cv produced no split.")
    return splits


def _plan(name, learner, pool_size):
    """Budget, initial size and the label count at every point of ``learner``.

    The counts follow the learner's ``batch_size`` (an int or a schedule) loop
    by loop, the last loop cut to the budget.
    """
    check_int(f"{name}: n_initial", learner.n_initial, minimum=0)
    budget = min(resolve_size(f"{name}: budget", learner.budget, pool_size), pool_size)
    if budget < 1:
        raise ValueError(f"learner {name!r}: budget must allow at least one label.")
    return {
        "budget": budget,
        "n_initial": min(learner.n_initial, budget),
        "n_labeled": label_counts(learner.batch_size, learner.n_initial, budget),
    }


def _unlabeled(y):
    """A marker no label of ``y`` equals, and ``y``'s rows all set to it."""
    if y.dtype.kind == "f":
        marker = np.nan
        unlabeled = np.full(y.shape, np.nan)
    elif y.dtype.kind in "iu":
        marker = -1 if not np.any(y == -1) else int(y.min()) - 1
        unlabeled = np.full(y.shape, marker, dtype=np.int64)
    else:
        marker = None
        unlabeled = np.full(y.shape, None, dtype=object)
    return marker, unlabeled


def _draw_initial(learner, X_pool, y_unlabeled, marker, n_initial, seed):
    """Rows of the pool drawn by the learner's initial strategy, no label known."""
    if n_initial == 0:
        return np.empty(0, dtype=np.intp)
    drawer = clone(learner).set_params(
        query_strategy=clone(learner.initial_strategy or RandomSampling()),
        budget=None,
        missing_label=marker,
        random_state=seed,
    )
    return drawer.fit(X_pool, y_unlabeled).query(n_instances=n_initial)


def _campaign(learner, plan, X, y, split, initial, unlabeled, marker, seed, scoring):
    """Run one campaign through query/label; the test score at every point."""
    train, test = split
    X_pool, y_pool = take_rows(X, train), y[train]
    X_test, y_test = take_rows(X, test), y[test]
    scorer = check_scoring(learner.estimator, scoring=scoring)
    initial = initial[: plan["n_initial"]]
    oracle = as_oracle(learner.oracle) if learner.oracle is not None else None
    if oracle is None:
        oracle = SimulatedOracle(y_pool)
    elif oracle.uses_simulation_truth():
        oracle = oracle.with_truth(y_pool)
    model = clone(learner).set_params(
        budget=None, missing_label=marker, random_state=seed, oracle=None
    )
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="No model could be trained")
        model.fit(X_pool, unlabeled[train])
        if len(initial):
            model.ask(initial, oracle=oracle)

    scores, times, costs = [], [], []

    def record():
        estimator = model.estimator_
        score = np.nan if estimator is None else scorer(estimator, X_test, y_test)
        scores.append(float(score))
        times.append(sum(h["query_seconds"] + h["fit_seconds"] for h in model.history_))
        costs.append(model.label_cost_)

    counts = plan["n_labeled"]
    if len(initial):
        record()
    else:  # no initial set: the first loop starts from nothing
        counts = np.concatenate([[0], counts])
    for n in np.diff(counts):
        rows = model.query(n_instances=int(n))
        model.ask(rows, oracle=oracle)
        record()
    return (
        np.asarray(scores, dtype=float),
        np.asarray(times, dtype=float),
        np.asarray(costs, dtype=float),
    )
