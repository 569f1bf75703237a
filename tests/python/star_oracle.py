"""An independent oracle for the star schema: plain Python over the raw source events.

It re-implements the documented rules (staging.yml) and the seed's metric definitions the
slow, obvious way -- gaps by walking each series in time order (the seed's lagInFrame), not
the models' closed form -- so agreement means the SQL is right, not that it was copied.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict

LAUNCH = dt.date(2020, 1, 1)
ATTRS = ("gender", "age", "os", "source", "country", "exp_group")


def mean_gap(times):
    """The seed's avg(time - lagInFrame(time)): mean of consecutive differences, None if < 2."""
    ordered = sorted(times)
    gaps = [(b - a).total_seconds() for a, b in zip(ordered, ordered[1:])]
    return sum(gaps) / len(gaps) if gaps else None


def clean(rows, required, window_end=None, extra_ok=lambda row: True):
    """Apply the staging rules: drop rows missing an id, before launch or in the future (or
    after the window end); keep exact duplicates (documented rule); empty city -> None."""
    kept = []
    for row in rows:
        day = row["time"].date()
        if any(not row[column] for column in required) or not extra_ok(row):
            continue
        if day < LAUNCH or (window_end is not None and day > window_end):
            continue
        kept.append(dict(row, city=row["city"] or None))
    return kept


def clean_feed(rows, window_end=None):
    return clean(rows, ["user_id", "post_id"], window_end,
                 lambda row: row["action"] in ("view", "like"))


def clean_messages(rows, window_end=None):
    return clean(rows, ["user_id", "receiver_id"], window_end)


def fact_daily_feed(feed):
    by_user = defaultdict(list)
    for event in feed:
        by_user[(event["time"].date(), event["user_id"])].append(event)
    facts = {}
    for key, events in by_user.items():
        views = [e["time"] for e in events if e["action"] == "view"]
        likes = [e["time"] for e in events if e["action"] == "like"]
        pairs = []
        for post in {e["post_id"] for e in events}:
            post_views = [e["time"] for e in events if e["post_id"] == post and e["action"] == "view"]
            post_likes = [e["time"] for e in events if e["post_id"] == post and e["action"] == "like"]
            if post_views and post_likes and min(post_likes) >= min(post_views):
                pairs.append((min(post_likes) - min(post_views)).total_seconds())
        facts[key] = {
            "first_view_time": min(views, default=None), "last_view_time": max(views, default=None),
            "first_like_time": min(likes, default=None), "last_like_time": max(likes, default=None),
            "posts": len({e["post_id"] for e in events}), "views": len(views), "likes": len(likes),
            "avg_time_between_views": mean_gap(views), "avg_time_between_likes": mean_gap(likes),
            "avg_view_to_like_seconds": sum(pairs) / len(pairs) if pairs else None,
        }
    return facts


def fact_daily_posts(feed):
    by_post = defaultdict(list)
    for event in feed:
        by_post[(event["time"].date(), event["post_id"])].append(event)
    facts = {}
    for key, events in by_post.items():
        views = [e for e in events if e["action"] == "view"]
        likes = [e for e in events if e["action"] == "like"]
        first_view = min((e["time"] for e in views), default=None)
        first_like = min((e["time"] for e in likes), default=None)
        facts[key] = {
            "first_action_time": min(e["time"] for e in events), "last_action_time": max(e["time"] for e in events),
            "views": len(views), "likes": len(likes),
            "unique_viewers": len({e["user_id"] for e in views}), "unique_likers": len({e["user_id"] for e in likes}),
            "avg_time_between_views": mean_gap([e["time"] for e in views]),
            "avg_time_between_likes": mean_gap([e["time"] for e in likes]),
            "avg_view_to_like_seconds": (first_like - first_view).total_seconds()
            if first_view and first_like and first_like >= first_view else None,
        }
    return facts


def fact_daily_messenger(messages):
    sent, received = defaultdict(list), defaultdict(list)
    for m in messages:
        day = m["time"].date()
        sent[(day, m["user_id"])].append(m)
        received[(day, m["receiver_id"])].append(m)
    facts = {}
    for key in set(sent) | set(received):
        out, inbox = sent.get(key, []), received.get(key, [])
        facts[key] = {
            "messages_sent": len(out), "users_sent": len({m["receiver_id"] for m in out}),
            "first_sent_time": min((m["time"] for m in out), default=None),
            "last_sent_time": max((m["time"] for m in out), default=None),
            "avg_time_between_messages_sent": mean_gap([m["time"] for m in out]),
            "messages_received": len(inbox), "users_received": len({m["user_id"] for m in inbox}),
            "first_received_time": min((m["time"] for m in inbox), default=None),
            "last_received_time": max((m["time"] for m in inbox), default=None),
            "avg_time_between_messages_received": mean_gap([m["time"] for m in inbox]),
        }
    return facts


def fact_user_connections(messages):
    counts = defaultdict(int)
    for m in messages:
        counts[(m["time"].date(), m["user_id"], m["receiver_id"])] += 1
    return {key: {"messages_count": n} for key, n in counts.items()}


def dim_users(feed, messages):
    users = defaultdict(lambda: {"events": [], "feed": [], "sent": [], "seen": [], "received": []})
    for e in feed:
        users[e["user_id"]]["events"].append(e)
        users[e["user_id"]]["feed"].append(e["time"].date())
    for m in messages:
        users[m["user_id"]]["events"].append(m)
        users[m["user_id"]]["sent"].append(m["time"].date())
        users[m["receiver_id"]]["seen"].append(m["time"].date())
        users[m["receiver_id"]]["received"].append(m["time"])
    dims = {}
    for user_id, u in users.items():
        # latest attributes; equal times broken by the values, as the model does
        latest = max(u["events"], key=lambda e: (e["time"], tuple(e[a] for a in ATTRS)), default=None)
        cities = [(e["time"], e["city"]) for e in u["events"] if e["city"]]
        active = u["feed"] + u["sent"]
        dims[user_id] = {
            **{a: latest[a] if latest else None for a in ATTRS},
            "city": max(cities)[1] if cities else None,
            "first_feed_date": min(u["feed"], default=None), "first_messenger_date": min(u["sent"], default=None),
            "first_active_date": min(active, default=None), "first_seen_date": min(active + u["seen"]),
            # when the latest attributes and city were seen, and the user's latest event in any role
            "attributes_updated_at": latest["time"] if latest else None,
            "city_updated_at": max(cities)[0] if cities else None,
            "last_seen_time": max([e["time"] for e in u["events"]] + u["received"]),
        }
    return dims


def compare(expected: dict, actual: dict, label: str) -> None:
    """Exact equality, floats to 1e-9 relative; a helpful message on the first differences."""
    assert set(expected) == set(actual), (
        f"{label}: keys differ; missing {sorted(set(expected) - set(actual))[:5]}, "
        f"extra {sorted(set(actual) - set(expected))[:5]}")
    problems = []
    for key, want in expected.items():
        got = actual[key]
        for column, value in want.items():
            other = got[column]
            same = (value is None and other is None) or (
                value is not None and other is not None and (
                    math.isclose(value, other, rel_tol=1e-9, abs_tol=1e-9) if isinstance(value, float) else value == other))
            if not same:
                problems.append(f"{key} {column}: oracle {value!r}, model {other!r}")
    assert not problems, f"{label}: {len(problems)} differences, e.g.\n" + "\n".join(problems[:10])
