"""A real Dask cluster on loopback: the picks equal the single-process ones.

Everything parallel in skal goes through joblib, so ``joblib.parallel_config(
backend="dask")`` sends pool chunks (and committee members) to Dask workers.
Two worker processes, one thread each, on 127.0.0.1.
"""

import os

import joblib
import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression

from skal import ActiveLearner
from skal.strategies import QueryContext, UncertaintySampling

distributed = pytest.importorskip("dask.distributed")

SEEDS = (0, 1, 2)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        host="127.0.0.1",
        dashboard_address=None,
    )
    with cluster, distributed.Client(cluster) as dask_client:
        yield dask_client


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:900] / 16.0, y[:900]


def learner(strategy=None, **params):
    return ActiveLearner(
        LogisticRegression(max_iter=300),
        strategy or UncertaintySampling(measure="margin"),
        budget=40,
        batch_size=10,
        chunk_size=150,
        **params,
    )


def test_chunks_run_on_the_dask_workers(client):
    X = np.arange(1000.0).reshape(-1, 1)
    context = QueryContext(X=X, pool_indices=np.arange(3, 1000), chunk_size=100)
    with joblib.parallel_config(backend="dask"):
        pids = context.map_pool(lambda rows: np.full(len(rows), os.getpid()))
        doubled = context.map_pool(lambda rows: rows[:, 0] * 2)
    worker_pids = set(client.run(os.getpid).values())
    assert len(worker_pids) == 2 and os.getpid() not in worker_pids
    assert set(pids) <= worker_pids and set(pids)
    np.testing.assert_array_equal(doubled, np.arange(3, 1000) * 2.0)


@pytest.mark.parametrize("seed", SEEDS)
def test_margin_picks_on_dask_equal_single_process(client, digits, seed):
    X, y = digits
    single = learner(n_jobs=1, random_state=seed).fit(X, y).labeled_indices_
    with joblib.parallel_config(backend="dask"):
        on_dask = learner(n_jobs=-1, random_state=seed).fit(X, y).labeled_indices_
    assert single.size == 40
    np.testing.assert_array_equal(on_dask, single)


def test_memmap_pool_on_dask_equals_in_memory(client, digits, tmp_path):
    X, y = digits
    np.save(tmp_path / "pool.npy", X)
    X_mm = np.load(tmp_path / "pool.npy", mmap_mode="r")
    fitted = learner(random_state=0).set_params(budget=None)
    y_partial = np.where(np.arange(len(y)) % 30 == 0, y, -1)
    fitted.fit(X, y_partial)
    expected = fitted.query(X, n_instances=20)
    with joblib.parallel_config(backend="dask"):
        picks = fitted.set_params(n_jobs=-1).query(X_mm, n_instances=20)
    np.testing.assert_array_equal(picks, expected)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_committee_fitting_on_dask_equals_single_process(client, digits, seed):
    strategies = pytest.importorskip("skal.strategies")
    if not hasattr(strategies, "QueryByCommittee"):
        pytest.skip("QueryByCommittee is not in skal.strategies")
    X, y = digits
    committee = strategies.QueryByCommittee(n_members=4)
    single = learner(committee, n_jobs=1, random_state=seed).fit(X, y)
    with joblib.parallel_config(backend="dask"):
        on_dask = learner(committee, n_jobs=-1, random_state=seed).fit(X, y)
    np.testing.assert_array_equal(on_dask.labeled_indices_, single.labeled_indices_)
    assert single.history_[-1]["strategy"] == "QueryByCommittee"
