# -*- test-case-name: txtornado.test.test_registrations,txtornado.test.test_reactor -*-
"""
Which of a L{TornadoReactor<txtornado.reactor.TornadoReactor>}'s readers
and writers the loop's registration of each file descriptor number is for.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from txtornado._reactor_on_loop.driver import LoopDriver

#: The fd recorded for a descriptor whose file descriptor number another
#: descriptor has taken over (see L{LoopRegistrations.claim}): the loop's
#: registration for that number is no longer its own.
DETACHED = -2


class LoopRegistrations:
    """
    The reactor's registered readers and writers, each with the fd it is
    registered with in the loop, and for each fd the descriptor the loop's
    registration of it is for.

    File descriptor numbers are reused: once a lost descriptor's fd is
    closed, the next socket may get the same number.  Registering a
    descriptor on a number that another registered descriptor holds gives
    the number to the new one (L{claim}): the loop's registration (the
    loop's record and the kernel's) is made afresh for the new descriptor,
    and the other one stays listed, as L{DETACHED}, with no more events
    from the loop, until it is removed (the lost-descriptor sweep
    disconnects it if its C{fileno()} says its fd is gone).

    All methods run in the loop's thread.

    @ivar readers: Reader to the fd it is registered with, or L{DETACHED}.
    @ivar writers: Writer to the fd it is registered with, or L{DETACHED},
        or C{UNREGISTERED} for one that the write-soon path holds
        (L{txtornado._reactor_on_loop.writesoon}).
    @ivar _driver: The loop.
    @ivar _readerByFd: fd to the reader the loop's read registration of it
        is for.
    @ivar _writerByFd: fd to the writer the loop's write registration of it
        is for.
    """

    def __init__(self, driver: LoopDriver) -> None:
        self._driver = driver
        self.readers: dict[Any, int] = {}
        self.writers: dict[Any, int] = {}
        self._readerByFd: dict[int, Any] = {}
        self._writerByFd: dict[int, Any] = {}

    def addReader(
        self, reader: Any, fd: int, callback: Callable[..., object], *args: object
    ) -> None:
        """
        Register C{reader} on C{fd} with the loop, to call
        C{callback(*args)} when it is readable.  Raise what the loop raises
        (C{PermissionError} for a file epoll refuses), having undone a
        registration the loop made half way before raising C{OSError}.
        """
        self.claim(fd, reader)
        try:
            self._driver.addReader(fd, callback, *args)
        except OSError:
            self._driver.forgetDescriptor(fd)
            raise
        self.readers[reader] = fd
        self._readerByFd[fd] = reader

    def addWriter(
        self, writer: Any, fd: int, callback: Callable[..., object], *args: object
    ) -> None:
        """
        Register C{writer} on C{fd} with the loop, to call
        C{callback(*args)} when it is writable; raise what the loop raises,
        having undone a registration the loop made half way.
        """
        self.claim(fd, writer)
        try:
            self._driver.addWriter(fd, callback, *args)
        except BaseException:
            self._driver.forgetDescriptor(fd)
            raise
        self.writers[writer] = fd
        self._writerByFd[fd] = writer

    def removeReader(self, reader: Any) -> bool:
        """
        Forget C{reader} and remove its registration from the loop, if it
        still holds one; say whether it was listed.
        """
        fd = self.readers.pop(reader, None)
        if fd is None:
            return False
        if fd >= 0:
            del self._readerByFd[fd]
            self._driver.removeReader(fd)
        return True

    def removeWriter(self, writer: Any) -> bool:
        """
        Forget C{writer} and remove its registration from the loop, if it
        holds one; say whether it was listed.
        """
        fd = self.writers.pop(writer, None)
        if fd is None:
            return False
        if fd >= 0:
            del self._writerByFd[fd]
            self._driver.removeWriter(fd)
        return True

    def claim(self, fd: int, descriptor: object) -> None:
        """
        Make the loop's registrations of C{fd} free for C{descriptor} (or,
        with C{None}, for the reactor's own use) before it registers C{fd}.

        A reader or writer registered on C{fd} that is not C{descriptor}
        holds a number the kernel has given to a new file, so its own fd was
        closed behind the reactor's back: the loop may still hold a record of
        it that the kernel has forgotten, and adding to that record would
        never reach the kernel.  Its registrations are removed from the loop
        and it is L{DETACHED}.
        """
        reader = self._readerByFd.get(fd)
        if reader is not None and reader is not descriptor:
            del self._readerByFd[fd]
            self.readers[reader] = DETACHED
            self._forget(self._driver.removeReader, fd)
        writer = self._writerByFd.get(fd)
        if writer is not None and writer is not descriptor:
            del self._writerByFd[fd]
            self.writers[writer] = DETACHED
            self._forget(self._driver.removeWriter, fd)

    @staticmethod
    def _forget(remove: Callable[[int], object], fd: int) -> None:
        try:
            remove(fd)
        except (OSError, ValueError):
            # The kernel forgot the old file already; the loop's record of it
            # is gone all the same.
            pass
