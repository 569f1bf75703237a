"""Each realism property of `feedstar generate`, measured on the generated tables with SQL
written here (not the generator's), within tolerances.

One data set for the module: scale 0.1 (~2k feed DAU), 28 days from Thursday 2025-03-06,
so the blackout day is 2025-03-20 (day 15), the campaign day 2025-03-26 (day 21), and the
Mondays 2025-03-24 and 2025-03-31 have both neighbours in the window.  Per-day counts are
divided by the scale to compare with the scale-1 targets.
"""

import datetime as dt
import statistics

import pytest

from feedstar.generate import run
from feedstar.generate.options import make_plan

SCALE = 0.1
START = dt.date(2025, 3, 6)
BLACKOUT_DAY = dt.date(2025, 3, 20)
CAMPAIGN_DAY = dt.date(2025, 3, 26)
BIG_CITIES = ("Moscow", "Saint Petersburg", "Novosibirsk", "Yekaterinburg")

# Every event of either table with the acting user's attributes.
ALL_EVENTS = """(
    select user_id, time, gender, age, os, source, country, city, exp_group from product.feed_actions
    union all
    select user_id, time, gender, age, os, source, country, city, exp_group from product.message_actions
)"""


@pytest.fixture(scope="module")
def client(endpoint):
    client = endpoint.client()
    run.generate(client, make_plan(start=START, days=28, scale=SCALE, seed=0), progress=False)
    return client


def one(client, sql, **params):
    return client.query(sql, parameters=params).result_rows[0]


def rows(client, sql, **params):
    return client.query(sql, parameters=params).result_rows


def test_user_attributes(client):
    users, male, ios, russia, countries, youngest, median_age, over_60 = one(client, f"""
        select count(), avg(gender), avg(os = 'iOS'), avg(country = 'Russia'), uniqExact(country),
               min(age), median(age), avg(age >= 60)
        from (select user_id, any(gender) as gender, any(os) as os, any(country) as country, any(age) as age
              from {ALL_EVENTS} group by user_id)""")
    assert users > 5000
    assert 0.52 < male < 0.58
    assert 0.30 < ios < 0.37
    assert 0.80 < russia < 0.90 and countries >= 5
    assert youngest == 14 and 18 <= median_age <= 30 and 0.003 < over_60 < 0.04


def test_each_city_lies_in_one_country(client):
    pairs = rows(client, f"select city, uniqExact(country) from {ALL_EVENTS} group by city")
    assert all(countries == 1 for _, countries in pairs)
    assert one(client, "select uniqExact(city) from product.feed_actions where country = 'Russia'")[0] >= 10


def test_exp_groups_are_even_and_fixed(client):
    shares = rows(client, "select exp_group, count() / (select uniqExact(user_id) from product.feed_actions)"
                          " from (select distinct user_id, exp_group from product.feed_actions)"
                          " group by exp_group order by exp_group")
    assert [group for group, _ in shares] == [0, 1, 2, 3, 4]
    assert all(0.17 < share < 0.23 for _, share in shares)


def test_attributes_are_fixed_except_a_few_changing_city_or_os(client):
    users, changers, others = one(client, f"""
        select count(), countIf(cities > 1 or oses > 1), countIf(fixed > 5)
        from (select user_id, uniqExact(city) as cities, uniqExact(os) as oses,
                     uniqExact(gender) + uniqExact(age) + uniqExact(source) + uniqExact(country)
                         + uniqExact(exp_group) as fixed
              from {ALL_EVENTS} group by user_id)""")
    assert others == 0
    assert 0.003 < changers / users < 0.06


def first_seen_per_day(client) -> dict:
    return dict(rows(client, f"""
        select first_day, count() from (select user_id, min(toDate(time)) as first_day from {ALL_EVENTS} group by user_id)
        group by first_day order by first_day"""))


def test_fewer_new_users_on_mondays(client):
    new = first_seen_per_day(client)
    for monday in (dt.date(2025, 3, 24), dt.date(2025, 3, 31)):
        assert monday.isoweekday() == 1
        neighbours = (new[monday - dt.timedelta(1)] + new[monday + dt.timedelta(1)]) / 2
        assert new[monday] < 0.85 * neighbours, (monday, new[monday], neighbours)


def test_campaign_day_brings_three_to_four_times_the_new_users(client):
    new = first_seen_per_day(client)
    usual = statistics.mean(new[CAMPAIGN_DAY + dt.timedelta(d)] for d in (-5, -4, -3, 2, 3, 4))
    assert 3.0 <= new[CAMPAIGN_DAY] / usual <= 4.0


def retention(client, cohort_days, source, lag) -> float:
    """Share of the users who signed up on `cohort_days` with `source` and are active `lag`
    days later (active = viewed, liked or sent a message).

    Sign-ups are told from returning users seen for the first time by their id: ids are
    given in sign-up order (auto-increment), so a user first seen on D whose id is above
    every id first seen on the window's first day signed up on D.  Users from before the
    window who show up late are mostly the least active ones and would flatten the curves.
    """
    return one(client, f"""
        with firsts as (
            select user_id, min(toDate(time)) as first_day, any(source) as source from {ALL_EVENTS} group by user_id
        ),
        signups as (
            select * from firsts
            where user_id > (select max(user_id) from firsts where first_day = {{start:Date}})
        ),
        activity as (select distinct user_id, toDate(time) as day from {ALL_EVENTS})
        select avg((s.user_id, s.first_day + {{lag:UInt32}}) in (select user_id, day from activity))
        from signups as s
        where s.first_day in {{days:Array(Date)}} and s.source = {{source:String}}""",
        start=START, lag=lag, days=cohort_days, source=source)[0]


COHORTS = [START + dt.timedelta(d) for d in range(1, 9)]  # 8 daily cohorts, followed for 10 days


