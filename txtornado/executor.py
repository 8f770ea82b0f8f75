# -*- test-case-name: txtornado.test.test_executor -*-
"""
One thread pool for Twisted and Tornado: a C{concurrent.futures.Executor}
over the reactor's thread pool.

Twisted's C{deferToThread}, C{callInThread} and its default name resolver
use C{reactor.getThreadPool()}; Tornado's C{IOLoop.run_in_executor} and
C{run_on_executor} use an executor.  L{ReactorThreadPoolExecutor} makes the
second kind use the first pool, so that C{reactor.suggestThreadPoolSize}
bounds all of them together.

It is opt-in, not the default: asyncio's default executor is sized by
CPU count and started on demand, Twisted's pool is sized by the reactor
(10 threads by default) and started with the reactor; changing the pool
that existing Tornado code runs on is the application's decision.  Opt in
with::

    io_loop.set_default_executor(ReactorThreadPoolExecutor(reactor))

(for C{run_in_executor(None, ...)}), and C{executor =
ReactorThreadPoolExecutor(reactor)} on classes using C{run_on_executor}.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

__all__ = ["ReactorThreadPoolExecutor"]

_P = ParamSpec("_P")
_T = TypeVar("_T")


class ReactorThreadPoolExecutor(concurrent.futures.ThreadPoolExecutor):
    """
    A C{concurrent.futures.Executor} running calls in the reactor's thread
    pool (C{reactor.getThreadPool()}).

    It subclasses C{ThreadPoolExecutor} only because asyncio's
    C{set_default_executor} (behind Tornado's) accepts nothing else; it
    overrides C{submit} and C{shutdown}, the only methods the executor
    interface has besides C{map} (which calls C{submit}), so none of
    C{ThreadPoolExecutor}'s own threads is ever started.

    Create it in the reactor's thread (C{getThreadPool} is not
    thread-safe); L{submit} and L{shutdown} may then be called from any
    thread, as C{Executor} promises.

    Twisted starts the pool when the reactor starts.  Work submitted
    earlier starts it at once, so that a loop that runs without starting
    the reactor (a L{TwistedIOLoop} driven by C{run_sync}) can use it too;
    L{shutdown} stops a pool started that way unless the reactor is running
    by then (the reactor stops its pool when it shuts down).

    @param reactor: the reactor whose pool to use; C{None} means the
        global C{twisted.internet.reactor}.
    """

    def __init__(self, reactor: Any = None) -> None:
        if reactor is None:
            from twisted.internet import reactor as global_reactor

            reactor = global_reactor
        super().__init__(max_workers=1)
        self._reactor = reactor
        self._pool = reactor.getThreadPool()
        self._lock = threading.Lock()
        self._refusing = False
        self._started_pool = False
        self._pending: set[concurrent.futures.Future[Any]] = set()

    def submit(
        self, fn: Callable[_P, _T], /, *args: _P.args, **kwargs: _P.kwargs
    ) -> concurrent.futures.Future[_T]:
        """
        Run C{fn(*args, **kwargs)} in a pool thread; return a future for
        its outcome.  Cancelling the future before the call starts stops it
        from running.

        @raise RuntimeError: after L{shutdown}, or once the reactor has
            stopped its pool (Twisted would drop the call silently).
        """
        future: concurrent.futures.Future[_T] = concurrent.futures.Future()
        with self._lock:
            if self._refusing:
                raise RuntimeError("cannot schedule new futures after shutdown")
            if self._pool.joined:
                raise RuntimeError(
                    f"the thread pool of {self._reactor!r} has been stopped"
                )
            if not self._pool.started:
                self._pool.start()
                self._started_pool = True
            self._pending.add(future)
        future.add_done_callback(self._forget)
        self._pool.callInThread(_run, future, fn, args, kwargs)
        return future

    def _forget(self, future: concurrent.futures.Future[Any]) -> None:
        with self._lock:
            self._pending.discard(future)

    def shutdown(self, wait: bool = True, *, cancel_futures: bool = False) -> None:
        """
        Refuse new work; cancel the calls not started yet if
        C{cancel_futures}; if C{wait}, wait for the others to finish.  Stop
        the pool if this executor started it and the reactor is not
        running (waiting for the calls in progress, whatever C{wait} says).
        """
        with self._lock:
            self._refusing = True
            pending = list(self._pending)
            stop = self._started_pool and not self._reactor.running
            self._started_pool = False
        if cancel_futures:
            for future in pending:
                future.cancel()
        if wait:
            concurrent.futures.wait(pending)
        if stop and self._pool.started:
            self._pool.stop()


def _run(
    future: concurrent.futures.Future[_T],
    fn: Callable[..., _T],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> None:
    """
    Run one submitted call in a pool thread, unless its future was
    cancelled first.
    """
    if not future.set_running_or_notify_cancel():
        return
    try:
        result = fn(*args, **kwargs)
    except BaseException as e:
        future.set_exception(e)
    else:
        future.set_result(result)
