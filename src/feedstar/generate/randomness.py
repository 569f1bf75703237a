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


def hash_key(tag: str, *keys: str) -> str:
    """SQL for a UInt64 hash of (seed, tag, keys): the root of many cheap draws (see `slice16`)."""
    if not tag.isidentifier():
        raise ValueError(f"tag must be an identifier, got {tag!r}")
    return f"sipHash64({{seed:UInt64}}, '{tag}', {', '.join(keys)})"


def child(hash_sql: str, offset: str) -> str:
    """SQL for a new UInt64 derived from a root hash and an index: intHash64 is a cheap, good
    mixer, so per-event hashes cost one multiply-xorshift instead of a sipHash each."""
    return f"intHash64({hash_sql} + {offset})"


def slice16(hash_sql: str, slot: int) -> str:
    """SQL for a uniform in [0, 1) from 16 bits (slot 0..3) of a UInt64 hash: four independent
    draws per hash, at a resolution (1/65536) finer than any rate the generator uses."""
    if slot not in range(4):
        raise ValueError(f"slot must be 0..3, got {slot}")
    return f"(bitAnd(bitShiftRight({hash_sql}, {16 * slot}), 65535) / 65536.0)"


def slice32(hash_sql: str, slot: int) -> str:
    """SQL for a uniform in [0, 1) from 32 bits (slot 0..1) of a UInt64 hash."""
    if slot not in range(2):
        raise ValueError(f"slot must be 0..1, got {slot}")
    return f"(bitAnd(bitShiftRight({hash_sql}, {32 * slot}), 4294967295) / 4294967296.0)"
