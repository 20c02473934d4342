"""Scale: chunked scoring, memory-mapped and sparse pools, parallel backends.

Covers the chunking and parallel parts of ``skal/strategies/_base.py`` and the
helpers of ``skal/utils/_chunking.py``.
"""

import os
import pickle
import re
from dataclasses import replace

import joblib
import numpy as np
import pytest
import scipy.sparse as sp
import sklearn
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from skal import ActiveLearner
from skal.strategies import QueryContext, UncertaintySampling
from skal.utils._chunking import auto_chunk_size, release_rows, row_nbytes
from skal.utils._feature_space import FeatureSpace

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X / 16.0, y


def simulate(X, y, seed, **params):
    """Labeled rows, in order, of a margin-sampling simulation on ``(X, y)``."""
    learner = ActiveLearner(
        LogisticRegression(max_iter=300),
        UncertaintySampling(measure="margin"),
        budget=40,
        batch_size=10,
        n_initial=10,
        random_state=seed,
        **params,
    )
    return learner.fit(X, y).labeled_indices_


def memmap_copy(X, path):
    np.save(path, X)
    return np.load(path, mmap_mode="r")


def file_resident_bytes(path):
    """Resident bytes of this process's mappings of ``path`` (Linux smaps)."""
    total, inside = 0, False
    with open("/proc/self/smaps") as smaps:
        for line in smaps:
            if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
                inside = line.rstrip().endswith(str(path))
            elif inside and line.startswith("Rss:"):
                total += int(line.split()[1]) * 1024
    return total


# ------------------------------------------------------------- chunk sizes
def test_auto_chunk_size_follows_working_memory_and_row_width():
    X = np.zeros((10, 50))  # a row is 400 bytes
    assert row_nbytes(X) == 400
    assert auto_chunk_size(X) == 1024 * 2**20 // 64 // 400 == 41_943
    with sklearn.config_context(working_memory=64):
        assert auto_chunk_size(X) == 64 * 2**20 // 64 // 400 == 2_621
    assert auto_chunk_size(np.zeros((10, 50), dtype=np.float32)) == 83_886
    assert auto_chunk_size(np.zeros((10, 1))) == 1_000_000  # upper bound
    assert auto_chunk_size(np.zeros((2, 10**6))) == 1_000  # lower bound
    # CSR: stored values (8 bytes) + column indices (4 bytes) per row on average
    csr = sp.random(100, 10_000, density=0.01, format="csr", random_state=0)
    assert row_nbytes(csr) == int(csr.nnz * 12 / 100) == 1_200
    assert row_nbytes(["a document", "another"]) == 1024
    # the pool size and n_jobs never change it
    small = QueryContext(X=X, pool_indices=np.arange(3), n_jobs=1)
    large = QueryContext(X=np.zeros((5000, 50)), pool_indices=np.arange(5000), n_jobs=2)
    assert small.chunk_size == large.chunk_size == 41_943
    assert QueryContext(X=X, pool_indices=np.arange(3), chunk_size=7).chunk_size == 7


def test_learner_default_uses_the_automatic_chunk_size(digits):
    X, y = digits
    seen = []

    class Recorder(UncertaintySampling):
        def _scorer(self, context):
            score = super()._scorer(context)

            def recorded(X_chunk, rows):
                seen.append((context.chunk_size, X_chunk.shape[0]))
                return score(X_chunk, rows)

            return recorded

    with sklearn.config_context(working_memory=1):  # 1 MiB: 2048 rows of 64 floats
        learner = ActiveLearner(LogisticRegression(max_iter=300), Recorder())
        learner.set_params(budget=20, batch_size=10, random_state=0).fit(X, y)
    assert seen and {size for size, _ in seen} == {1_000}  # 2**20/64/512 -> floor
    assert max(rows for _, rows in seen) == 1_000