def test_retention_decays_with_age_and_organic_retains_better_than_ads(client):
    organic = [retention(client, COHORTS, "organic", lag) for lag in (1, 4, 10)]
    ads = [retention(client, COHORTS, "ads", lag) for lag in (1, 4, 10)]
    assert organic[0] > organic[1] > organic[2], organic
    assert ads[0] > ads[1] > ads[2], ads
    assert all(o > 1.25 * a for o, a in zip(organic, ads)), (organic, ads)
    assert organic[2] > 1.6 * ads[2], (organic, ads)


def test_campaign_users_retain_poorly(client):
    campaign = retention(client, [CAMPAIGN_DAY], "ads", 3)
    usual_ads = retention(client, COHORTS, "ads", 3)
    assert campaign < 0.6 * usual_ads, (campaign, usual_ads)


def test_big_cities_are_silent_on_the_blackout_day(client):
    shares = dict(rows(client, f"""
        select toDate(time) as day, avg(city in {BIG_CITIES}) from {ALL_EVENTS}
        where day between {{before:Date}} and {{after:Date}} group by day""",
        before=BLACKOUT_DAY - dt.timedelta(1), after=BLACKOUT_DAY + dt.timedelta(1)))
    assert shares[BLACKOUT_DAY] == 0
    assert shares[BLACKOUT_DAY - dt.timedelta(1)] > 0.25 and shares[BLACKOUT_DAY + dt.timedelta(1)] > 0.25


def test_feed_volume_and_ctr_at_scale_one(client):
    days = rows(client, """
        select toDate(time) as day, uniqExact(user_id), countIf(action = 'view'), countIf(action = 'like')
        from product.feed_actions where day != {blackout:Date} group by day""", blackout=BLACKOUT_DAY)
    for day, dau, views, likes in days:
        assert 15_000 < dau / SCALE < 25_000, day
        assert 500_000 < views / SCALE < 900_000, day
        assert 0.18 < likes / views < 0.23, day


def test_posts_are_heavy_tailed_and_fade_with_age(client):
    top_share = one(client, """
        select avg(top_share) from (
            select arraySum(arraySlice(arrayReverseSort(groupArray(views)), 1, toUInt32(ceil(count() / 100))))
                / sum(views) as top_share
            from (select toDate(time) as day, post_id, count() as views from product.feed_actions
                  where action = 'view' group by day, post_id)
            group by day)""")[0]
    assert top_share > 0.15  # the top 1% of a day's posts get over 15% of its views
    by_age = dict(rows(client, """
        with firsts as (select post_id, min(toDate(time)) as first_day from product.feed_actions group by post_id),
        per_day as (select post_id, toDate(time) as day, count() as views from product.feed_actions
                    where action = 'view' group by post_id, day)
        select day - first_day as age, avg(views) from per_day inner join firsts using (post_id)
        where first_day >= {since:Date} group by age""", since=START + dt.timedelta(7)))
    assert by_age[0] > by_age[1] > by_age[2] > by_age[5] and by_age[0] > 3 * by_age[5]


def test_most_likes_follow_a_same_day_view_of_the_post(client):
    share = one(client, """
        with likes as (select user_id, post_id, time from product.feed_actions where action = 'like'),
        views as (select user_id, post_id, toDate(time) as day, min(time) as first_view
                  from product.feed_actions where action = 'view' group by user_id, post_id, day)
        select avg(v.user_id != 0 and v.first_view <= l.time)
        from likes as l left join views as v
            on v.user_id = l.user_id and v.post_id = l.post_id and v.day = toDate(l.time)""")[0]
    assert 0.90 < share < 0.99


def test_one_exp_group_has_a_higher_ctr(client):
    ctr = dict(rows(client, "select exp_group, countIf(action = 'like') / countIf(action = 'view')"
                            " from product.feed_actions group by exp_group"))
    others = statistics.mean(v for g, v in ctr.items() if g != 2)
    assert max(ctr, key=ctr.get) == 2
    assert 1.04 < ctr[2] / others < 1.16


def test_messenger_audience_graph_and_replies(client):
    messenger_dau, feed_dau = one(client, """
        select (select avg(c) from (select uniqExact(user_id) as c from product.message_actions group by toDate(time))),
               (select avg(c) from (select uniqExact(user_id) as c from product.feed_actions group by toDate(time)))""")
    assert 0.2 < messenger_dau / feed_dau < 0.6
    senders, messenger_only = one(client, """
        select count(), countIf(user_id not in (select user_id from product.feed_actions))
        from (select distinct user_id from product.message_actions)""")
    assert 0.05 < messenger_only / senders < 0.4
    receive_only = one(client, """
        select avg(receiver_id not in (select user_id from product.message_actions))
        from (select distinct receiver_id from product.message_actions)""")[0]
    assert receive_only > 0.3
    reciprocated = one(client, """
        with pairs as (select distinct user_id as a, receiver_id as b from product.message_actions)
        select avg((b, a) in (select a, b from pairs)) from pairs""")[0]
    assert reciprocated > 0.3
    contacts, messages = one(client, """
        select avg(contacts), avg(messages) from (
            select user_id, uniqExact(receiver_id) as contacts, count() as messages from product.message_actions
            group by user_id having uniqExact(toDate(time)) >= 5)""")
    assert contacts < 0.5 * messages  # a stable, sparse set of contacts, written to again and again


def test_user_ids_reach_about_155k_at_the_default_scale(client):
    # Only the users table (not the events) of the default data set: 60 days at scale 1.
    users = run._build_users(client, make_plan(start=START, days=60, scale=1.0, seed=0))
    assert 140_000 < users < 170_000
    assert one(client, "select max(user_id), uniqExact(user_id) from product._users") == (users, users)
