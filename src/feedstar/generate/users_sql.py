"""SQL that builds `_users_stage` (in the source database, `{db}`): every user signed up
from PRE_WINDOW_DAYS before the window's start to its last day, ids given in sign-up order."""

from __future__ import annotations

import datetime as dt

from . import world
from .randomness import exponential, uniform

U = "user_id"

USERS_SQL = f"""
insert into {{db}}._users_stage
with
    signup_days as (
        select
            toDate({{first_signup_day:Date}} + number) as signup_day,
            if(signup_day < {{start:Date}}, {{pre_window_daily:Float64}}, {{daily:Float64}})
                * if(toDayOfWeek(signup_day) = 1, {{monday_factor:Float64}}, 1.0)
                * (1 - {{signup_noise:Float64}} / 2 + {{signup_noise:Float64}} * {uniform('inflow', 'signup_day')}) as expected,
            toUInt32(round(expected)) as regular,
            toUInt32(if(signup_day = {{campaign_day:Date}}, round(expected * {{campaign_extra:Float64}}), 0)) as extra
        from numbers({{signup_day_count:UInt32}})
    ),
    numbered_days as (
        select
            signup_day,
            regular,
            regular + extra as total,
            sum(regular + extra) over (order by signup_day rows between unbounded preceding and current row)
                - (regular + extra) as id_offset
        from signup_days
    ),
    users as (
        select
            toUInt32(id_offset + k + 1) as user_id,
            signup_day,
            toUInt8(k >= regular) as is_campaign
        from numbered_days
        array join range(total) as k
    ),
    placed as (
        select
            *,
            arrayFirstIndex(x -> {uniform('country', U)} < x, {{country_thresholds:Array(Float64)}}) as country_index,
            {{city_thresholds:Array(Array(Float64))}}[country_index] as city_thresholds,
            arrayFirstIndex(x -> {uniform('city', U)} < x, city_thresholds) as city_index,
            length(city_thresholds) as city_count,
            {uniform('change', U)} < {{changer_share:Float64}} as is_changer,
            {uniform('change_what', U)} < {{city_change_share:Float64}} as changes_city,
            ((city_index - 1 + 1 + toUInt32({uniform('new_city', U)} * (city_count - 1))) % city_count) + 1
                as new_city_index,
            if({uniform('os', U)} < {{ios_share:Float64}}, 'iOS', 'Android') as user_os,
            {uniform('role', U)} as role_draw,
            toUInt8(sipHash64({{seed:UInt64}}, 'exp_group', {U}) % {{exp_groups:UInt8}}) as group_id
        from users
    )
select
    user_id,
    signup_day,
    is_campaign,
    toUInt8(multiIf(is_campaign = 1, 0, role_draw < {{messenger_only_share:Float64}}, 2,
        role_draw < {{messenger_only_share:Float64}} + {{messenger_too_share:Float64}}, 1, 0)) as messenger_role,
    toUInt8({uniform('gender', U)} < {{male_share:Float64}}) as gender,
    toUInt8(least({{age_min:UInt8}} + floor({exponential('age', '{age_mean:Float64}', U)}), {{age_max:UInt8}})) as age,
    user_os as os,
    if(is_campaign = 1 or {uniform('source', U)} < {{ads_share:Float64}}, 'ads', 'organic') as source,
    {{countries:Array(String)}}[country_index] as country,
    {{cities:Array(Array(String))}}[country_index][city_index] as city,
    group_id as exp_group,
    if(is_changer, greatest(signup_day + 1, {{start:Date}}) + toUInt32({uniform('change_when', U)} * {{change_within_days:UInt32}}), null)
        as changes_on,
    if(is_changer and not changes_city, if(user_os = 'iOS', 'Android', 'iOS'), user_os) as new_os,
    if(is_changer and changes_city, {{cities:Array(Array(String))}}[country_index][new_city_index], city) as new_city,
    toFloat32(0.4 + 1.2 * {uniform('activity', U)}) as activity,
    toFloat32({{views_mean:Float64}} * (0.3 + 1.4 * {uniform('views', U)})) as views_mean,
    toFloat32({{like_rate:Float64}} * (0.4 + 1.2 * {uniform('likes', U)})
        * if(group_id = {{treated_group:UInt8}}, {{treated_factor:Float64}}, 1.0)) as like_rate
from placed
"""


def users_params(start: dt.date, end: dt.date, scale: float, seed: int) -> dict:
    first_signup_day = start - dt.timedelta(days=world.PRE_WINDOW_DAYS)
    u, feed = world.USERS, world.FEED
    return {
        "seed": seed,
        "start": start,
        "first_signup_day": first_signup_day,
        "signup_day_count": (end - first_signup_day).days + 1,
        "pre_window_daily": u["pre_window_daily_signups"] * scale,
        "daily": u["daily_signups"] * scale,
        "monday_factor": u["monday_signup_factor"],
        "signup_noise": u["signup_noise"],
        "change_within_days": u["change_within_days"],
        "campaign_day": start + dt.timedelta(days=world.CAMPAIGN_DAY_OFFSET),
        "campaign_extra": u["campaign_extra_factor"],
        "changer_share": u["changer_share"],
        "city_change_share": u["city_change_share"],
        "ios_share": u["ios_share"],
        "exp_groups": u["exp_groups"],
        "messenger_only_share": u["messenger_only_share"],
        "messenger_too_share": u["messenger_too_share"],
        "male_share": u["male_share"],
        "age_min": u["age_min"],
        "age_mean": u["age_mean_above_min"],
        "age_max": u["age_max"],
        "ads_share": u["ads_share"],
        "views_mean": feed["views_per_active_day"],
        "like_rate": feed["like_rate"],
        "treated_group": feed["treated_exp_group"],
        "treated_factor": feed["treated_like_factor"],
        **world.geography_params(),
    }