# ------------------------------------------------------------ determinism
@pytest.mark.parametrize("seed", SEEDS)
def test_picks_do_not_depend_on_chunk_size_jobs_or_backend(digits, seed):
    X, y = digits[0][:600], digits[1][:600]
    reference = simulate(X, y, seed, chunk_size=len(X), n_jobs=1)
    assert reference.size == 40
    runs = [(1, 1, "loky"), (7, 1, "loky"), (7, 2, "threading"), (64, 2, "threading")]
    runs.append((64, 2, "loky"))
    for chunk_size, n_jobs, backend in runs:
        with joblib.parallel_config(backend=backend):
            picks = simulate(X, y, seed, chunk_size=chunk_size, n_jobs=n_jobs)
        np.testing.assert_array_equal(picks, reference, err_msg=str(backend))


def test_scores_match_a_by_hand_margin_on_the_whole_pool(digits):
    """Chunked scores equal one predict_proba pass over the pool, row for row."""
    X, y = digits
    model = LogisticRegression(max_iter=300).fit(X[:200], y[:200])
    proba = model.predict_proba(X[200:])
    ordered = np.sort(proba, axis=1)
    by_hand = 1.0 - (ordered[:, -1] - ordered[:, -2])
    for chunk_size, n_jobs in ((1, 1), (13, 2), (5000, 1)):
        context = QueryContext(
            X=X,
            pool_indices=np.arange(200, len(X)),
            estimator=model,
            chunk_size=chunk_size,
            n_jobs=n_jobs,
        )
        scores = UncertaintySampling().score_pool(context)
        np.testing.assert_allclose(scores, by_hand, rtol=0, atol=1e-12)
        picks = UncertaintySampling().select(context, 25)
        assert set(picks) == set(np.argpartition(-by_hand, 25)[:25])


def test_map_pool_honours_the_joblib_backend():
    """``loky`` really runs the chunks in other processes, results in pool order."""
    X = np.arange(40.0).reshape(-1, 1)
    context = QueryContext(X=X, pool_indices=np.arange(3, 40), chunk_size=5, n_jobs=2)
    with joblib.parallel_config(backend="loky"):
        pids = context.map_pool(lambda rows: np.full(len(rows), os.getpid()))
        values = context.map_pool(lambda rows: rows[:, 0] * 2)
    assert os.getpid() not in set(pids)
    np.testing.assert_array_equal(values, np.arange(3, 40) * 2.0)
    # n_jobs=None follows parallel_config's n_jobs, like any joblib call
    loose = QueryContext(X=X, pool_indices=np.arange(40), chunk_size=5)
    with joblib.parallel_config(backend="loky", n_jobs=2):
        assert os.getpid() not in set(loose.map_pool(lambda r: [os.getpid()] * len(r)))
    assert set(loose.map_pool(lambda r: [os.getpid()] * len(r))) == {os.getpid()}


def test_map_pool_keeps_row_order_shape_and_widest_dtype():
    X = np.arange(10.0).reshape(-1, 1)
    context = QueryContext(X=X, pool_indices=np.array([9, 1, 4, 0]), chunk_size=2)
    blocks = context.map_pool(lambda rows: np.hstack([rows, -rows]))
    np.testing.assert_array_equal(blocks, [[9, -9], [1, -1], [4, -4], [0, 0]])
    # an int chunk first, a float chunk after: the result is float, nothing cut
    mixed = context.map_pool(
        lambda rows: rows[:, 0].astype(int) if rows[0, 0] == 9 else rows[:, 0] / 2
    )
    np.testing.assert_array_equal(mixed, [9, 1, 2, 0])
    assert mixed.dtype == float
    empty = QueryContext(X=X, pool_indices=np.empty(0, dtype=np.intp))
    assert empty.map_pool(lambda rows: rows[:, 0]).shape == (0,)


