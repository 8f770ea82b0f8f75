# -*- test-case-name: txtornado.test.test_eventloop,txtornado.test.test_eventloop_timers,txtornado.test.test_eventloop_debug,txtornado.test.test_multiloop,txtornado.test.test_hosted_crash -*-
"""
An asyncio event loop driven by a Twisted reactor.

L{TwistedEventLoop} is a complete C{asyncio.SelectorEventLoop}: transports,
protocols, TLS, C{sock_*}, servers, Unix sockets, datagrams, C{sendfile},
subprocesses and executors are asyncio's own code.  Only the core that waits
for events is replaced:

  - file descriptors (C{add_reader}/C{add_writer}, and those of asyncio's
    transports) are kept, by default, in the loop's own native epoll
    selector (L{txtornado._loop_on_reactor.selector.NestedSelector}), whose single
    descriptor the reactor watches as one reader: asyncio's per-event cost
    is stdlib asyncio's, and the reactor's is paid once per batch.  When
    the reactor reports it readable, a tick runs at once (from its
    C{doRead}).  Each asyncio iteration polls that selector (timeout 0),
    as stdlib asyncio polls between every two iterations;
  - alternatively (C{nested_selector=False}, or where epoll is missing),
    each descriptor is registered on the reactor's C{IReactorFDSet}
    through L{txtornado._loop_on_reactor.selector.ReactorSelector};
  - the ready queue and the timers are run by a I{tick}: asyncio's own
    C{_run_once}, whose C{select()} returns at once what the reactor
    reported.  While C{reactor.run()} hosts the loop, ticks are reactor calls, and at
    most two are pending per loop: one C{callLater(0)} while callbacks are
    ready, and one C{callLater(delay)} for the earliest asyncio timer
    (delays are relative, so asyncio's monotonic C{time()} and the
    reactor's C{seconds()} never need to agree; capped, as stdlib's
    C{select()} timeout is, by L{MAXIMUM_WAIT}).  While the loop drives
    the reactor itself, each iteration ends with a tick instead;
  - a tick runs asyncio iterations while callbacks are ready or the
    previous iteration found I/O, up to L{BATCH_ITERATIONS} iterations and
    L{BATCH_SECONDS} seconds (nested selector; one iteration otherwise),
    so that a never-ending chain of callbacks never starves the reactor's
    timers and I/O;
  - per-descriptor mode only: when the reactor reports a descriptor ready
    while asyncio has nothing queued, the loop runs that descriptor's asyncio reader or writer
    callback at once, from the reactor's C{doRead}/C{doWrite}
    (L{_dispatch_io}): this is what the next tick would do first, without
    a reactor call and a tick per event.  Otherwise the event waits for the next tick's
    C{select()}, behind what is queued, as in asyncio;
  - C{call_soon_threadsafe} wakes the reactor with C{reactor.callFromThread};
  - signal handlers are installed with C{signal.signal} and delivered with
    C{reactor.callFromThread}; the loop never calls C{signal.set_wakeup_fd}
    and never handles C{SIGCHLD} itself, so the reactor stays the only
    owner of both and Twisted's C{spawnProcess} keeps working next to
    asyncio subprocesses (whose child watcher, asyncio's default
    C{ThreadedChildWatcher}, waits for its own children only).

The loop runs in one of two ways:

  - I{hosted}: C{reactor.run()} runs the reactor.  For its whole duration
    the loop C{is_running()}, and C{asyncio.get_running_loop()} returns it
    in the reactor thread, inside Twisted and asyncio callbacks alike.
    C{run_forever()}/C{run_until_complete()} raise "This event loop is
    already running", as for any running asyncio loop, and C{stop()} does
    nothing: it would not stop a run the loop started (use
    C{reactor.stop()}).
  - I{driving}: C{run_forever()} (and so C{run_until_complete()},
    C{asyncio.Runner}, Tornado's C{IOLoop.start()}/C{run_sync()}) on a
    reactor that is not running drives the reactor itself until
    C{stop()}: it iterates it (C{runUntilCurrent()} and C{doIteration()}),
    or, on a GUI reactor without C{doIteration} (Twisted's GLib reactors),
    runs the toolkit's main loop (see L{txtornado._loop_on_reactor.driving}).
    It does not I{start} the reactor: no C{'startup'} or C{'shutdown'} system event
    fires, so C{reactor.run()} can still be called later, exactly as with
    Twisted's own C{asyncioreactor}, and C{callWhenRunning} waits until
    then.  The reactor's thread pool (C{deferToThread}, C{callInThread},
    its default name resolver) is the exception: the run starts it, and
    stops it when it ends, once the work queued on it is done (so a
    script's last C{run_sync} leaves no thread behind).

Only one open loop may use a given reactor at a time.  A loop given no
reactor (what C{TwistedEventLoopPolicy()}, C{asyncio.new_event_loop()}
under it, C{asyncio.run()} and C{TwistedIOLoop()} make) uses the global
C{twisted.internet.reactor} if it may: no other open loop uses it, and the
loop is created in the global reactor's thread (the thread running it, or,
while it does not run, the main thread).  Otherwise the loop gets a
I{private} reactor: a new instance of the global reactor's class if that
is one of Twisted's pollers (epoll, poll, select, kqueue), else of
Twisted's default poller for the platform, which the loop owns and
disposes of when closed, as with C{reactor_factory} (see
L{txtornado._loop_on_reactor.ownership}).  So any number of loops can be
open, in any threads, as asyncio allows, and Twisted code run from the
main loop runs on the global reactor; in a loop on a private reactor,
Twisted APIs must be given the loop's C{reactor} (the global one is not
running that loop).
"""

