"""Query by committee: query the rows a committee of models disagrees on."""

from numbers import Integral

import numpy as np
from joblib import Parallel, delayed
from sklearn.base import clone

from ..utils import entropy
from ..utils._model_outputs import predict_proba_or_softmax
from ..utils._rows import n_rows, take_rows
from ..utils._validation import InstanceOf, Interval, Options
from ._base import RankingStrategy

DISAGREEMENTS = ("auto", "vote_entropy", "kl_divergence", "variance")
CLASSIFIER_DISAGREEMENTS = ("vote_entropy", "kl_divergence")
MAX_BOOTSTRAP_DRAWS = 100


def vote_entropy(votes):
    r"""Vote entropy of a committee: :math:`-\sum_y \frac{V(y)}{C}\log\frac{V(y)}{C}`.

    ``votes[i, k]`` is how many of the ``C`` members predict class ``k`` for
    row ``i``.
    """
    votes = np.asarray(votes, dtype=float)
    return entropy(votes / votes.sum(axis=1, keepdims=True))


def consensus_kl(mean_proba, mean_member_entropy):
    r"""Mean KL divergence of the members to the consensus, from two running sums.

    .. math::

        \frac{1}{C}\sum_c D_{KL}(P_c \,\|\, P_{\mathcal{C}})
        = H(P_{\mathcal{C}}) - \frac{1}{C}\sum_c H(P_c),
        \qquad P_{\mathcal{C}} = \frac{1}{C}\sum_c P_c

    so a chunk needs the consensus and the members' mean entropy only, never
    every member's probabilities at once.
    """
    return entropy(mean_proba) - mean_member_entropy


def aligned_proba(member, X, classes):
    """``member``'s class probabilities with one column per class of ``classes``.

    A member trained on a bootstrap sample may have seen fewer classes; the
    classes it has not seen get probability 0.
    """
    proba = predict_proba_or_softmax(member, X)
    aligned = np.zeros((proba.shape[0], len(classes)))
    aligned[:, class_positions(classes, member.classes_)] = proba
    return aligned


def class_positions(classes, labels):
    """Positions of ``labels`` in the sorted array ``classes``."""
    positions = np.searchsorted(classes, labels)
    positions = np.clip(positions, 0, len(classes) - 1)
    if not np.all(classes[positions] == labels):
        raise ValueError(f"Labels {labels!r} are not all among classes {classes!r}.")
    return positions


def seed_random_states(estimator, seed, overwrite):
    """Set every ``*random_state`` parameter of ``estimator`` to ``seed``.

    With ``overwrite=False`` only the parameters left to ``None`` are set.
    """
    params = estimator.get_params(deep=True)
    new = {
        key: seed
        for key, value in params.items()
        if (key == "random_state" or key.endswith("__random_state"))
        and (overwrite or value is None)
    }
    if new:
        estimator.set_params(**new)
    return estimator


def _fit_member(member, X, y, sample):
    if sample is not None:
        X, y = take_rows(X, sample), y[sample]
    return member.fit(X, y)


