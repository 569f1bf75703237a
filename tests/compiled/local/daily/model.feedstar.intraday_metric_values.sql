create or replace view `analytics`.`intraday_metric_values`
  as (
-- intraday_slot_metrics, one row per metric: what the alert rules read.  `slice` is 'all',
-- 'os=<value>' or 'source=<value>'; `volume` is what min_volume is compared with for a ratio
-- (CTR: the slot's views), NULL for a count (the rule then uses the band's center).
select
    date,
    slot_start,
    slot,
    slice_kind,
    slice_value,
    if(slice_kind = 'all', 'all', slice_kind || '=' || slice_value) as slice,
    m.1 as metric,
    m.2 as value,
    m.3 as volume
from `analytics`.`intraday_slot_metrics`
array join [
    ('active_users', toNullable(toFloat64(active_users)), toNullable(toFloat64(null))),
    ('feed_users', toFloat64(feed_users), null),
    ('feed_views', toFloat64(feed_views), null),
    ('likes', toFloat64(likes), null),
    ('ctr', ctr, toFloat64(feed_views)),
    ('messages', toFloat64(messages), null),
    ('senders', toFloat64(senders), null)
] as m
  )
                    -- end_of_sql
;
