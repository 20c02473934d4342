"""Retraining in the background: the page never waits for the model.

The web session's writer thread owns the session and its journal. When
answers have come in, the :class:`Retrainer` thread asks it for a
:class:`~skal.session.TrainingSnapshot` (the labels, the rows left out, the
random generator's state: plain data, taken by
:meth:`~skal.session.LabelingSession.training_snapshot`), has a worker
process draw the next batch from it with the session's own code
(:func:`~skal.session.draw_batch`, writing to no file), and hands the batch
back to the writer thread, which journals it
(:meth:`~skal.session.LabelingSession.record_batch`, with the label count and
digest of the model that chose it). Meanwhile answers keep being committed
and rows keep being handed out from the session's queue: the next batch is
drawn while the rows before it are answered
(:meth:`~skal.session.LabelingSession.draw_due`), and is queued behind them.
"""

import os
import signal
import sys
import threading
import time
import warnings

from ..session import (
    SessionConfig,
    draw_batch,
    honest_estimate,
    load_data,
    stopping_verdict,
)


def draw(snapshot, dataset):
    """Train on a snapshot and draw the next batch; writes nothing.

    Parameters
    ----------
    snapshot : TrainingSnapshot
        Taken with the rows on someone's screen excluded.
    dataset : Dataset

    Returns
    -------
    batch : dict or None
        The batch to journal (``None`` if none is due: budget reached...).
    stopping : dict
        The stopping verdict including the new batch's predictions.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = draw_batch(snapshot, dataset)  # one BLAS thread inside
    stop_sets = snapshot.stop_sets
    if batch is not None:
        stop_sets = (*stop_sets, batch["stop_set"])
    return batch, stopping_verdict(stop_sets)


def curve_point(snapshot, dataset):
    """A point of the learning curve: the honest estimate of the model's
    accuracy at a snapshot, on its random audit answers (``n`` labels,
    ``accuracy``, ``low``, ``high``, ``n_audit``, ``basis``), or ``None``
    while there is none (:func:`~skal.session.estimate_blocker` says why).

    Cross-validation on the labels is not used: the actively chosen rows are
    the hard ones, so it reads low, and a curve of it falls as labels grow.
    """
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        estimate = honest_estimate(snapshot, dataset)
    if estimate is None:
        return None
    return {
        "n": snapshot.n_labeled,
        "accuracy": estimate.value,
        "low": estimate.low,
        "high": estimate.high,
        "n_audit": estimate.n_rows,
        "basis": estimate.basis,
    }


# ------------------------------------------------------ the worker process
_WORKER = {}

#: ``prctl`` option: the signal a process gets when its parent ends (Linux).
_PR_SET_PDEATHSIG = 1


def _die_with_parent():
    """Ask Linux to SIGKILL this process when its parent thread ends (however
    it ends: SIGKILL included); ``False`` where there is no ``prctl``."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0) == 0
    except (OSError, AttributeError):  # pragma: no cover - no libc prctl
        return False


def _start_worker(config_json, data, server_pid):
    """Initializer of the retraining process: end with the server, give way
    to it (a lower scheduling priority), and load the data once.

    The server's pid comes from the server itself: a worker that read its
    parent's pid on its own, after its slow start, read that of whoever
    adopted it if the server had died meanwhile, and waited for that one
    forever. On Linux the kernel kills the worker when the server's thread
    that started it ends (``PR_SET_PDEATHSIG``); everywhere a watchdog thread
    checks the parent's pid twice a second. Both are armed before anything
    slow, and the parent is checked once more after arming, so no moment is
    left in which the server can die unnoticed.
    """
    _die_with_parent()
    if os.getppid() != server_pid:  # the server is gone already
        os._exit(0)

    def leave_with_the_server():  # a server killed by SIGKILL leaves no orphan
        while os.getppid() == server_pid:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=leave_with_the_server, daemon=True).start()
    try:
        os.nice(10)
    except (AttributeError, OSError):  # pragma: no cover - not POSIX
        pass
    _WORKER["dataset"] = load_data(data, SessionConfig.from_json(config_json))


def _timed(fn, snapshot, dataset):
    """``fn(snapshot, dataset)`` and the seconds it took (measured where it
    runs: a worker's start is not counted)."""
    start = time.perf_counter()
    return fn(snapshot, dataset), time.perf_counter() - start


def _in_worker(fn, snapshot):
    return _timed(fn, snapshot, _WORKER["dataset"])


