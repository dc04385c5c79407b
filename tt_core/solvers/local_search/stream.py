"""The annealing kernels' random stream: xoshiro256+ on a four-word state array the caller owns.

numba's ``np.random.random()`` costs ~8 ns a draw (a call that looks up the thread's Mersenne
Twister state, then two 32-bit outputs per float) against ~0.9 ns for this generator inlined;
the annealer draws four to seven numbers a step (the kind of step, the lecture, the day, the start,
then perhaps the room and the acceptance), and on comp07 numba's calls took a tenth of its time
(``perf``: 7.9% of a 10-s run's samples, start-up included). The state is an argument, so every
annealer — every thread of a portfolio — draws from its own stream, and a seed reproduces a run.

The greedy construction and the GA's operators draw a few numbers per lecture and keep numba's
``np.random`` (seeded by :func:`~.kernels.seed_kernels`).
"""

from __future__ import annotations

import numpy as np
from numba import int64, njit, uint64

_MASK = (1 << 64) - 1


def new_stream(seed: int) -> np.ndarray:
    """A stream's state for ``seed``: four words of splitmix64 from it (never all zero)."""
    x = int(seed) & _MASK
    words = []
    for _ in range(4):
        x = (x + 0x9E3779B97F4A7C15) & _MASK
        z = x
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & _MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & _MASK
        words.append(z ^ (z >> 31))
    return np.array(words, np.uint64)


@njit(cache=True, inline="always")
def _rotl(x, k):
    return (x << uint64(k)) | (x >> uint64(64 - k))


@njit(cache=True, inline="always")
def _next(rs):
    """The stream's next 64-bit output (xoshiro256+: its top bits are the good ones), advancing it."""
    s0 = rs[0]
    s1 = rs[1]
    s2 = rs[2]
    s3 = rs[3]
    out = s0 + s3
    t = s1 << uint64(17)
    s2 ^= s0
    s3 ^= s1
    s1 ^= s2
    s0 ^= s3
    s2 ^= t
    s3 = _rotl(s3, 45)
    rs[0] = s0
    rs[1] = s1
    rs[2] = s2
    rs[3] = s3
    return out


@njit(cache=True, inline="always")
def uniform(rs):
    """A float in [0, 1) from the stream ``rs`` (its top 53 bits), advancing it one step."""
    return (_next(rs) >> uint64(11)) * (1.0 / 9007199254740992.0)


@njit(cache=True, inline="always")
def below(rs, n):
    """A random integer in ``0 .. n-1`` (``n`` below 2**32) from the stream ``rs``: the top 32 bits
    of one output times ``n``, shifted down 32 bits (Lemire's multiply-shift; no float conversion
    or division, and a bias of at most ``n / 2**32``)."""
    return int64(((_next(rs) >> uint64(32)) * uint64(n)) >> uint64(32))
