"""SQL that builds a batch of days of `feed_actions` and `message_actions` in their stage tables.

One INSERT covers several days (`{days:Array(Date)}`): `_users` is read once and crossed
with the days, which amortises the per-query cost and gives the engine enough rows to use
every core.  Every draw is a hash of (seed, what it is about), so batching changes nothing
in the result.  The day whose later events are held back (--late-share) is
`{incomplete_day:Date}`.  `{db}` stands for the source database (Layout.render).
"""

from __future__ import annotations

import datetime as dt

from . import world
from .randomness import child, hash_key, slice16, slice32

# A user's attributes as of `day`: the few who change city or os do so on `changes_on`.
USER_ON_DAY = """
            user_id,
            day,
            gender,
            age,
            if(changes_on <= day, new_os, os) as day_os,
            source,
            country,
            if(changes_on <= day, new_city, city) as day_city,
            exp_group"""

# `_users` crossed with the batch's days, from each user's sign-up day on.  Segment picks the
# retention curve: 1 organic, 2 ads, 3 the campaign day's users.
def _user_days(role_filter: str) -> str:
    return """(
            select
                *,
                day,
                multiIf(is_campaign = 1, 3, source = 'ads', 2, 1) as segment
            from {db}._users
            array join {days:Array(Date)} as day
            where signup_day <= day and """ + role_filter + """
        )"""


def _is_active(draw: str, share: str = "1.0") -> str:
    """P(active) = activity * (floor * exp(-age / fade) + (first - floor) * exp(-age / tau))
    [x Monday factor] [x share]; everyone is active on the sign-up day (world.RETENTION)."""
    p_floor = "{ret_floor:Array(Float64)}[segment]"
    p_first = "{ret_first:Array(Float64)}[segment]"
    plateau = "exp(-(day - signup_day) / {ret_fade:Array(Float64)}[segment])"
    early = "exp(-(day - signup_day) / {ret_tau:Array(Float64)}[segment])"
    monday = "if(toDayOfWeek(day) = 1, {monday_activity:Float64}, 1.0)"
    return (f"(day = signup_day or {draw} < activity * ({p_floor} * {plateau} + ({p_first} - {p_floor}) * {early})"
            f" * {monday} * {share})")


# The last filter every event passes: the blackout day silences the big cities, and a
# `late_share` of the incomplete day's events is held back until the next day is generated.
KEEP_EVENT = """
where not (day = {blackout_day:Date} and day_city in {blackout_cities:Array(String)})
    and (day != {incomplete_day:Date} or late_draw >= {late_share:Float64})"""


def _post_from(age_draw: str, rank_draw: str) -> str:
    """A post id: its age in days fades exponentially, its rank within its day is heavy-tailed.
    Posts are numbered by publication day from post_epoch, posts_per_day a day."""
    post_age = f"least({{post_max_age:UInt32}}, toUInt32(floor(-log(1 - {age_draw}) * {{post_age_mean:Float64}})))"
    rank = f"toUInt32(floor({{posts_per_day:UInt32}} * pow({rank_draw}, {{post_rank_exponent:Float64}})))"
    return f"toUInt32(((day - {{post_epoch:Date}}) - {post_age}) * {{posts_per_day:UInt32}} + {rank} + 1)"


# Per user-day one sipHash (`day_hash`); per view k two cheap child hashes h1, h2, each
# sliced into four 16-bit draws.  A view is followed, with the user's like_rate, by a like
# of the same post seconds later; a small share of likes go to another post instead (at a
# random time of the day).
FEED_SQL = f"""
insert into {{db}}._feed_actions_stage
with
    active as (
        select
            {USER_ON_DAY},
            like_rate,
            {hash_key('feed_day', 'user_id', 'day')} as day_hash,
            1 + least({{max_views:UInt32}}, toUInt32(floor(-log(1 - {slice16('day_hash', 2)}) * views_mean))) as n_views,
            toUInt32(pow({slice16('day_hash', 3)}, 0.7) * 82000) as session_start,
            5 + toUInt32({slice16(child('day_hash', '0'), 0)} * 70) as gap
        from {_user_days('messenger_role != 2')}
        where {_is_active(slice32('day_hash', 0))}
    ),
    events as (
        -- Event code j: 2k is the k-th view, 2k + 1 the like that follows it, kept only when
        -- the view's like draw succeeds.  One ARRAY JOIN over the kept codes is much cheaper
        -- than expanding views and then likes.
        select
            *,
            j,
            intDiv(j, 2) as k,
            j % 2 as is_like,
            {child('day_hash', '1 + 2 * k')} as h1,
            {child('day_hash', '2 + 2 * k')} as h2,
            least(86399, session_start + k * gap + toUInt32({slice16('h1', 0)} * gap)) as view_second,
            {_post_from(slice16('h1', 1), slice16('h1', 2))} as viewed_post,
            {slice16('h2', 0)} < {{like_without_view_share:Float64}} as orphan_like,
            if(is_like = 1 and orphan_like, {_post_from(slice16('h2', 1), slice16('h2', 2))}, viewed_post) as post,
            multiIf(
                is_like = 0, view_second,
                orphan_like, toUInt32({slice16('h2', 3)} * 86400),
                least(86399, view_second + 1 + toUInt32({slice16('h2', 3)} * 40))
            ) as second,
            {slice16(child('h2', 'is_like'), 0)} as late_draw
        from active
        array join arrayFilter(
            j -> j % 2 = 0 or {slice16(child('day_hash', '1 + 2 * intDiv(j, 2)'), 3)} < like_rate,
            range(2 * n_views)
        ) as j
    )
select
    user_id,
    post as post_id,
    if(is_like = 1, 'like', 'view') as action,
    toDateTime(day) + second as time,
    gender,
    age,
    day_os as os,
    source,
    country,
    day_city as city,
    exp_group
from events
{KEEP_EVENT}
"""