# ------------------------------------------------------ memory-mapped pools
@pytest.mark.parametrize("seed", SEEDS)
def test_memmap_pool_gives_the_in_memory_picks(digits, tmp_path, seed):
    X, y = digits
    X_mm = memmap_copy(X, tmp_path / "pool.npy")
    # the stored pool of a simulation
    np.testing.assert_array_equal(
        simulate(X_mm, y, seed, chunk_size=300), simulate(X, y, seed, chunk_size=300)
    )
    # an external pool given to query()
    y_partial = np.full_like(y, -1)
    y_partial[:: 20 + seed] = y[:: 20 + seed]
    learner = ActiveLearner(LogisticRegression(max_iter=300), random_state=seed)
    learner.set_params(chunk_size=256).fit(X, y_partial)
    np.testing.assert_array_equal(
        learner.query(X_mm, n_instances=15), learner.query(X, n_instances=15)
    )


def test_memmap_chunks_are_views_of_the_file(digits, tmp_path):
    """Contiguous pools are read as slices of the memmap: no copy of the pool."""
    X, y = digits
    X_mm = memmap_copy(X, tmp_path / "pool.npy")
    shares = []

    class Recorder(UncertaintySampling):
        def _scorer(self, context):
            score = super()._scorer(context)

            def recorded(X_chunk, rows):
                shares.append(np.shares_memory(X_chunk, X_mm))
                return score(X_chunk, rows)

            return recorded

    learner = ActiveLearner(LogisticRegression(max_iter=300), Recorder())
    learner.set_params(chunk_size=400, random_state=0).fit(X[:100], y[:100])
    learner.query(X_mm, n_instances=5)
    assert shares == [True] * 5  # ceil(1797 / 400) chunks, each a view


@pytest.mark.skipif(
    not os.path.exists("/proc/self/smaps"), reason="needs Linux /proc/self/smaps"
)
def test_scoring_a_memmap_pool_does_not_keep_it_resident(tmp_path):
    """A scan leaves the whole file resident; scoring in chunks does not."""
    rng = np.random.RandomState(0)
    path = tmp_path / "pool.npy"
    np.save(path, rng.randn(100_000, 40))  # 32 MB
    model = LogisticRegression(max_iter=200).fit(
        rng.randn(300, 40), rng.randint(0, 3, 300)
    )
    X_mm = np.load(path, mmap_mode="r")
    context = QueryContext(
        X=X_mm, pool_indices=np.arange(100_000), estimator=model, chunk_size=5_000
    )
    scores = UncertaintySampling().score_pool(context)
    after_scoring = file_resident_bytes(path)
    np.testing.assert_allclose(scores, margin_by_hand(model, np.load(path)))
    scanned = np.load(path, mmap_mode="r")
    float(np.asarray(scanned).sum())
    after_scan = file_resident_bytes(path)
    assert after_scan > 30e6  # the control: a plain scan maps every page
    assert after_scoring < 2e6  # at most a few pages at a chunk's edge
    # released pages are read again from the page cache, unchanged
    release_rows(X_mm, slice(0, 100_000))
    np.testing.assert_array_equal(X_mm[:3], np.load(path)[:3])


def margin_by_hand(model, X):
    ordered = np.sort(model.predict_proba(X), axis=1)
    return 1.0 - (ordered[:, -1] - ordered[:, -2])


def test_release_rows_leaves_copy_on_write_and_plain_arrays_alone(tmp_path):
    path = tmp_path / "pool.npy"
    np.save(path, np.arange(4096.0).reshape(-1, 8))
    edited = np.load(path, mmap_mode="c")
    edited[0, 0] = -1.0  # a private edit, lost if its page were dropped
    release_rows(edited, slice(0, 512))
    assert edited[0, 0] == -1.0
    release_rows(np.zeros((4, 2)), slice(0, 4))  # nothing to release: no error


