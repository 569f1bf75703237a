"""The fixed shape of the synthetic world: who the users are and how they behave.

Every number the generator uses lives here, in one table per concern, so the README's
realism table and the tests can point at one place.  Rates are per scale 1 (about 20k feed
DAU); `--scale X` multiplies user inflow and posts, never behaviour.
"""

from __future__ import annotations

# Countries, their share of users, and their cities with each city's share of the country.
# Mostly Russia, like the public copies of the seed's data set; every country has at least
# two cities so a user who moves can move within the country.
GEOGRAPHY = {
    "Russia": (0.850, {
        "Moscow": 0.22, "Saint Petersburg": 0.11, "Novosibirsk": 0.05, "Yekaterinburg": 0.05,
        "Kazan": 0.04, "Nizhny Novgorod": 0.04, "Chelyabinsk": 0.04, "Samara": 0.04, "Omsk": 0.035,
        "Rostov": 0.035, "Ufa": 0.035, "Krasnoyarsk": 0.03, "Voronezh": 0.03, "Perm": 0.03,
        "Volgograd": 0.03, "Krasnodar": 0.03, "Saratov": 0.025, "Tyumen": 0.025, "Tomsk": 0.02,
        "Irkutsk": 0.02, "Yaroslavl": 0.02, "Vladivostok": 0.02, "Kaliningrad": 0.02, "Sochi": 0.02,
    }),
    "Ukraine": (0.040, {"Kyiv": 0.45, "Kharkiv": 0.25, "Odesa": 0.18, "Lviv": 0.12}),
    "Belarus": (0.030, {"Minsk": 0.6, "Gomel": 0.2, "Brest": 0.2}),
    "Kazakhstan": (0.030, {"Almaty": 0.5, "Astana": 0.35, "Shymkent": 0.15}),
    "Azerbaijan": (0.015, {"Baku": 0.8, "Ganja": 0.2}),
    "Finland": (0.010, {"Helsinki": 0.6, "Tampere": 0.2, "Turku": 0.2}),
    "Turkey": (0.010, {"Istanbul": 0.6, "Ankara": 0.25, "Antalya": 0.15}),
    "Switzerland": (0.005, {"Zurich": 0.5, "Geneva": 0.3, "Bern": 0.2}),
    "Cyprus": (0.005, {"Limassol": 0.6, "Nicosia": 0.4}),
    "Latvia": (0.005, {"Riga": 0.8, "Daugavpils": 0.2}),
}

# The big cities that send no events at all on the blackout day.
BLACKOUT_CITIES = ["Moscow", "Saint Petersburg", "Novosibirsk", "Yekaterinburg"]

# Special days, as offsets from --start, so a short window (e.g. --days 21) contains both.
CAMPAIGN_DAY_OFFSET = 20   # the 21st day: an ad campaign brings extra, poorly retaining users
BLACKOUT_DAY_OFFSET = 14   # the 15th day: BLACKOUT_CITIES are silent

# Users who signed up before the window, so day one already has a returning audience.
PRE_WINDOW_DAYS = 90

USERS = {
    "pre_window_daily_signups": 1000.0,  # per day, before --start
    "daily_signups": 1000.0,             # per day, inside the window
    "signup_noise": 0.16,                # daily sign-ups vary by +-8% around the expectation
    "monday_signup_factor": 0.65,        # fewer new users on Mondays
    # Campaign day: 1 + 3.6 = 4.6x the usual sign-ups.  Users who signed up before the window
    # and show up for the first time also look "new" in the data, so the first-seen count an
    # analyst measures on that day is ~3.5x that of a usual day.
    "campaign_extra_factor": 3.6,
    "male_share": 0.55,
    "ios_share": 1.0 / 3.0,
    "ads_share": 0.45,                   # of ordinary sign-ups; campaign users are all ads
    "messenger_only_share": 0.06,        # never use the feed
    "messenger_too_share": 0.30,         # use the feed and the messenger
    "changer_share": 0.05,               # move to another city or switch os once ...
    "change_within_days": 60,            # ... within 60 days of sign-up or of --start
    "city_change_share": 0.7,            # of changers; the rest switch os
    "age_min": 14,
    "age_mean_above_min": 11.0,          # exponential: skewed young, a thin 60+ tail
    "age_max": 80,
    "exp_groups": 5,
}

# Retention: P(active on day signup+a) =
#     activity * (floor * exp(-a / fade) + (first - floor) * exp(-a / tau))
# a quick early drop (tau) to a plateau that itself fades slowly (fade), activity being a
# per-user propensity with mean 1.  Everyone is active on the sign-up day.  Tuned so that
# feed DAU is about 19k on the first day and 23k on the 60th at scale 1.
RETENTION = {
    "organic": {"first": 0.65, "floor": 0.45, "tau": 10.0, "fade": 90.0},
    "ads": {"first": 0.50, "floor": 0.20, "tau": 5.0, "fade": 45.0},
    "campaign": {"first": 0.30, "floor": 0.03, "tau": 2.0, "fade": 20.0},
}
MONDAY_ACTIVITY_FACTOR = 0.93

FEED = {
    "views_per_active_day": 34.0,   # mean of a per-user mean, geometric around it
    "max_views_per_day": 400,
    "like_rate": 0.20,              # mean per-user like probability per view (CTR)
    "treated_exp_group": 2,         # this group's like rate is shifted ...
    "treated_like_factor": 1.10,    # ... by this factor: an A/B test has something to find
    "like_without_view_share": 0.04,  # likes of a post the user did not view that day
    "posts_per_day": 150.0,
    "post_age_mean_days": 2.5,      # views of a post fade with its age ...
    "post_max_age_days": 29,
    "post_rank_exponent": 2.5,      # ... and concentrate on few popular posts (heavy tail)
}

MESSENGER = {
    "active_share_of_feed_days": 0.7,  # feed+messenger users send on 70% of their active days
    "messages_mean": 3.0,              # geometric: 1 + Exp(mean)
    "friends_per_user": 6,             # the stable sparse graph: each sender's fixed contacts
    "reply_probability": 0.55,         # when the receiver uses the messenger
    "max_reply_delay_seconds": 600,
}


def geography_params() -> dict:
    """Cumulative thresholds for picking a country then a city by a uniform draw in [0, 1)."""
    countries = list(GEOGRAPHY)
    shares = [GEOGRAPHY[c][0] for c in countries]
    cities = [list(GEOGRAPHY[c][1]) for c in countries]
    city_shares = [list(GEOGRAPHY[c][1].values()) for c in countries]
    return {
        "countries": countries,
        "country_thresholds": _thresholds(shares),
        "cities": cities,
        "city_thresholds": [_thresholds(s) for s in city_shares],
    }


def _thresholds(shares: list[float]) -> list[float]:
    # Cumulative share normalised to 1; the last threshold is 2 so a draw of 0.99999 always
    # finds a bucket despite floating-point rounding.
    total = sum(shares)
    out, running = [], 0.0
    for share in shares:
        running += share / total
        out.append(running)
    out[-1] = 2.0
    return out