class Retrainer:
    """A thread that has the model retrained whenever :meth:`poke` says
    answers came in.

    The training itself runs in a separate process (``process=True``): it
    neither holds the server's interpreter lock nor competes with it at the
    same priority, so answers are acknowledged at once while it trains.

    Parameters
    ----------
    snapshot : callable
        ``snapshot() -> (snapshot, curve_snapshots) or None``: the
        :class:`~skal.session.TrainingSnapshot` to draw the next batch from
        (``None`` when no new batch is due) and the snapshots to compute
        learning-curve points for, oldest first (``None``: nothing to do).
        Runs on the writer thread.
    deliver : callable
        ``deliver(batch, n_batches_before, stopping, seconds)`` journals the
        batch (on the writer thread) unless another batch came first;
        ``seconds`` is how long a draw may keep the queue waiting: the draw
        itself, plus the latest learning-curve point (a draw that falls due
        while one is computed waits for it).
    due : callable
        ``due() -> bool``: whether a draw is due now (on the writer thread);
        learning-curve points are computed only while none is.
    on_curve : callable
        ``on_curve(point)`` with a new learning-curve point, computed after
        the batch is delivered (it never delays a batch).
    config : SessionConfig
        How the worker process reads the data.
    dataset : Dataset
        The data, for ``process=False``.
    data : str
        The CSV file (the worker process reads it once).
    process : bool, default=True
        Train in a worker process; ``False`` trains on the calling thread.
    """

    def __init__(
        self, snapshot, deliver, due, on_curve, config, dataset, data, process=True
    ):
        self._snapshot = snapshot
        self._deliver = deliver
        self._due = due
        self._on_curve = on_curve
        self._config = config
        self._dataset = dataset
        self._data = data
        self._process = process
        self._pool = None
        self._children = set()  # the pool's worker processes, ever started
        self._starting = threading.Lock()  # starting a draw, or stopping
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.busy = False
        self.rounds = 0
        self.last_error = None
        self.last_seconds = None
        self._curve_seconds = 0.0
        self._thread = threading.Thread(
            target=self._run, name="skal-retrainer", daemon=True
        )

    def start(self):
        self._thread.start()

    def poke(self):
        """Answers came in: retrain when the current round is over."""
        self._wake.set()

    def stop(self, timeout=30):
        """End the retraining: the worker process is killed at once (it
        writes nothing; a batch it was drawing is not journaled), so that
        neither this call nor the interpreter's exit waits for a draw, or
        for a worker still starting on a busy machine (its priority is
        lower than every other process's)."""
        with self._starting:  # no draw starts a worker after this
            self._stop.set()
            self._wake.set()
            if self._pool is not None:
                self._pool.shutdown(wait=False, cancel_futures=True)
                self._pool = None
            children = list(self._children)
        for child in children:
            child.kill()  # the thread's wait for its result ends with it
            child.join(timeout)
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _run(self):
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                self.round()
            except Exception as error:  # keep serving answers; say why
                self.last_error = f"{type(error).__name__}: {error}"
                if self._pool is not None:  # a broken worker: start afresh
                    self._pool.shutdown(wait=False, cancel_futures=True)
                    self._pool = None
                self._stop.wait(1.0)  # do not spin on a persistent failure

    def _worker(self):
        # created on the retrainer thread, which lives as long as the server:
        # PR_SET_PDEATHSIG fires when the thread that started the worker ends
        if self._pool is None:
            import concurrent.futures
            import multiprocessing

            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._config.to_json(), self._data, os.getpid()),
            )
        return self._pool

    def _compute(self, fn, snapshot):
        """``fn(snapshot, dataset)`` in the worker (or here) and its seconds."""
        if self._process:
            import multiprocessing

            with self._starting:
                if self._stop.is_set():
                    raise RuntimeError("the retraining was stopped")
                before = set(multiprocessing.active_children())
                future = self._worker().submit(_in_worker, fn, snapshot)
                # the pool starts its worker inside submit: note it, to kill it
                # (those of a broken pool, once ended, are forgotten)
                started = set(multiprocessing.active_children()) - before
                self._children = {c for c in self._children if c.is_alive()}
                self._children |= started
            return future.result()
        return _timed(fn, snapshot, self._dataset)

    def round(self):
        """One retraining, if one is due (on the calling thread, waiting)."""
        snap = self._snapshot()
        if snap is None:
            return
        snapshot, curve_snapshots = snap
        self.busy = True
        start = time.perf_counter()
        try:
            if snapshot is not None:
                (batch, stopping), seconds = self._compute(draw, snapshot)
                self._deliver(
                    batch, snapshot.n_batches, stopping, seconds + self._curve_seconds
                )
                self.rounds += 1
                self.last_seconds = time.perf_counter() - start
            self.last_error = None
            for point in curve_snapshots:  # oldest first, after the batch is out
                if self._stop.is_set() or self._due():
                    return  # the next batch first; later points replace these
                point, self._curve_seconds = self._compute(curve_point, point)
                self._on_curve(point)
        finally:
            self.busy = False
