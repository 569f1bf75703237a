"""SQL that builds one day of `feed_actions` and `message_actions` in their stage tables.

Bound parameters: `seed`, `day`, `complete` (1 = include the day's late events),
`late_share`, the retention table, and the knobs in world.FEED / world.MESSENGER.
"""

from __future__ import annotations

import datetime as dt

from . import world
from .randomness import exponential, uniform

D = "{day:Date}"

# A user's attributes as of {day}: the few who change city or os do so on `changes_on`.
USER_ON_DAY = f"""
    user_id,
    gender,
    age,
    if(changes_on <= {D}, new_os, os) as day_os,
    source,
    country,
    if(changes_on <= {D}, new_city, city) as day_city,
    exp_group"""

# P(active) = activity * (floor + (first - floor) * exp(-age / tau)) [* 0.93 on Mondays]
# [* share]; everyone is active on the sign-up day.  Segment 1 organic, 2 ads, 3 the
# campaign day's users.
def _is_active(tag: str, share: str = "1.0") -> str:
    draw = uniform(tag, "user_id", D)
    p_floor = "{ret_floor:Array(Float64)}[segment]"
    p_first = "{ret_first:Array(Float64)}[segment]"
    decay = f"exp(-({D} - signup_day) / {{ret_tau:Array(Float64)}}[segment])"
    monday = f"if(toDayOfWeek({D}) = 1, {{monday_activity:Float64}}, 1.0)"
    return (f"({D} = signup_day or {draw} < activity * ({p_floor} + ({p_first} - {p_floor}) * {decay})"
            f" * {monday} * {share})")


SEGMENT = "multiIf(is_campaign = 1, 3, source = 'ads', 2, 1) as segment"

# The last filter every event passes: the blackout day silences the big cities, and a
# `late_share` of an incomplete day's events is held back until the next day is generated.
KEEP_EVENT = """
where not ({day:Date} = {blackout_day:Date} and day_city in {blackout_cities:Array(String)})
    and ({complete:UInt8} = 1 or late_draw >= {late_share:Float64})"""


def _post(prefix: str, *keys: str) -> str:
    """A post id: age in days fades exponentially, rank within its day is heavy-tailed."""
    post_age = f"least({{post_max_age:UInt32}}, toUInt32(floor({exponential(prefix + '_age', '{post_age_mean:Float64}', *keys)})))"
    rank = f"toUInt32(floor({{posts_per_day:UInt32}} * pow({uniform(prefix + '_rank', *keys)}, {{post_rank_exponent:Float64}})))"
    return f"toUInt32((({D} - {{post_epoch:Date}}) - {post_age}) * {{posts_per_day:UInt32}} + {rank} + 1)"


VIEW_KEYS = ("user_id", D, "k")