from __future__ import annotations

import asyncio
import math
import selectors
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from typing import Any

from twisted.internet.base import DelayedCall, ReactorBase
from twisted.internet.interfaces import IReactorCore, IReactorFDSet, IReactorTime

# Imported so that coroutines Twisted runs can await this loop's futures.
from txtornado import futures as _futures  # noqa: F401
from txtornado._compat import asyncio as _private
from txtornado._loop_on_reactor.driving import DrivenLoop, Driver, driver_for
from txtornado._loop_on_reactor.hosting import ReactorHosting
from txtornado._loop_on_reactor.ownership import (
    ReactorClaim,
    dispose_reactor,
    global_reactor,
)
from txtornado._loop_on_reactor.selector import (
    BATCH_ITERATIONS,
    BATCH_SECONDS,
    LoopSelector,
    NestedSelector,
    ReactorSelector,
)
from txtornado._loop_on_reactor.signals import LoopSignals
from txtornado._taskfactory import Task, await_deferreds

__all__ = [
    "BATCH_ITERATIONS",
    "BATCH_SECONDS",
    "MAXIMUM_WAIT",
    "TwistedEventLoop",
    "dispose_reactor",
]

ReactorFactory = Callable[[], Any]

_base_call_soon = asyncio.BaseEventLoop.call_soon
_Handle = asyncio.Handle
_monotonic = time.monotonic

#: The longest wait, in seconds, the loop asks of the reactor for an
#: asyncio timer (stdlib asyncio's C{MAXIMUM_SELECT_TIMEOUT}): a timer
#: further away (up to C{math.inf}) wakes the reactor this often.
MAXIMUM_WAIT = 24 * 3600


