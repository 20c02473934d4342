"""Retraining in the background: the page never waits for the model.

The web session's writer thread owns the session and its journal. When
answers have come in, the :class:`Retrainer` thread asks it for a snapshot
(the events and batches so far), rebuilds a :class:`DraftSession` from that
snapshot -- the same :meth:`~skal.session.LabelingSession.advance` code, on a
copy of the state, writing to no file -- in a worker process, trains, draws
the next batch, and hands the batch back to the writer thread, which
journals it (with the label count and digest of the model that chose it).
Meanwhile answers keep being committed and rows keep being handed out from
the previous batches.
"""

import os
import threading
import time
import warnings

from ..session import LabelingSession


class _SnapshotJournal:
    """The events and batches of a session at one moment, read-only; a batch
    drawn from them is kept in :attr:`added` instead of being written."""

    readonly = True

    def __init__(self, events, batches):
        self._events = events
        self._batches = batches
        self.added = []

    def events(self):
        return self._events

    def batches(self):
        return self._batches

    def add_batch(self, batch):
        self.added.append(batch)


class DraftSession(LabelingSession):
    """A session's state at one moment, to train on without its journal.

    Built from a snapshot of the events and batches; :meth:`advance` draws
    the batch that the session would draw now (the same code), leaving out
    the rows in ``exclude`` (rows on someone's screen) and the rows still
    pending, and writes nothing.

    Parameters
    ----------
    config : SessionConfig
    dataset : Dataset
    events, batches : list of dict
        The session's events and batches, oldest first.
    exclude : set of str, optional
        Rows not to ask about in the next batch.
    """

    def __init__(self, config, dataset, events, batches, exclude=()):
        super().__init__(_SnapshotJournal(events, batches), config, dataset, "draft")
        self._exclude = set(exclude)

    def pending(self):
        # the web session hands out pending rows while the next batch is drawn
        return []

    def _training_set(self):
        ids, X, y = super()._training_set()
        if not self._exclude:
            return ids, X, y
        import numpy as np

        from ..session._rows import rows_at

        keep = [
            i
            for i, row in enumerate(ids)
            if row not in self._exclude or y[i] is not None
        ]
        at = np.asarray(keep, dtype=np.intp)
        return [ids[i] for i in keep], rows_at(X, at), y[at]


def draw(config, dataset, events, batches, exclude):
    """Train on a snapshot and draw the next batch; writes nothing.

    Parameters
    ----------
    config : SessionConfig
    dataset : Dataset
    events, batches : list of dict
        The session's events and batches, oldest first.
    exclude : set of str
        Rows on someone's screen, not to be drawn.

    Returns
    -------
    batch : dict or None
        The batch to journal (``None`` if none is due: budget reached...).
    stopping : dict
        The stopping verdict including the new batch's predictions.
    """
    from ..session._report import _stopping_verdict

    draft = DraftSession(config, dataset, events, batches, exclude)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        batch = draft.advance()  # one BLAS thread inside
    return batch, _stopping_verdict(draft)


def curve_point(config, dataset, events, batches):
    """A point of the learning curve: the cross-validated accuracy of the
    labels in a snapshot (``n``, ``accuracy``, ``low``, ``high``), or
    ``None`` without two labels of each of two classes."""
    from ..session._report import _cv_score
    from ..session._session import _one_blas_thread

    draft = DraftSession(config, dataset, events, batches)
    with warnings.catch_warnings(), _one_blas_thread():
        warnings.simplefilter("ignore")
        score = _cv_score(draft)
    if score is None:
        return None
    return {k: score[k] for k in ("n", "accuracy", "low", "high")}


# ------------------------------------------------------ the worker process
_WORKER = {}


def _start_worker(config_json, data):
    """Initializer of the retraining process: load the data once, give way
    to the server (a lower scheduling priority), and end when the server
    does, however it ends."""
    from ..session import SessionConfig
    from ..session._session import _load

    try:
        os.nice(10)
    except (AttributeError, OSError):  # pragma: no cover - not POSIX
        pass
    parent = os.getppid()

    def leave_with_the_server():  # a server killed by SIGKILL leaves no orphan
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=leave_with_the_server, daemon=True).start()
    config = SessionConfig.from_json(config_json)
    _WORKER["config"] = config
    _WORKER["dataset"] = _load(data, config)


def _in_worker(fn, *args):
    return fn(_WORKER["config"], _WORKER["dataset"], *args)


class Retrainer:
    """A thread that has the model retrained whenever :meth:`poke` says
    answers came in.

    The training itself runs in a separate process (``process=True``): it
    neither holds the server's interpreter lock nor competes with it at the
    same priority, so answers are acknowledged at once while it trains.

    Parameters
    ----------
    snapshot : callable
        ``snapshot() -> (events, batches, exclude, curve_cuts) or None``;
        ``None`` when no new batch is due; ``curve_cuts`` are the lengths of
        the prefixes of ``events`` to compute learning-curve points for.
        Runs on the writer thread.
    deliver : callable
        ``deliver(batch, n_batches_before, stopping)`` journals the batch (on
        the writer thread) unless another batch came first.
    on_curve : callable
        ``on_curve(point)`` with a new learning-curve point, computed after
        the batch is delivered (it never delays a batch).
    config : SessionConfig
    dataset : Dataset
    data : str
        The CSV file (the worker process reads it once).
    process : bool, default=True
        Train in a worker process; ``False`` trains on the calling thread.
    """

    def __init__(
        self, snapshot, deliver, on_curve, config, dataset, data, process=True
    ):
        self._snapshot = snapshot
        self._deliver = deliver
        self._on_curve = on_curve
        self._config = config
        self._dataset = dataset
        self._data = data
        self._process = process
        self._pool = None
        self._wake = threading.Event()
        self._stop = threading.Event()
        self.busy = False
        self.rounds = 0
        self.last_error = None
        self.last_seconds = None
        self._thread = threading.Thread(
            target=self._run, name="skal-retrainer", daemon=True
        )

    def start(self):
        self._thread.start()

    def poke(self):
        """Answers came in: retrain when the current round is over."""
        self._wake.set()

    def stop(self, timeout=30):
        self._stop.set()
        self._wake.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None

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
        if self._pool is None:
            import concurrent.futures
            import multiprocessing

            self._pool = concurrent.futures.ProcessPoolExecutor(
                max_workers=1,
                mp_context=multiprocessing.get_context("spawn"),
                initializer=_start_worker,
                initargs=(self._config.to_json(), self._data),
            )
        return self._pool

    def _compute(self, fn, *args):
        if self._process:
            return self._worker().submit(_in_worker, fn, *args).result()
        return fn(self._config, self._dataset, *args)

    def round(self):
        """One retraining, if one is due (on the calling thread, waiting)."""
        snap = self._snapshot()
        if snap is None:
            return
        events, batches, exclude, curve_cuts = snap
        self.busy = True
        start = time.perf_counter()
        try:
            batch, stopping = self._compute(draw, events, batches, exclude)
            self._deliver(batch, len(batches), stopping)
            self.rounds += 1
            self.last_seconds = time.perf_counter() - start
            self.last_error = None
            for cut in curve_cuts:  # oldest first, after the batch is out
                if self._stop.is_set():
                    return
                self._on_curve(self._compute(curve_point, events[:cut], batches))
        finally:
            self.busy = False
