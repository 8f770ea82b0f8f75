"""
txtornado's tests (run by pytest or trial).

Many tests start processes and signal them (twistd children stopped with
SIGINT or SIGTERM, the judges' workers, children that check signal
handling).  A shell that starts the test run in the background (C{nohup},
C{&} without job control, as some CI runners and scripts do) makes SIGINT
ignored, which every child inherits through exec; Twisted's reactors then
leave SIGINT alone, as a program started that way asks.  The tests assume
a terminal's default, so importing this package puts Python's default
SIGINT handler back when SIGINT is ignored (children then start with the
default disposition).
"""

import signal
import threading

if (
    threading.current_thread() is threading.main_thread()
    and signal.getsignal(signal.SIGINT) is signal.SIG_IGN
):
    signal.signal(signal.SIGINT, signal.default_int_handler)
