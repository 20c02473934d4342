"""Suite-wide test settings."""

import pytest
from threadpoolctl import threadpool_limits


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Tiny model fits run many times faster with one BLAS/OpenMP thread.

    Parallelism under test goes through joblib's ``n_jobs``, not BLAS threads.
    """
    with threadpool_limits(limits=1):
        yield