class TwistedEventLoop(_private.SelectorLoopHooks):
    """
    An asyncio event loop whose scheduling and I/O are driven by a Twisted
    reactor.  See the module docstring for the design and the two ways it
    runs.

    @param reactor: the reactor (a C{PosixReactorBase}: it must provide
        C{IReactorFDSet}, C{IReactorTime}, C{IReactorCore} and
        C{callFromThread}).  C{None}: the global C{twisted.internet.reactor}
        (resolved now) if this thread may use it and no other open loop
        does, else a private reactor of the same kind that this loop owns
        (see the module docstring).
    @param reactor_factory: instead of C{reactor}, a callable returning a
        I{new} reactor that this loop owns: L{close} then also disconnects
        everything left on it and closes its waker.  Meant for tests, and
        for one loop per thread.

    @raise RuntimeError: if C{reactor} is given and another open loop uses
        it.
    @param nested_selector: C{True}: keep asyncio's descriptors in the
        loop's own epoll selector, watched by the reactor as one reader
        (the reactor must be able to poll an epoll descriptor, as every
        C{select}/C{poll}/C{epoll} reactor can).  C{False}: register each
        descriptor on the reactor (e.g. for reactors that cannot).
        C{None} (default): C{True} where C{selectors.EpollSelector} exists.

    All methods must be called from the thread running the reactor, except
    C{call_soon_threadsafe}, C{run_in_executor}'s executor side and those
    asyncio documents as thread-safe.

    The class is asyncio's scheduling core on a reactor (the tick, the
    reactor calls it arranges, C{call_soon}/C{call_at}/L{wake_threadsafe},
    and the readiness the selector hands over, L{_tick_now} and
    L{_dispatch_io}), which stays in one class because its hot paths read
    this state directly, once per callback or event; every other concern
    is a collaborator in L{txtornado._loop_on_reactor}: the selector
    strategies (L{LoopSelector}), driving (L{Driver}), hosting
    (L{ReactorHosting}), reactor ownership (L{ReactorClaim}) and signals
    (L{LoopSignals}).

    @ivar _initialised: whether C{__init__} completed (C{__del__} warns
        only then).
    @ivar _plain_call_soon: L{call_soon}'s fast path applies: open, and not
        in debug mode.
    @ivar _reactor: the reactor the loop runs on (L{reactor}).
    @ivar _claim: which reactor the loop uses and whether it owns it.
    @ivar _signals: the loop's signal handlers.
    @ivar _reactor_selector: where asyncio's descriptors are watched; also
        asyncio's C{_selector}.
    @ivar _hosting: hosted mode, while C{reactor.run()} runs.
    @ivar _tick_call: the pending reactor call of L{_tick}, or C{None}.
    @ivar _timer_call: the pending reactor call for the earliest asyncio
        timer (L{_on_timer}), or C{None}.
    @ivar _timer_when: the asyncio time C{_timer_call} is for, or C{None}.
    @ivar _timer_resets: whether C{_timer_call} may be moved with
        C{DelayedCall.reset}: only where the reactor's C{callLater} is
        C{ReactorBase}'s own, so that a reset does all a new call would.
        Reactors that override C{callLater} do more there than a reset
        does: Twisted's GLib reactors move their GLib timeout in
        C{callLater} only (a reset sooner fires at the old time), and
        C{AsyncioSelectorReactor}'s calls ignore a reset.  Elsewhere the
        loop cancels the call and makes a new one.
    @ivar _in_tick: whether a tick runs now.
    @ivar _poll_burst: while an iteration driver polls: nothing was queued
        before the poll, so its events may run at once (L{_dispatch_io}).
    @ivar _burst_tick: hosted: the tick call arranged by an event run at
        once, behind which later events of the same poll may run at once.
    @ivar _driver: the driver of the current C{run_forever}, or C{None}.
    @ivar _driving: whether C{_driver} ticks itself (no reactor tick calls).
    @ivar _driving_thread: the thread running C{run_forever}, or C{None}.
    @ivar _wake_requested: a wake-up from another thread is on its way
        (L{wake_threadsafe}).
    @ivar _pending_exception: an exception that left a callback while
        driving, to be raised from C{run_forever}, or C{None}.
    @ivar _ready_queue: asyncio's ready queue, for emptiness tests.
    @ivar _append_ready: its C{append} (L{call_soon}'s fast path).
    """

    def __init__(
        self,
        reactor: Any = None,
        *,
        reactor_factory: ReactorFactory | None = None,
        nested_selector: bool | None = None,
    ) -> None:
        self._initialised = False
        self._plain_call_soon = False
        if reactor is not None and reactor_factory is not None:
            raise TypeError("pass reactor or reactor_factory, not both")
        owned = reactor_factory is not None
        if reactor_factory is not None:
            reactor = reactor_factory()
        shared = reactor is None and reactor_factory is None
        if shared:
            reactor = global_reactor()
        for interface in (IReactorFDSet, IReactorTime, IReactorCore):
            if not interface.providedBy(reactor):
                raise TypeError(f"{reactor!r} does not provide {interface.__name__}")
        self._reactor = reactor
        self._tick_call: DelayedCall | None = None
        self._timer_call: DelayedCall | None = None
        self._timer_when: float | None = None
        self._in_tick = False
        self._poll_burst = False
        self._burst_tick: DelayedCall | None = None
        self._driving = False
        self._driver: Driver | None = None
        self._driving_thread: int | None = None
        self._wake_requested = False
        self._pending_exception: BaseException | None = None
        if nested_selector is None:
            nested_selector = hasattr(selectors, "EpollSelector")
        self._claim = ReactorClaim(reactor, owned)
        self._claim.claim(self, shared)
        reactor = self._reactor = self._claim.reactor
        self._timer_resets = (
            getattr(type(reactor), "callLater", None) is ReactorBase.callLater
        )
        self._signals = LoopSignals(self, reactor)
        selector: LoopSelector
        try:
            if nested_selector:
                selector = NestedSelector(reactor, self._tick_now)
            else:
                selector = ReactorSelector(reactor, self._wake, self._dispatch_io)
        except BaseException:
            self._claim.release(self)
            raise
        self._reactor_selector: LoopSelector = selector
        try:
            super().__init__(selector=selector)
        except BaseException:
            selector.close()
            self._claim.release(self)
            raise
        self._ready_queue = _private.ready_queue(self)
        self._append_ready = _private.ready_appender(self)
        self._plain_call_soon = not self.get_debug()
        # asyncio's self-pipe is never written to here (wake_threadsafe wakes
        # the reactor with callFromThread, and signals do not use it), so
        # the reactor need not watch it: a watched one would be one more
        # reader in every trial test's dirty-reactor check.
        self.remove_reader(_private.self_pipe_reader_fd(self))
        self._hosting = ReactorHosting(self, reactor, self._may_host, self._hosted)
        self._initialised = True

    def __del__(self, _warn: Any = None) -> None:
        # asyncio's __del__ warns about unclosed loops; a loop whose
        # __init__ failed has nothing to close.
        if self.__dict__.get("_initialised"):
            super().__del__()

    @property
    def reactor(self) -> Any:
        """
        The reactor driving this loop.
        """
        return self._reactor

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} running={self.is_running()} "
            f"closed={self.is_closed()} debug={self.get_debug()} "
            f"reactor={type(self._reactor).__name__}>"
        )

    #: A bare C{await deferred} works in this loop's tasks (see
    #: L{txtornado.futures.enable_deferred_await}).
    awaits_deferreds = True

    def create_task(self, coro: Any, **kwargs: Any) -> asyncio.Task[Any]:
        """
        As C{asyncio}'s, but the task runs C{coro} through an adapter that
        lets it C{await} Deferreds (see L{txtornado.futures}): without a
        task factory the task is a L{txtornado._taskfactory.Task}, whose
        C{get_coro()} is C{coro}; a task factory set with
        C{set_task_factory} receives the adapter.
        """
        if self.get_task_factory() is not None:
            return super().create_task(await_deferreds(coro, self), **kwargs)
        _private.check_closed(self)
        task = Task(await_deferreds(coro, self), loop=self, **kwargs)
        _private.drop_creation_frame(task)
        return task

    # Scheduling core

    def _wake_from_thread(self) -> None:
        """
        The wake-up L{wake_threadsafe} asked for: let the next one through,
        then make sure a tick runs soon.  Reactor thread only.
        """
        self._wake_requested = False
        self._wake()

    def _wake(self) -> None:
        """
        Make sure a tick runs soon.  Reactor thread only.  Nothing to do
        while driving: every iteration ends with a tick.
        """
        if self._driving:
            return
        if self._tick_call is None and not self._in_tick and not self.is_closed():
            self._tick_call = self._reactor.callLater(0, self._tick)

    def _on_timer(self) -> None:
        """
        The reactor call for the earliest asyncio timer fired.
        """
        self._timer_call = None
        self._timer_when = None
        if self._tick_call is not None or self._driving:
            # A tick is due now anyway and will run the timer too.
            return
        self._tick()

    def _tick(self) -> None:
        """
        Run asyncio's iteration (due timers, recorded I/O, ready queue)
        once, then arrange the next tick.  Called by the reactor (hosted)
        or L{_run_once} (driving), in the loop's thread.

        After the first iteration the selector runs as many more as its
        mode asks for (L{LoopSelector.run_batch}: a bounded batch with the
        nested selector, none per descriptor).  A driver whose ticks are
        reactor calls hears of each one's end (L{Driver.tick_ended}).
        """
        self._tick_call = self._burst_tick = None
        if self.is_closed():
            return
        self._in_tick = True
        try:
            _private.run_asyncio_once(self)
            # Bound with partial, not methods: the batch's per-iteration
            # calls then add no Python frame of their own.
            self._reactor_selector.run_batch(
                partial(_private.run_asyncio_once, self),
                self._ready_queue,
                partial(_private.is_stopping, self),
            )
        except BaseException as e:
            # Twisted would log and swallow it (even KeyboardInterrupt and
            # SystemExit); asyncio lets it out of run_forever.
            if self._driver is not None:
                self._raise_from_run(e)
            else:
                raise
        finally:
            self._in_tick = False
            if not self.is_closed():
                if self._reactor_selector.needs_rearm:
                    self._reactor_selector.rearm()
                self._schedule()
            if self._driver is not None and not self._driving:
                self._driver.tick_ended()

    def _tick_now(self) -> None:
        """
        The selector found readiness a tick should handle at once (the
        nested selector's C{on_ready}, from the reactor's C{doRead}): run a
        tick now (which polls the selector) instead of a reactor call
        later.  While an iteration
        driver drives, nothing: every iteration ends with a tick.  An
        exception leaving the tick leaves C{run_forever} (driving) or is
        re-raised from a reactor call (hosted), so the reactor logs it and
        never mistakes it for the descriptor failing.
        """
        if self._driving or self._in_tick or self.is_closed():
            return
        tick_call = self._tick_call
        if tick_call is not None:
            tick_call.cancel()
        try:
            self._tick()
        except BaseException as e:
            self._reactor.callLater(0, _reraise, e)

    def _dispatch_io(self, key: selectors.SelectorKey, event: int) -> bool:
        """
        The reactor reported C{key}'s descriptor ready for C{event}, and
        nothing else is recorded: run its asyncio reader (or writer) now and
        return C{True}, or return C{False} to leave the event to the next
        tick's C{select()}.

        Called by the selector from the reactor's C{doRead}/C{doWrite}, in
        the reactor thread.  It runs the handle only where the next tick
        would have run it first, with the same effect: the loop is the
        running loop, nothing is queued before it, no tick is running, not
        in debug mode (whose slow-callback report only C{_run_once} makes),
        the handle is not cancelled, and no exception waits to leave
        C{run_forever}.  As in a tick, an exception goes to the loop's
        exception handler, and C{SystemExit}/C{KeyboardInterrupt} leave
        C{run_forever} (driving) or reach Twisted's log (hosted).  The
        callback runs as if outside a tick, so what it schedules arranges
        its own reactor calls (L{call_soon}, L{call_at}).
        """
        if (
            self._in_tick
            or self._pending_exception is not None
            or _private.get_running_loop_or_none() is not self
            or self.get_debug()
        ):
            return False
        if self._ready_queue:
            # Queued: run this event anyway if all that is queued was
            # queued by this poll's earlier events (asyncio runs all the
            # events of one select() before what they queue).
            if self._driving:
                if not self._poll_burst:
                    return False
            elif self._tick_call is None or self._tick_call is not self._burst_tick:
                return False
        handle = _private.io_handle(key, event)
        if handle is None or handle.cancelled():
            return False
        try:
            _private.run_handle(handle)
        except BaseException as e:
            if self._driver is not None:
                self._raise_from_run(e)
            else:
                self._reactor.callLater(0, _reraise, e)
        # The tick that will run what this queued (hosted).
        self._burst_tick = self._tick_call
        return True

    def _schedule(self) -> None:
        """
        Arrange the reactor calls the loop's state asks for: a tick now if
        callbacks are ready, else one reactor timer for the earliest
        asyncio timer.  Nothing while driving: each iteration ticks, and
        waits no longer than the earliest timer (L{_io_wait}).
        """
        if self._driving:
            return
        if _private.has_ready(self) or self._reactor_selector.has_recorded:
            if self._tick_call is None:
                self._tick_call = self._reactor.callLater(0, self._tick)
            return
        when = _private.earliest_timer(self)
        if when is None:
            if self._timer_call is not None:
                self._timer_call.cancel()
                self._timer_call = None
                self._timer_when = None
            return
        self._set_timer(when)

    def _set_timer(self, when: float) -> None:
        """
        Have the reactor call L{_on_timer} at asyncio time C{when}, or in
        L{MAXIMUM_WAIT} seconds if that is sooner (the tick it runs then
        finds no timer due and sets the reactor timer again).
        """
        if when == self._timer_when:
            return
        delay = _wait_until(when, self.time())
        timer = self._timer_call
        if timer is not None and not timer.active():
            timer = None
        if timer is not None and self._timer_resets:
            timer.reset(delay)
        else:
            if timer is not None:
                timer.cancel()
            self._timer_call = self._reactor.callLater(delay, self._on_timer)
        self._timer_when = when

    def call_soon(  # type: ignore[override]
        self,
        callback: Callable[..., object],
        *args: Any,
        context: Any = None,
    ) -> asyncio.Handle:
        """
        asyncio's C{call_soon}; outside a tick, while hosted, also arrange
        a tick (at most one pending).

        Called once per callback, so on an open loop not in debug mode it
        does what C{BaseEventLoop.call_soon} then does, without its two
        nested calls: append C{Handle(callback, args, loop, context)} to the
        ready queue (an assumption documented and checked with
        L{txtornado._compat.asyncio}).  Otherwise
        (closed: raise; debug: thread and callback checks, source
        traceback) it calls asyncio's own.
        """
        if self._plain_call_soon:
            handle = _Handle(callback, args, self, context)
            self._append_ready(handle)
        else:
            handle = _base_call_soon(self, callback, *args, context=context)
            _private.drop_creation_frame(handle)
        if not self._in_tick and self._tick_call is None and not self._driving:
            self._tick_call = self._reactor.callLater(0, self._tick)
        return handle

    def set_debug(self, enabled: bool) -> None:
        """
        asyncio's C{set_debug}; also selects L{call_soon}'s path.
        """
        super().set_debug(enabled)
        self._plain_call_soon = (
            not enabled and not self.is_closed() and hasattr(self, "_ready_queue")
        )

    def call_at(  # type: ignore[override]
        self,
        when: float,
        callback: Callable[..., object],
        *args: Any,
        context: Any = None,
    ) -> asyncio.TimerHandle:
        timer = super().call_at(when, callback, *args, context=context)
        _private.drop_creation_frame(timer)
        if (
            not self._in_tick
            and not self._driving
            and (self._timer_when is None or when < self._timer_when)
        ):
            self._set_timer(timer.when())
        return timer

    def wake_threadsafe(self) -> None:
        """
        Wake the reactor after C{call_soon_threadsafe} queued a callback.

        Replaces asyncio's self-pipe write (L{SelectorLoopHooks
        <txtornado._compat.asyncio.SelectorLoopHooks>}).  Free while the loop runs its
        own callbacks in its thread (the tick reschedules itself when it
        ends; this also covers a signal handler interrupting a callback);
        otherwise (other threads, or a signal handler interrupting a
        reactor poll) through C{reactor.callFromThread}, which is thread-
        and signal-safe.  Calls made while a wake-up is on its way share
        it: a burst of calls from threads costs the reactor one wake-up.
        """
        if self._in_tick and threading.get_ident() in (
            self._driving_thread,
            self._hosting.thread,
        ):
            return
        if self._wake_requested:
            # A wake-up is on its way and has not run yet: it will find
            # this callback queued (it was queued before this check).
            return
        self._wake_requested = True
        try:
            self._reactor.callFromThread(self._wake_from_thread)
        except OSError:
            # The loop is being closed in another thread and its reactor's
            # waker with it (asyncio ignores this race the same way).
            pass

    # Running

    def run_iteration(self) -> None:
        """
        One iteration of C{run_forever} while driving (see
        L{txtornado._loop_on_reactor.driving}); C{run_forever} calls it in a
        loop until C{stop()} (L{SelectorLoopHooks
        <txtornado._compat.asyncio.SelectorLoopHooks>}).
        """
        driver = self._driver
        if driver is None:
            driver = self._start_driving()
        if self._reactor_selector.needs_rearm:
            self._reactor_selector.rearm()
        if self._pending_exception is None:
            driver.run_once()
        exc = self._pending_exception
        if exc is not None:
            self._pending_exception = None
            raise exc

    def _driven_is_stopping(self) -> bool:
        return _private.is_stopping(self) or self._pending_exception is not None

    def _driven_tick(self) -> None:
        if self._pending_exception is None:
            self._tick()

    def _io_wait(self, reactor_timeout: float | None) -> float | None:
        """
        How long a driving iteration may wait for I/O: not at all if
        callbacks are ready, else until the earlier of the reactor's next
        delayed call and asyncio's next timer (None: no limit).
        """
        if _private.has_ready(self):
            return 0
        timeout = reactor_timeout
        when = _private.earliest_timer(self)
        if when is not None:
            delay = _wait_until(when, self.time())
            if timeout is None or delay < timeout:
                timeout = delay
        return timeout

    def _poll_started(self, started: bool) -> None:
        # Events reported by this poll may run at once (_dispatch_io) if
        # nothing was queued before it.
        self._poll_burst = started and not self._ready_queue

    def _start_driving(self) -> Driver:
        driver = driver_for(
            self._reactor,
            DrivenLoop(
                self._driven_tick,
                self._driven_is_stopping,
                self._io_wait,
                self._poll_started,
            ),
        )
        self._driver = driver
        self._driving = driver.ticks_itself
        self._driving_thread = threading.get_ident()
        if self._driving:
            if self._tick_call is not None:
                # Each driving iteration ends with a tick: a reactor tick
                # call left from before would run callbacks twice in one
                # iteration.
                self._tick_call.cancel()
                self._tick_call = None
        else:
            # The toolkit's main loop runs ticks and timers as reactor
            # calls.  Those made before this run are made again, in this
            # thread: a call made in another thread (asyncio lets any one
            # thread use a loop that is not running) may not have armed the
            # toolkit's timer, which only the toolkit's thread can start
            # (Qt ignores QTimer.start elsewhere), and would never run.
            self._cancel_reactor_calls()
            self._schedule()
        return driver

    def _raise_from_run(self, exception: BaseException) -> None:
        """
        C{exception} left a callback while driving: have it leave
        C{run_forever}, as asyncio lets it.
        """
        self._pending_exception = exception
        if self._driver is not None:
            self._driver.wake()

    def run_forever(self) -> None:
        """
        Run until C{stop()} is called, driving the reactor (which must not
        be running: if it is, the loop is already running).

        @raise NotImplementedError: if the reactor can be neither iterated
            nor have its toolkit's main loop run (see
            L{txtornado._loop_on_reactor.driving.driver_for}).
        """
        if self._driver is not None:
            # A run in progress: asyncio refuses this one, and the run's
            # driver stays as it is.
            super().run_forever()
            return
        try:
            super().run_forever()
        finally:
            driver, self._driver = self._driver, None
            self._driving_thread = None
            self._driving = False
            if driver is not None:
                driver.finish()
            if not self.is_closed():
                # Leave the reactor calls that whoever runs it next needs.
                self._schedule()

    def is_running(self) -> bool:
        """
        Whether the loop runs: driven by C{run_forever}, or hosted by a
        running reactor.
        """
        return super().is_running() or (
            not self.is_closed() and bool(self._reactor.running)
        )

    def stop(self) -> None:
        """
        Stop C{run_forever} after the current iteration.

        While the reactor hosts the loop (C{reactor.run()}) this does
        nothing: the loop did not start that run, so it does not stop it.
        """
        if self._driver is not None or not self._reactor.running:
            super().stop()
            if self._driver is not None:
                self._driver.wake()

    def _may_host(self) -> bool:
        return self._driver is None and not self.is_closed()

    def _hosted(self) -> None:
        """
        L{ReactorHosting} entered hosted mode: make sure a tick runs.
        """
        self._wake()

    def close(self) -> None:
        """
        Close the loop: remove its signal handlers, its file descriptors and
        its pending calls from the reactor (nothing else of the reactor's),
        and shut down the default executor without waiting.  A reactor made
        by C{reactor_factory}, or a private one, is disposed of too (see
        L{txtornado._loop_on_reactor.ownership.dispose_reactor}).
        """
        if self.is_closed():
            return
        if self.is_running():
            raise RuntimeError("Cannot close a running event loop")
        self._plain_call_soon = False
        self._signals.close()
        try:
            super().close()
        finally:
            self._cancel_reactor_calls()
            self._hosting.close()
            self._claim.release(self)
            self._reactor_selector.close()

    def _cancel_reactor_calls(self) -> None:
        for call in (self._tick_call, self._timer_call):
            if call is not None and call.active():
                call.cancel()
        self._tick_call = self._timer_call = None
        self._timer_when = None

    # Signals

    def add_signal_handler(  # type: ignore[override]
        self, sig: int, callback: Callable[..., object], *args: Any
    ) -> None:
        """
        Call C{callback(*args)} in the loop when signal C{sig} arrives (see
        L{txtornado._loop_on_reactor.signals}).  Main thread only.

        @raise ValueError: if C{sig} is not a valid signal.
        @raise RuntimeError: if not called from the main thread, or the
            signal cannot be caught, or the loop is closed.
        @raise TypeError: if C{callback} is a coroutine (function).
        """
        self._signals.add(sig, callback, args)

    def remove_signal_handler(self, sig: int) -> bool:
        """
        Remove the handler for C{sig} and put back the handler it replaced.
        Return C{True} if there was one.
        """
        return self._signals.remove(sig)


