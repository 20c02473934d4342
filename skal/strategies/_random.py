"""Random sampling: the baseline every strategy is compared against."""

from ._base import QueryStrategy, random_pick


class RandomSampling(QueryStrategy):
    """Pick pool rows uniformly at random, without replacement.

    The baseline of every active-learning comparison, and the default way to
    draw the initial set. Draws come from the learner's ``random_state``.

    Cost: O(n_instances) time and memory after an O(N) permutation draw.

    References
    ----------
    .. [1] B. Settles. "Active Learning Literature Survey". Computer Sciences
       Technical Report 1648, University of Wisconsin-Madison, 2009.

    Examples
    --------
    >>> from sklearn.datasets import load_iris
    >>> from sklearn.linear_model import LogisticRegression
    >>> from skal import ActiveLearner
    >>> from skal.strategies import RandomSampling
    >>> X, y = load_iris(return_X_y=True)
    >>> learner = ActiveLearner(LogisticRegression(), RandomSampling(),
    ...                         budget=30, batch_size=5, random_state=0)
    >>> len(learner.fit(X, y).labeled_indices_)
    30
    """

    def _select(self, context, n_instances):
        return random_pick(context, n_instances)
