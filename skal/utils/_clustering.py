"""k-means for the clustering strategies, sized to the data and seeded by the loop."""

import numpy as np
from sklearn.cluster import KMeans, MiniBatchKMeans

from ._validation import check_in

CLUSTERING = ("auto", "kmeans", "minibatch")

# Above this many (rows x clusters), "auto" switches to MiniBatchKMeans: one
# Lloyd iteration of KMeans costs O(rows * clusters * d).
FULL_KMEANS_MAX_WORK = 2_000_000


def draw_seed(random_state):
    """An int seed drawn from the loop's ``RandomState`` (in the calling process)."""
    return int(random_state.randint(np.iinfo(np.int32).max))


def fit_kmeans(X, n_clusters, random_state, clustering="auto", sample_weight=None):
    """A k-means model of ``X`` with ``n_clusters`` clusters.

    Parameters
    ----------
    X : ndarray or sparse matrix of shape (n_samples, n_features)
    n_clusters : int
    random_state : numpy.random.RandomState
        One seed is drawn from it for the k-means++ initialisation.
    clustering : {"auto", "kmeans", "minibatch"}, default="auto"
        ``"kmeans"``: :class:`sklearn.cluster.KMeans` (Lloyd); ``"minibatch"``:
        :class:`sklearn.cluster.MiniBatchKMeans`; ``"auto"``: ``KMeans`` unless
        ``n_samples * n_clusters`` exceeds two million, ``MiniBatchKMeans``
        beyond.
    sample_weight : ndarray of shape (n_samples,) or None

    Returns
    -------
    model : fitted KMeans or MiniBatchKMeans
    """
    check_in("clustering", clustering, CLUSTERING)
    seed = draw_seed(random_state)
    if clustering == "auto":
        large = X.shape[0] * n_clusters > FULL_KMEANS_MAX_WORK
        clustering = "minibatch" if large else "kmeans"
    if clustering == "kmeans":
        model = KMeans(n_clusters=n_clusters, n_init=1, random_state=seed)
    else:
        model = MiniBatchKMeans(
            n_clusters=n_clusters,
            n_init=1,
            batch_size=max(1024, 3 * n_clusters),
            random_state=seed,
        )
    return model.fit(X, sample_weight=sample_weight)
