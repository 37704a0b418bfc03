# -*- coding: utf-8 -*-
# Copyright (c) wabiz.migration contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""One deadline for a whole exchange: connecting, sending and the whole answer.

The timeouts of requests bound each socket operation, not the exchange: a server that drips one
byte every half second keeps a call alive for ever. ``Deadline.guard()`` arms a real-time timer
(SIGALRM) that interrupts whatever blocks once the deadline has passed, by raising
``DeadlineReached`` in the guarded block. A module runs in the main thread of its own process,
where signals are delivered; in any other thread the timer cannot be armed, and only the
per-operation timeouts (cut to what remains of the deadline, see ``Deadline.cap``) bound a call.
"""

from __future__ import absolute_import, division, print_function

__metaclass__ = type

import signal
import threading
import time
from contextlib import contextmanager

# A deadline is never armed shorter than this (setitimer(0) would disarm the timer instead).
_SHORTEST = 0.001
# The timer rings this much after the deadline, so that a connection or a read that times out by
# itself at the deadline (its timeout cut to what remains) is named as such, not as a cut answer.
GRACE = 0.25


class DeadlineReached(BaseException):
    """The deadline passed inside a guarded block.

    A BaseException, so that no library's ``except Exception`` takes it for one of its own errors
    and, say, retries; every library on the way still runs its ``finally`` (closing the socket).
    """


def _can_arm():
    return hasattr(signal, "setitimer") and threading.current_thread() is threading.main_thread()


class Deadline(object):
    """A moment ``seconds`` from now (monotonic), possibly no later than an ``outer`` Deadline."""

    def __init__(self, seconds, outer=None, clock=time.monotonic):
        self._clock = clock
        self.at = clock() + max(0.0, float(seconds))
        if outer is not None:
            self.at = min(self.at, outer.at)

    def remaining(self):
        return max(0.0, self.at - self._clock())

    def expired(self):
        return self.remaining() <= 0.0

    def cap(self, seconds):
        """``seconds`` (one socket operation's timeout), cut to what remains, never 0 (which means 'no wait')."""
        return max(_SHORTEST, min(float(seconds), self.remaining()))

    @contextmanager
    def guard(self):
        """Raise DeadlineReached in the block when the deadline passes (main thread only, see the module doc)."""
        if not _can_arm():
            if self.expired():
                raise DeadlineReached()
            yield
            return

        def ring(_signum, _frame):
            raise DeadlineReached()

        previous = signal.signal(signal.SIGALRM, ring)
        try:
            signal.setitimer(signal.ITIMER_REAL, max(_SHORTEST, self.remaining()) + GRACE)
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            # None: the handler was not set from Python; the default is what it was.
            signal.signal(signal.SIGALRM, signal.SIG_DFL if previous is None else previous)