# Senders write to fixed contacts (slot j of a user is always the same user: a stable sparse
# graph; low slots preferred), who signed up earlier or before the window.  A receiver who
# uses the messenger replies with reply_probability, with the receiver's own attributes;
# receivers who never send (feed-only users) are the receive-only users.
MESSAGES_SQL = f"""
insert into {{db}}._message_actions_stage
with
    senders as (
        select
            {USER_ON_DAY},
            {hash_key('messenger_day', 'user_id', 'day')} as day_hash,
            1 + toUInt32(floor(-log(1 - {slice16('day_hash', 2)}) * {{messages_mean:Float64}})) as n_messages
        from {_user_days('messenger_role in (1, 2)')}
        where {_is_active(slice32('day_hash', 0), "if(messenger_role = 1, {messenger_share_of_feed_days:Float64}, 1.0)")}
    ),
    messages as (
        select
            *,
            k,
            {child('day_hash', 'k')} as h,
            toUInt32(floor({{friends:UInt32}} * pow({slice16('h', 0)}, 2))) as slot,
            greatest(toUInt32(user_id - 1), {{users_before_window:UInt32}}, 1) as pool,
            toUInt32(1 + sipHash64({{seed:UInt64}}, 'friend', user_id, slot) % pool) as friend,
            if(friend = user_id, friend % pool + 1, friend) as receiver,
            toUInt32(pow({slice16('h', 1)}, 0.7) * 86000) as sent_second,
            {slice16('h', 2)} < {{reply_probability:Float64}} as wants_reply
        from senders
        array join range(n_messages) as k
    ),
    with_replier as (
        select
            m.*,
            r.user_id as replier_id,
            r.gender as r_gender,
            r.age as r_age,
            if(r.changes_on <= m.day, r.new_os, r.os) as r_os,
            r.source as r_source,
            r.country as r_country,
            if(r.changes_on <= m.day, r.new_city, r.city) as r_city,
            r.exp_group as r_exp_group
        from messages as m
        left join (select * from {{db}}._users where messenger_role in (1, 2)) as r on r.user_id = m.receiver
    ),
    all_messages as (
        select
            day,
            is_reply,
            if(is_reply = 1, receiver, user_id) as sender_id,
            if(is_reply = 1, user_id, receiver) as receiver_id,
            if(is_reply = 1,
                least(86399, sent_second + 5 + toUInt32({slice16('h', 3)} * {{max_reply_delay:UInt32}})),
                sent_second) as second,
            if(is_reply = 1, r_gender, gender) as sender_gender,
            if(is_reply = 1, r_age, age) as sender_age,
            if(is_reply = 1, r_os, day_os) as sender_os,
            if(is_reply = 1, r_source, source) as sender_source,
            if(is_reply = 1, r_country, country) as sender_country,
            if(is_reply = 1, r_city, day_city) as day_city,
            if(is_reply = 1, r_exp_group, exp_group) as sender_exp_group,
            {slice16(child('h', 'is_reply + 1'), 0)} as late_draw
        from with_replier
        array join range(1 + toUInt8(wants_reply and replier_id != 0)) as is_reply
        where receiver != user_id
    )
select
    toUInt32(sender_id) as user_id,
    toUInt32(receiver_id) as receiver_id,
    toDateTime(day) + second as time,
    sender_gender as gender,
    sender_age as age,
    sender_os as os,
    sender_source as source,
    sender_country as country,
    day_city as city,
    sender_exp_group as exp_group
from all_messages
{KEEP_EVENT}
"""


def batch_params(*, seed: int, start: dt.date, days: list[dt.date], incomplete_day: dt.date,
                 late_share: float, scale: float, users_before_window: int) -> dict:
    feed, messenger, retention = world.FEED, world.MESSENGER, world.RETENTION
    segments = ("organic", "ads", "campaign")
    return {
        "seed": seed,
        "days": list(days),
        "incomplete_day": incomplete_day,
        "late_share": late_share,
        "blackout_day": start + dt.timedelta(days=world.BLACKOUT_DAY_OFFSET),
        "blackout_cities": world.BLACKOUT_CITIES,
        "ret_first": [retention[s]["first"] for s in segments],
        "ret_floor": [retention[s]["floor"] for s in segments],
        "ret_tau": [retention[s]["tau"] for s in segments],
        "ret_fade": [retention[s]["fade"] for s in segments],
        "monday_activity": world.MONDAY_ACTIVITY_FACTOR,
        "max_views": feed["max_views_per_day"],
        "like_without_view_share": feed["like_without_view_share"],
        "posts_per_day": posts_per_day(scale),
        "post_epoch": start - dt.timedelta(days=feed["post_max_age_days"] + 1),
        "post_age_mean": feed["post_age_mean_days"],
        "post_max_age": feed["post_max_age_days"],
        "post_rank_exponent": feed["post_rank_exponent"],
        "messages_mean": messenger["messages_mean"],
        "messenger_share_of_feed_days": messenger["active_share_of_feed_days"],
        "friends": messenger["friends_per_user"],
        "users_before_window": users_before_window,
        "reply_probability": messenger["reply_probability"],
        "max_reply_delay": messenger["max_reply_delay_seconds"],
    }


def posts_per_day(scale: float) -> int:
    return max(1, round(world.FEED["posts_per_day"] * scale))


def bound(sql: str, params: dict) -> dict:
    """The parameters `sql` uses (the HTTP interface passes each one in the URL)."""
    return {name: value for name, value in params.items() if "{" + name + ":" in sql}