def _wait_until(when: float, now: float) -> float:
    """
    The wait, in seconds, to ask of the reactor for an asyncio timer due at
    C{when} (asyncio time), as stdlib asyncio computes its C{select()}
    timeout: a past deadline or NaN waits 0 (asyncio then runs a NaN timer
    at the head of its heap at once), and no wait exceeds L{MAXIMUM_WAIT},
    so that a timer at C{math.inf} or beyond what the reactor's poll can
    wait (epoll's and poll's limit is ~24.8 days) never reaches it.

    A wait is rounded up to whole milliseconds, as stdlib's epoll and poll
    selectors round theirs: the reactors poll in milliseconds (Twisted's
    C{PollReactor} truncates), and a wait they cut short by a fraction of
    a millisecond would otherwise be polled again, and again, with a zero
    timeout until the timer is due.
    """
    # max(0.0, nan) is 0.0: the NaN comparison is false.
    wait = min(max(0.0, when - now), MAXIMUM_WAIT)
    return math.ceil(wait * 1e3) / 1e3


def _reraise(exception: BaseException) -> None:
    """
    Raise C{exception}: called by the reactor, which logs it as it logs an
    exception that leaves a tick.
    """
    raise exception


if sys.platform == "win32":  # pragma: no cover
    raise ImportError("txtornado.eventloop needs a POSIX platform")
