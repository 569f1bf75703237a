"""One module per dashboard panel; PANELS maps each API name to its module."""

from feedstar.dashboard.queries import (
    active_users,
    app_activity,
    experiment_daily,
    experiment_groups,
    experiment_test,
    feed_engagement,
    lifecycle,
    messenger_activity,
    retention,
    top_posts,
    users_by_source,
)

PANELS = {
    module.__name__.rsplit(".", 1)[1]: module
    for module in (
        active_users, app_activity, users_by_source, feed_engagement, top_posts, messenger_activity,
        retention, lifecycle, experiment_daily, experiment_groups, experiment_test,
    )
}
