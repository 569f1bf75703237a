create table `analytics`.`intraday_alert_bands__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by ((date, rule_id, slice, slot_start))
        partition by (date)
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
-- noqa: disable=AL09,LT02,LT09,LT14,ST05,ST09,RF02,PRS
-- For every slot, metric value and alert rule (seeds/alert_rules.csv) that applies to its
-- slice: the expected band from the rule's history, whether the value falls outside it,
-- and why.  The methods (intraday.yml documents them):
--   sigma  window = the previous N slots ('3h' = 12 slots, '45m' = 3):
--          band = mean +/- threshold * sample standard deviation (at least 4 points)
--   iqr    window = the same slot on the previous N days ('7d') or on the same weekday of
--          the previous N weeks ('4w'), each value scaled by the ratio of the 2 hours before
--          the slot today to the same 2 hours that day (the app grows, a day can be quieter:
--          the band follows today's level; unscaled where a level is 0 or missing):
--          band = [Q1 - threshold * IQR, Q3 + threshold * IQR] of the scaled values,
--          quartiles interpolated linearly (numpy's default; at least 3 points); center = median
-- A value outside its band is an anomaly only if it also differs from the center by at least
-- min_change (relative), lies on the side the rule watches (direction: below, above, both),
-- and the rule's volume (a ratio: its denominator; a count: the
-- band's center) reaches min_volume.
with rules as (
    select
        rule_id,
        metric,
        slice,
        method,
        window,
        toFloat64(threshold) as threshold,
        toFloat64(min_volume) as min_volume,
        toFloat64(min_change) as min_change,
        severity,
        coalesce(nullIf(direction, ''), 'both') as watched,
        toUInt32OrZero(extract(window, '^([0-9]+)[mhdw]$')) as window_n,
        extract(window, '[mhdw]$') as window_unit
    from `analytics`.`alert_rules`
),
checked_rules as (
    -- the seed's tests name the bad rule; this keeps a `dbt run` without tests from
    -- silently skipping it
    select
        *,
        throwIf(
            metric not in ('active_users', 'feed_users', 'feed_views', 'likes', 'ctr', 'messages', 'senders')
            or method not in ('sigma', 'iqr')
            or window_n = 0
            or (method = 'sigma' and window_unit not in ('m', 'h'))
            or (method = 'iqr' and window_unit not in ('d', 'w'))
            or not match(slice, '^(all|os|source|os=.+|source=.+)$'),
            'alert_rules: a rule has an unknown metric, method, slice or window: run `dbt test --select alert_rules`'
        ) as bad
    from rules
),
metric_values as (
    select *
    from `analytics`.`intraday_metric_values`
    where date between toDate('2025-03-02') - 1 - 36 and toDate('2025-03-02')
),
with_level as (
    -- level: the metric summed over the 8 slots (2 hours) before this one
    select
        *,
        groupArrayIf(assumeNotNull(value), value is not null) over recent_slots as recent,
        sumIf(assumeNotNull(value), value is not null) over two_hours_before as level
    from metric_values
    window
        recent_slots as (partition by metric, slice order by slot_start rows between 96 preceding and 1 preceding),
        two_hours_before as (partition by metric, slice order by toUInt32(slot_start) range between 7200 preceding and 1 preceding)
),
with_history as (
    select
        *,
        groupArrayIf((date, assumeNotNull(value), level), value is not null) over same_slot_days as same_slot
    from with_level
    window same_slot_days as (partition by metric, slice, slot order by toUInt32(date) range between 35 preceding and 1 preceding)
),
evaluated as (
    select
        v.date as date,
        v.slot_start as slot_start,
        v.slot as slot,
        v.metric as metric,
        v.slice as slice,
        v.value as value,
        v.volume as volume,
        r.rule_id as rule_id,
        r.method as method,
        r.window as window,
        r.threshold as threshold,
        r.min_volume as min_volume,
        r.min_change as min_change,
        r.severity as severity,
        r.watched as watched,
        if(r.method = 'sigma',
            arraySlice(v.recent, greatest(1, toInt64(length(v.recent)) - toInt64(if(r.window_unit = 'h', 4 * r.window_n, intDiv(r.window_n, 15))) + 1)),
            arrayMap(x -> if(x.3 > 0 and v.level > 0, x.2 * v.level / x.3, x.2), arrayFilter(
                x -> (v.date - x.1) <= if(r.window_unit = 'w', 7 * r.window_n, r.window_n)
                    and (r.window_unit = 'd' or (v.date - x.1) % 7 = 0),
                v.same_slot))) as history,
        if(r.method = 'sigma', 4, 3) as min_points
    from with_history as v
    inner join checked_rules as r
        on r.metric = v.metric and (r.slice = v.slice or r.slice = v.slice_kind)
    where v.date between toDate('2025-03-02') - 1 and toDate('2025-03-02') and r.bad = 0
),
bands as (
    select
        *,
        length(history) as history_points,
        arrayReduce('quantilesExactInclusive(0.25, 0.5, 0.75)', history) as quartiles,
        if(method = 'sigma', arrayAvg(history), quartiles[2]) as center,
        if(method = 'sigma', arrayReduce('stddevSamp', history), quartiles[3] - quartiles[1]) as spread,
        if(method = 'sigma', center - threshold * spread, quartiles[1] - threshold * spread) as lower,
        if(method = 'sigma', center + threshold * spread, quartiles[3] + threshold * spread) as upper,
        coalesce(volume, center) as volume_checked
    from evaluated
),
judged as (
    select
        *,
        multiIf(
            history_points < min_points, 'not_evaluated',
            value is null, 'not_evaluated',
            volume_checked < min_volume, 'not_evaluated',
            ((value < lower and watched != 'above') or (value > upper and watched != 'below'))
                and abs(value - center) >= min_change * abs(center), 'outside',
            'inside') as status,
        multiIf(value < lower, 'below', value > upper, 'above', '') as direction,
        if(center = 0, null, (value - center) / abs(center)) as change
    from bands
)
select
    date,
    slot_start,
    slot,
    metric,
    slice,
    rule_id,
    method,
    window,
    threshold,
    severity,
    value,
    center,
    lower,
    upper,
    history_points,
    status,
    toUInt8(status = 'outside') as is_outside,
    if(status = 'outside', direction, '') as direction,
    change,
    multiIf(
        history_points < min_points,
            'not evaluated: ' || toString(history_points) || ' history point(s), the rule needs ' || toString(min_points),
        value is null, 'not evaluated: no value (no views for a CTR)',
        volume_checked < min_volume,
            'not evaluated: volume ' || toString(round(volume_checked, 1)) || ' < min_volume ' || toString(min_volume),
        status = 'outside',
            metric || ' ' || toString(round(value, 4)) || ' is ' || direction || ' the band ['
            || toString(round(lower, 4)) || ', ' || toString(round(upper, 4)) || '] ('
            || if(method = 'sigma',
                  'mean +/- ' || toString(threshold) || ' sd of the previous ' || toString(history_points) || ' slots',
                  'Q1 - ' || toString(threshold) || ' IQR .. Q3 + ' || toString(threshold) || ' IQR of the same slot on '
                  || toString(history_points) || if(window like '%w', ' previous same weekdays', ' previous days'))
            || '); ' || if(change >= 0, '+', '') || toString(round(100 * change, 1)) || '% vs ' || toString(round(center, 4)),
        '') as reason
from judged
          )
;
insert into `analytics`.`intraday_alert_bands__dbt_new_data_<invocation>`
-- noqa: disable=AL09,LT02,LT09,LT14,ST05,ST09,RF02,PRS
-- For every slot, metric value and alert rule (seeds/alert_rules.csv) that applies to its
-- slice: the expected band from the rule's history, whether the value falls outside it,
-- and why.  The methods (intraday.yml documents them):
--   sigma  window = the previous N slots ('3h' = 12 slots, '45m' = 3):
--          band = mean +/- threshold * sample standard deviation (at least 4 points)
--   iqr    window = the same slot on the previous N days ('7d') or on the same weekday of
--          the previous N weeks ('4w'), each value scaled by the ratio of the 2 hours before
--          the slot today to the same 2 hours that day (the app grows, a day can be quieter:
--          the band follows today's level; unscaled where a level is 0 or missing):
--          band = [Q1 - threshold * IQR, Q3 + threshold * IQR] of the scaled values,
--          quartiles interpolated linearly (numpy's default; at least 3 points); center = median
-- A value outside its band is an anomaly only if it also differs from the center by at least
-- min_change (relative), lies on the side the rule watches (direction: below, above, both),
-- and the rule's volume (a ratio: its denominator; a count: the
-- band's center) reaches min_volume.
with rules as (
    select
        rule_id,
        metric,
        slice,
        method,
        window,
        toFloat64(threshold) as threshold,
        toFloat64(min_volume) as min_volume,
        toFloat64(min_change) as min_change,
        severity,
        coalesce(nullIf(direction, ''), 'both') as watched,
        toUInt32OrZero(extract(window, '^([0-9]+)[mhdw]$')) as window_n,
        extract(window, '[mhdw]$') as window_unit
    from `analytics`.`alert_rules`
),
checked_rules as (
    -- the seed's tests name the bad rule; this keeps a `dbt run` without tests from
    -- silently skipping it
    select
        *,
        throwIf(
            metric not in ('active_users', 'feed_users', 'feed_views', 'likes', 'ctr', 'messages', 'senders')
            or method not in ('sigma', 'iqr')
            or window_n = 0
            or (method = 'sigma' and window_unit not in ('m', 'h'))
            or (method = 'iqr' and window_unit not in ('d', 'w'))
            or not match(slice, '^(all|os|source|os=.+|source=.+)$'),
            'alert_rules: a rule has an unknown metric, method, slice or window: run `dbt test --select alert_rules`'
        ) as bad
    from rules
),
metric_values as (
    select *
    from `analytics`.`intraday_metric_values`
    where date between toDate('2025-03-02') - 1 - 36 and toDate('2025-03-02')
),
with_level as (
    -- level: the metric summed over the 8 slots (2 hours) before this one
    select
        *,
        groupArrayIf(assumeNotNull(value), value is not null) over recent_slots as recent,
        sumIf(assumeNotNull(value), value is not null) over two_hours_before as level
    from metric_values
    window
        recent_slots as (partition by metric, slice order by slot_start rows between 96 preceding and 1 preceding),
        two_hours_before as (partition by metric, slice order by toUInt32(slot_start) range between 7200 preceding and 1 preceding)
),
with_history as (
    select
        *,
        groupArrayIf((date, assumeNotNull(value), level), value is not null) over same_slot_days as same_slot
    from with_level
    window same_slot_days as (partition by metric, slice, slot order by toUInt32(date) range between 35 preceding and 1 preceding)
),
evaluated as (
    select
        v.date as date,
        v.slot_start as slot_start,
        v.slot as slot,
        v.metric as metric,
        v.slice as slice,
        v.value as value,
        v.volume as volume,
        r.rule_id as rule_id,
        r.method as method,
        r.window as window,
        r.threshold as threshold,
        r.min_volume as min_volume,
        r.min_change as min_change,
        r.severity as severity,
        r.watched as watched,
        if(r.method = 'sigma',
            arraySlice(v.recent, greatest(1, toInt64(length(v.recent)) - toInt64(if(r.window_unit = 'h', 4 * r.window_n, intDiv(r.window_n, 15))) + 1)),
            arrayMap(x -> if(x.3 > 0 and v.level > 0, x.2 * v.level / x.3, x.2), arrayFilter(
                x -> (v.date - x.1) <= if(r.window_unit = 'w', 7 * r.window_n, r.window_n)
                    and (r.window_unit = 'd' or (v.date - x.1) % 7 = 0),
                v.same_slot))) as history,
        if(r.method = 'sigma', 4, 3) as min_points
    from with_history as v
    inner join checked_rules as r
        on r.metric = v.metric and (r.slice = v.slice or r.slice = v.slice_kind)
    where v.date between toDate('2025-03-02') - 1 and toDate('2025-03-02') and r.bad = 0
),
bands as (
    select
        *,
        length(history) as history_points,
        arrayReduce('quantilesExactInclusive(0.25, 0.5, 0.75)', history) as quartiles,
        if(method = 'sigma', arrayAvg(history), quartiles[2]) as center,
        if(method = 'sigma', arrayReduce('stddevSamp', history), quartiles[3] - quartiles[1]) as spread,
        if(method = 'sigma', center - threshold * spread, quartiles[1] - threshold * spread) as lower,
        if(method = 'sigma', center + threshold * spread, quartiles[3] + threshold * spread) as upper,
        coalesce(volume, center) as volume_checked
    from evaluated
),
judged as (
    select
        *,
        multiIf(
            history_points < min_points, 'not_evaluated',
            value is null, 'not_evaluated',
            volume_checked < min_volume, 'not_evaluated',
            ((value < lower and watched != 'above') or (value > upper and watched != 'below'))
                and abs(value - center) >= min_change * abs(center), 'outside',
            'inside') as status,
        multiIf(value < lower, 'below', value > upper, 'above', '') as direction,
        if(center = 0, null, (value - center) / abs(center)) as change
    from bands
)
select
    date,
    slot_start,
    slot,
    metric,
    slice,
    rule_id,
    method,
    window,
    threshold,
    severity,
    value,
    center,
    lower,
    upper,
    history_points,
    status,
    toUInt8(status = 'outside') as is_outside,
    if(status = 'outside', direction, '') as direction,
    change,
    multiIf(
        history_points < min_points,
            'not evaluated: ' || toString(history_points) || ' history point(s), the rule needs ' || toString(min_points),
        value is null, 'not evaluated: no value (no views for a CTR)',
        volume_checked < min_volume,
            'not evaluated: volume ' || toString(round(volume_checked, 1)) || ' < min_volume ' || toString(min_volume),
        status = 'outside',
            metric || ' ' || toString(round(value, 4)) || ' is ' || direction || ' the band ['
            || toString(round(lower, 4)) || ', ' || toString(round(upper, 4)) || '] ('
            || if(method = 'sigma',
                  'mean +/- ' || toString(threshold) || ' sd of the previous ' || toString(history_points) || ' slots',
                  'Q1 - ' || toString(threshold) || ' IQR .. Q3 + ' || toString(threshold) || ' IQR of the same slot on '
                  || toString(history_points) || if(window like '%w', ' previous same weekdays', ' previous days'))
            || '); ' || if(change >= 0, '+', '') || toString(round(100 * change, 1)) || '% vs ' || toString(round(center, 4)),
        '') as reason
from judged
;
alter table `analytics`.`intraday_alert_bands`
            replace partition id '20250301' from `analytics`.`intraday_alert_bands__dbt_new_data_<invocation>`,
            replace partition id '20250302' from `analytics`.`intraday_alert_bands__dbt_new_data_<invocation>`
;
drop table if exists `analytics`.`intraday_alert_bands__dbt_new_data_<invocation>`
    ON CLUSTER "feedstar"
    SYNC
;