class QueryByCommittee(RankingStrategy):
    r"""Query the pool rows a committee of models disagrees on most.

    The committee is either a bootstrap bag of the learner's estimator [3]_
    (``n_members`` clones, each trained on a bootstrap sample of the labeled
    rows) or the estimators in ``committee``, each trained on every labeled
    row. Its disagreement on a row is the utility [1]_:

    - ``"vote_entropy"`` [2]_:
      :math:`-\sum_y \frac{V(y)}{C} \log \frac{V(y)}{C}`, where
      :math:`V(y)` is how many of the :math:`C` members predict :math:`y`;
    - ``"kl_divergence"`` [4]_: the mean Kullback-Leibler divergence of the
      members to the consensus,
      :math:`\frac{1}{C}\sum_c D_{KL}(P_c \| P_{\mathcal{C}})` with
      :math:`P_{\mathcal{C}}(y \mid x) = \frac{1}{C}\sum_c P_c(y \mid x)`;
    - ``"variance"`` (regression) [5]_ [6]_: the variance of the members'
      predictions, :math:`\frac{1}{C}\sum_c (f_c(x) - \bar f(x))^2` (averaged
      over outputs).

    Parameters
    ----------
    committee : list of estimators or None, default=None
        The members. ``None`` bags clones of the learner's estimator.
    n_members : int, default=5
        Committee size when ``committee`` is ``None`` (at least 2).
    disagreement : {"auto", "vote_entropy", "kl_divergence", "variance"}, default="auto"
        ``"auto"`` is ``"vote_entropy"`` for a classifier and ``"variance"``
        for a regressor. ``"kl_divergence"`` uses ``predict_proba`` (or a
        softmax of ``decision_function``).

    Notes
    -----
    The committee is trained once per query, the members in parallel (joblib,
    the learner's ``n_jobs``). Bootstrap samples and the members'
    ``random_state`` are drawn from the learner's ``random_state`` beforehand,
    so picks do not depend on ``n_jobs``; like
    :class:`~sklearn.ensemble.BaggingClassifier`, bagged clones get their own
    seed in every ``random_state`` parameter, while the estimators of
    ``committee`` keep theirs unless it is ``None``. A bootstrap sample with a
    single class is drawn again (up to 100 times). A member trained on fewer
    classes gives probability 0, and no vote, to the classes it has not seen.

    Cost: ``C`` fits on ``L`` rows, then ``C`` predictions per pool row, chunk
    by chunk; memory is one chunk of ``chunk_size x n_classes`` floats (the
    KL divergence is computed from running sums as
    :math:`H(P_{\mathcal{C}}) - \frac{1}{C}\sum_c H(P_c)`, which equals the
    mean divergence), never ``N x C x n_classes``.

    References
    ----------
    .. [1] H. S. Seung, M. Opper and H. Sompolinsky. "Query by Committee".
       COLT 1992.
    .. [2] I. Dagan and S. P. Engelson. "Committee-Based Sampling for Training
       Probabilistic Classifiers". ICML 1995.
    .. [3] N. Abe and H. Mamitsuka. "Query Learning Strategies Using Boosting
       and Bagging". ICML 1998.
    .. [4] A. McCallum and K. Nigam. "Employing EM and Pool-Based Active
       Learning for Text Classification". ICML 1998.
    .. [5] R. Burbidge, J. J. Rowland and R. D. King. "Active Learning for
       Regression Based on Query by Committee". IDEAL 2007.
    .. [6] T. RayChaudhuri and L. G. C. Hamey. "Minimisation of Data Collection
       by Active Learning". IEEE ICNN 1995.

    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import QueryByCommittee
    >>> X, y = load_digits(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(max_iter=200),
    ...                         QueryByCommittee(n_members=3),
    ...                         budget=40, batch_size=10, random_state=0)
    >>> learner.fit(X / 16, y).score(X / 16, y) > 0.7
    True
    """

    def __init__(self, committee=None, n_members=5, disagreement="auto"):
        self.committee = committee
        self.n_members = n_members
        self.disagreement = disagreement

    _parameter_constraints = {
        "committee": [
            None,
            InstanceOf((list, tuple), "a non-empty list of estimators"),
        ],
        "n_members": [Interval(Integral, 2, None)],
        "disagreement": [Options(DISAGREEMENTS)],
    }

    def _measure(self, context):
        if self.disagreement == "auto":
            return "vote_entropy" if context.is_classifier else "variance"
        if context.is_classifier != (self.disagreement != "variance"):
            kind = "classifier" if context.is_classifier else "regressor"
            valid = CLASSIFIER_DISAGREEMENTS if context.is_classifier else "variance"
            raise ValueError(
                f"disagreement={self.disagreement!r} does not apply to a {kind}; "
                f"use {valid!r}."
            )
        return self.disagreement

    def fit_committee(self, context):
        """Train the committee on the labeled rows of ``context``.

        Returns
        -------
        members : list of fitted estimators
        """
        X_labeled, y_labeled = context.labeled()
        if y_labeled is None or len(y_labeled) == 0:
            raise ValueError("QueryByCommittee needs labeled rows to train on.")
        rng = context.random_state
        if self.committee is not None:
            if not isinstance(self.committee, (list, tuple)) or not self.committee:
                raise TypeError(
                    "committee must be None or a non-empty list of estimators; "
                    f"got {self.committee!r}."
                )
            members = [clone(member) for member in self.committee]
            samples = [None] * len(members)
            overwrite = False
        else:
            n_members = self.n_members
            members = [clone(context.estimator) for _ in range(n_members)]
            samples = [
                self._bootstrap(rng, y_labeled, context.is_classifier) for _ in members
            ]
            overwrite = True
        seeds = rng.randint(np.iinfo(np.int32).max, size=len(members))
        members = [
            seed_random_states(member, int(seed), overwrite)
            for member, seed in zip(members, seeds, strict=True)
        ]
        if context.n_jobs in (None, 1):
            return [
                _fit_member(member, X_labeled, y_labeled, sample)
                for member, sample in zip(members, samples, strict=True)
            ]
        return Parallel(n_jobs=context.n_jobs)(
            delayed(_fit_member)(member, X_labeled, y_labeled, sample)
            for member, sample in zip(members, samples, strict=True)
        )

    @staticmethod
    def _bootstrap(rng, y, is_classifier):
        """Indices of a bootstrap sample, redrawn while it holds a single class."""
        n = n_rows(y)
        sample = rng.randint(n, size=n)
        if not is_classifier or np.unique(y).size < 2:
            return sample
        for _ in range(MAX_BOOTSTRAP_DRAWS):
            if np.unique(y[sample]).size >= 2:
                break
            sample = rng.randint(n, size=n)
        return sample

    def disagreement_scores(self, members, X_chunk, classes, measure):
        """The committee's disagreement on each row of ``X_chunk``."""
        if measure == "variance":
            predictions = np.stack(
                [
                    np.asarray(m.predict(X_chunk), dtype=float).reshape(
                        n_rows(X_chunk), -1
                    )
                    for m in members
                ]
            )
            return predictions.var(axis=0).mean(axis=1)
        n = n_rows(X_chunk)
        if measure == "vote_entropy":
            votes = np.zeros((n, len(classes)))
            for member in members:
                labels = np.asarray(member.predict(X_chunk))
                votes[np.arange(n), class_positions(classes, labels)] += 1
            return vote_entropy(votes)
        mean_proba = np.zeros((n, len(classes)))
        mean_entropy = np.zeros(n)
        for member in members:
            proba = aligned_proba(member, X_chunk, classes)
            mean_proba += proba / len(members)
            mean_entropy += entropy(proba) / len(members)
        return consensus_kl(mean_proba, mean_entropy)

    def _classes(self, context):
        if not context.is_classifier:
            return None
        if context.classes is not None:
            return np.asarray(context.classes)
        return np.unique(context.labeled()[1])

    def _scorer(self, context):
        """Train the committee once; score chunks with its disagreement."""
        measure = self._measure(context)
        members = self.fit_committee(context)
        classes = self._classes(context)
        return lambda X_chunk, rows: self.disagreement_scores(
            members, X_chunk, classes, measure
        )