# ------------------------------------------------------------- sparse pools
def test_sparse_pool_is_chunked_without_densifying(digits):
    X, y = sp.csr_matrix(digits[0]), digits[1]  # about half the pixels are 0
    chunks = []

    class Recorder(UncertaintySampling):
        def _scorer(self, context):
            score = super()._scorer(context)

            def recorded(X_chunk, rows):
                chunks.append(sp.issparse(X_chunk) and X_chunk.format == "csr")
                return score(X_chunk, rows)

            return recorded

    for seed in SEEDS:
        picks = {}
        for chunk_size in (97, X.shape[0]):
            learner = ActiveLearner(
                LogisticRegression(max_iter=300),
                Recorder(),
                budget=30,
                batch_size=10,
                chunk_size=chunk_size,
                random_state=seed,
            )
            picks[chunk_size] = learner.fit(X, y).labeled_indices_
        np.testing.assert_array_equal(picks[97], picks[X.shape[0]])
    assert chunks and all(chunks)


# ----------------------------------------------- nothing pool-sized travels
def test_pickled_context_does_not_carry_the_pool(digits):
    X, y = digits
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300))
    sizes = []
    for n in (2_000, 20_000):
        X_big = np.tile(X, (n // len(X) + 1, 1))[:n]
        context = QueryContext(
            X=X_big,
            pool_indices=np.arange(50, n),
            estimator=model.fit(X[:50], y[:50]),
            labeled=lambda X_big=X_big: (X_big[:50], y[:50]),
            feature_space=FeatureSpace(model, True, X_fallback=X_big),
        )
        sizes.append(len(pickle.dumps(context)))
        restored = pickle.loads(pickle.dumps(context))
        assert restored.X is None and restored.n_pool == 0
        np.testing.assert_array_equal(restored.labeled()[0], X_big[:50])
        np.testing.assert_allclose(
            restored.feature_space(X[:5]), model[:-1].transform(X[:5])
        )
    assert sizes[0] == sizes[1] < 50_000  # 20,000 rows would be 10 MB


def test_cold_start_feature_space_travels_fitted_not_with_the_pool(digits):
    X, _ = digits
    model = make_pipeline(StandardScaler(), LogisticRegression())
    space = FeatureSpace(model, False, X_fallback=X)
    context = QueryContext(X=X, pool_indices=np.arange(len(X)), feature_space=space)
    payload = pickle.dumps(context.feature_space)
    assert len(payload) < X.nbytes / 10
    expected = StandardScaler().fit(X).transform(X[:4])
    np.testing.assert_allclose(pickle.loads(payload)(X[:4]), expected)
    np.testing.assert_allclose(context.feature_space(X[:4]), expected)


def test_full_copies_keep_the_pool():
    import copy

    context = QueryContext(X=np.ones((5, 2)), pool_indices=np.arange(5), chunk_size=2)
    for duplicate in (copy.copy(context), copy.deepcopy(context)):
        assert duplicate.n_pool == 5 and duplicate.X.shape == (5, 2)
        assert duplicate.chunk_size == 2


def test_chunks_are_scored_with_one_blas_thread_per_job():
    from threadpoolctl import threadpool_info

    def blas_threads(rows):
        counts = [
            i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"
        ]
        return np.full(len(rows), min(counts) if counts else -1)

    if not any(i["user_api"] == "blas" for i in threadpool_info()):
        pytest.skip("no BLAS library seen by threadpoolctl")
    before = blas_threads([0])[0]
    X = np.zeros((40, 1))
    for n_jobs in (1, 2):
        context = QueryContext(X=X, pool_indices=np.arange(40), chunk_size=10)
        with joblib.parallel_config(backend="threading"):
            counts = replace(context, n_jobs=n_jobs).map_pool(blas_threads)
        assert set(counts) == {1}
    whole = QueryContext(X=X, pool_indices=np.arange(40), chunk_size=40)
    assert set(whole.map_pool(blas_threads)) == {1}
    assert blas_threads([0])[0] == before  # restored afterwards
