"""Deterministic randomness: a uniform draw in [0, 1) from a hash of (seed, tag, keys...).

`rand()` depends on threads and blocks; a hash of the seed and of what the draw is *about*
(a user, a day, an event index) gives the same tables whatever the thread count, and lets a
later run (--append-day) recompute exactly what an earlier one drew.  Tags and keys are
fixed SQL fragments written in this package, never user input; the seed is a bound
parameter.
"""

TWO_POW_64 = "18446744073709551616.0"


def uniform(tag: str, *keys: str) -> str:
    """SQL for a Float64 uniform in [0, 1) keyed by the seed, `tag` and the SQL expressions `keys`."""
    if not tag.isidentifier():
        raise ValueError(f"tag must be an identifier, got {tag!r}")
    return f"(sipHash64({{seed:UInt64}}, '{tag}', {', '.join(keys)}) / {TWO_POW_64})"


def exponential(tag: str, mean: str, *keys: str) -> str:
    """SQL for an exponential draw with the given mean (1 - u keeps log() away from 0)."""
    return f"(-log(1 - {uniform(tag, *keys)}) * {mean})"