FEED_SQL = f"""
insert into product._feed_actions_stage
with
    active as (
        select
            {USER_ON_DAY},
            views_mean,
            like_rate,
            1 + least({{max_views:UInt32}}, toUInt32(floor({exponential('n_views', 'views_mean', 'user_id', D)}))) as n_views,
            toUInt32(pow({uniform('session', 'user_id', D)}, 0.7) * 82000) as session_start,
            5 + toUInt32({uniform('gap', 'user_id', D)} * 70) as gap
        from (select *, {SEGMENT} from product._users where signup_day <= {D} and messenger_role != 2)
        where {_is_active('feed_active')}
    ),
    views as (
        select
            *,
            k,
            least(86399, session_start + k * gap + toUInt32({uniform('jitter', *VIEW_KEYS)} * gap)) as view_second,
            {_post('post', *VIEW_KEYS)} as viewed_post,
            {uniform('like', *VIEW_KEYS)} < like_rate as liked,
            {uniform('orphan', *VIEW_KEYS)} < {{like_without_view_share:Float64}} as orphan_like
        from active
        array join range(n_views) as k
    ),
    events as (
        select
            *,
            arrayJoin(if(
                liked,
                [
                    (viewed_post, 'view', view_second),
                    if(
                        orphan_like,
                        ({_post('orphan', *VIEW_KEYS)}, 'like', toUInt32({uniform('orphan_time', *VIEW_KEYS)} * 86400)),
                        (viewed_post, 'like', least(86399, view_second + 1 + toUInt32({uniform('like_delay', *VIEW_KEYS)} * 40)))
                    )
                ],
                [(viewed_post, 'view', view_second)]
            )) as event,
            {uniform('late', 'user_id', D, 'k', 'event.2')} as late_draw
        from views
    )
select
    user_id,
    event.1 as post_id,
    event.2 as action,
    toDateTime({D}) + event.3 as time,
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

MESSAGE_KEYS = ("user_id", D, "k")

MESSAGES_SQL = f"""
insert into product._message_actions_stage
with
    senders as (
        select
            {USER_ON_DAY},
            1 + toUInt32(floor({exponential('n_messages', '{messages_mean:Float64}', 'user_id', D)})) as n_messages
        from (select *, {SEGMENT} from product._users where signup_day <= {D} and messenger_role in (1, 2))
        where {_is_active('messenger_active', "if(messenger_role = 1, {messenger_share_of_feed_days:Float64}, 1.0)")}
    ),
    messages as (
        select
            *,
            k,
            -- The stable graph: sender's contact slot j (low slots preferred) is a fixed user
            -- who signed up earlier, or anyone from before the window.
            toUInt32(floor({{friends:UInt32}} * pow({uniform('slot', *MESSAGE_KEYS)}, 2))) as slot,
            greatest(toUInt32(user_id - 1), {{users_before_window:UInt32}}, 1) as pool,
            toUInt32(1 + sipHash64({{seed:UInt64}}, 'friend', user_id, slot) % pool) as friend,
            if(friend = user_id, friend % pool + 1, friend) as receiver_id,
            toUInt32(pow({uniform('message_time', *MESSAGE_KEYS)}, 0.7) * 86000) as second,
            {uniform('reply', *MESSAGE_KEYS)} < {{reply_probability:Float64}} as wants_reply
        from senders
        array join range(n_messages) as k
    ),
    repliers as (
        select {USER_ON_DAY}
        from product._users
        where signup_day <= {D} and messenger_role in (1, 2)
    ),
    all_messages as (
        select
            user_id, receiver_id, second, gender, age, day_os, source, country, day_city, exp_group,
            k, 0 as is_reply
        from messages
        union all
        select
            r.user_id as user_id,
            m.user_id as receiver_id,
            least(86399, m.second + 5 + toUInt32({uniform('reply_delay', 'm.user_id', D, 'm.k')}
                * {{max_reply_delay:UInt32}})) as second,
            r.gender, r.age, r.day_os, r.source, r.country, r.day_city, r.exp_group,
            m.k as k,
            1 as is_reply
        from messages as m
        inner join repliers as r on r.user_id = m.receiver_id
        where m.wants_reply
    ),
    marked as (
        select *, {uniform('late_message', 'user_id', 'receiver_id', D, 'k', 'is_reply')} as late_draw
        from all_messages
        where receiver_id != user_id
    )
select
    toUInt32(user_id) as user_id,
    toUInt32(receiver_id) as receiver_id,
    toDateTime({D}) + second as time,
    gender,
    age,
    day_os as os,
    source,
    country,
    day_city as city,
    exp_group
from marked
{KEEP_EVENT}
"""


def day_params(*, seed: int, start: dt.date, day: dt.date, complete: bool, late_share: float,
               scale: float, users_before_window: int) -> dict:
    feed, messenger, retention = world.FEED, world.MESSENGER, world.RETENTION
    segments = ("organic", "ads", "campaign")
    return {
        "seed": seed,
        "day": day,
        "complete": int(complete),
        "late_share": late_share,
        "blackout_day": start + dt.timedelta(days=world.BLACKOUT_DAY_OFFSET),
        "blackout_cities": world.BLACKOUT_CITIES,
        "ret_first": [retention[s]["first"] for s in segments],
        "ret_floor": [retention[s]["floor"] for s in segments],
        "ret_tau": [retention[s]["tau"] for s in segments],
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


def feed_params(params: dict) -> dict:
    """The subset FEED_SQL binds (the HTTP interface rejects nothing, but keep URLs short)."""
    return {k: v for k, v in params.items() if "{" + k + ":" in FEED_SQL}


def messages_params(params: dict) -> dict:
    return {k: v for k, v in params.items() if "{" + k + ":" in MESSAGES_SQL}
