"""The six pages: which filters each offers and which cards (panel + chart + table) it shows.

A card names a panel (its data comes from `/api/panels/<panel>`) and how to draw it; the
browser only reshapes rows into Chart.js datasets.  Several cards may share one panel.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from feedstar.dashboard.filters import SLICE_FILTERS


@dataclass(frozen=True)
class Card:
    panel: str
    title: str
    chart: dict  # see static/dashboard.js: type = line | bar | stacked | heatmap | errorbar | kpi | table
    columns: tuple[str, ...] = ()  # the data table under the chart; empty = no table
    note: str = ""
    wide: bool = False


@dataclass(frozen=True)
class Page:
    slug: str
    path: str
    title: str
    filters: tuple[str, ...]
    cards: tuple[Card, ...] = field(default_factory=tuple)
    intro: str = ""


DATES = ("date_from", "date_to")
ATTRIBUTES = tuple(name for name in SLICE_FILTERS if name != "exp_group")

PAGES = (
    Page("overview", "/", "Overview", DATES + SLICE_FILTERS, (
        Card("active_users", "Active users on the last day (app)",
             {"type": "kpi", "match": {"service": "app"}, "fields": ["dau", "wau", "mau", "stickiness"]}),
        Card("app_activity", "New users and audience on the last day",
             {"type": "kpi", "fields": ["new_users", "feed_only_users", "messenger_only_users",
                                        "both_services_users"]}),
        Card("active_users", "DAU per service",
             {"type": "line", "x": "date", "y": ["dau"], "series": "service"},
             ("date", "service", "dau", "wau", "mau", "stickiness"), wide=True),
        Card("active_users", "WAU and MAU (app)",
             {"type": "line", "x": "date", "y": ["wau", "mau"], "match": {"service": "app"}}),
        Card("active_users", "Stickiness (DAU / MAU)",
             {"type": "line", "x": "date", "y": ["stickiness"], "series": "service"}),
        Card("app_activity", "Audience split: feed only / messenger only / both",
             {"type": "stacked", "x": "date", "y": ["feed_only_users", "messenger_only_users",
                                                    "both_services_users"]},
             ("date", "total_users", "feed_only_users", "messenger_only_users", "both_services_users",
              "new_users", "receive_only_users")),
        Card("app_activity", "New users", {"type": "bar", "x": "date", "y": ["new_users"]}),
        Card("users_by_source", "Active users by source",
             {"type": "line", "x": "date", "y": ["total_users"], "series": "source"},
             ("date", "source", "total_users", "new_users")),
    ), "DAU, WAU and MAU count distinct users over 1, 7 and 30 days; a slice filter picks that "
       "slice's own distinct count, never a sum."),
    Page("feed", "/feed", "Feed", DATES + ATTRIBUTES, (
        Card("feed_engagement", "Feed on the last day",
             {"type": "kpi", "fields": ["feed_users", "views", "likes", "ctr", "views_per_user",
                                        "avg_view_to_like_seconds"]}),
        Card("feed_engagement", "Views and likes", {"type": "line", "x": "date", "y": ["views", "likes"]},
             ("date", "feed_users", "views", "likes", "ctr", "views_per_user", "avg_view_to_like_seconds"),
             wide=True),
        Card("feed_engagement", "CTR (likes / views)", {"type": "line", "x": "date", "y": ["ctr"]}),
        Card("feed_engagement", "Views per user", {"type": "line", "x": "date", "y": ["views_per_user"]}),
        Card("feed_engagement", "View → like time (seconds)",
             {"type": "line", "x": "date", "y": ["avg_view_to_like_seconds"]},
             note="Mean over users who liked after viewing; shown for all users only."),
        Card("top_posts", "Top posts on the last day",
             {"type": "bar", "x": "post_id", "y": ["views", "likes"], "categorical": True},
             ("post_rank", "post_id", "views", "likes", "unique_viewers", "ctr"), wide=True),
    )),
    Page("messenger", "/messenger", "Messenger", DATES + ATTRIBUTES, (
        Card("messenger_activity", "Messenger on the last day",
             {"type": "kpi", "fields": ["senders", "receivers", "messages_sent", "messages_per_sender",
                                        "connections"]}),
        Card("messenger_activity", "Senders and receivers",
             {"type": "line", "x": "date", "y": ["senders", "receivers", "receive_only_users"]},
             ("date", "senders", "receivers", "receive_only_users", "messages_sent", "messages_received",
              "messages_per_sender", "connections"), wide=True),
        Card("messenger_activity", "Messages sent", {"type": "bar", "x": "date", "y": ["messages_sent"]}),
        Card("messenger_activity", "Messages per sender",
             {"type": "line", "x": "date", "y": ["messages_per_sender"]}),
        Card("messenger_activity", "Connections (sender→receiver pairs; all users only)",
             {"type": "line", "x": "date", "y": ["connections"]}),
    )),
    Page("retention", "/retention", "Retention",
         DATES + ("service", "cohort_period", "retention_mode", "source", "os", "country", "age_bucket",
                  "exp_group"), (
        Card("retention", "Retention by cohort and day",
             {"type": "heatmap", "x": "day_number", "y": "cohort_start", "z": "retention"},
             ("cohort_start", "day_number", "cohort_size", "retained_users", "retention"), wide=True),
    ), "Cohorts whose first day (or Monday-based week) in the service falls in the date range. "
       "Classic: active on day N; rolling: active on day N or later (up to the last day shown)."),
    Page("lifecycle", "/lifecycle", "Lifecycle", DATES + ("service", "period"), (
        Card("lifecycle", "New / returning / resurrecting / dormant users",
             {"type": "stacked", "x": "period_start",
              "y": ["new_users", "returning_users", "resurrecting_users", "dormant_users"],
              "negative": ["dormant_users"]},
             ("period_start", "active_users", "new_users", "returning_users", "resurrecting_users",
              "dormant_users"), wide=True),
    ), "Dormant users (active in the previous period, not in this one) are drawn below zero."),
    Page("experiments", "/experiments", "Experiments", DATES + ("group_a", "group_b"), (
        Card("experiment_groups", "Mean per-user CTR by exp_group (95% CI)",
             {"type": "errorbar", "x": "exp_group", "y": "user_ctr_mean", "low": "ci_low", "high": "ci_high"},
             ("exp_group", "users", "views", "likes", "ctr", "user_ctr_mean", "ci_low", "ci_high")),
        Card("experiment_test", "Test for the chosen pair",
             {"type": "table"},
             ("group_a", "group_b", "users_a", "users_b", "user_ctr_mean_a", "user_ctr_mean_b",
              "t_statistic", "t_test_p_value", "mann_whitney_p_value"), wide=True),
        Card("experiment_daily", "CTR per exp_group and day",
             {"type": "line", "x": "date", "y": ["ctr"], "series": "exp_group"},
             ("date", "exp_group", "users", "views", "likes", "ctr", "user_ctr_mean"), wide=True),
    ), "Per-user CTR = a user's likes / views over the date range; Welch's t-test and Mann-Whitney U "
       "compare group_a with group_b."),
)

PAGES_BY_PATH = {page.path: page for page in PAGES}
