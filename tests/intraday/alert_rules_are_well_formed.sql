-- Every alert rule has a slice and a window its method understands, and sane numbers
-- (seeds/alert_rules.yml).  A row returned here names the bad rule and what is wrong.
{{ config(tags=['intraday']) }}
select rule_id, problem
from (
    select
        rule_id,
        multiIf(
            not match(slice, '^(all|os|source|os=.+|source=.+)$'), 'slice ' || slice || ' is not all, os, source, os=X or source=X',
            method = 'sigma' and not match(window, '^[1-9][0-9]*[mh]$'), 'sigma window ' || window || ' is not Nm or Nh',
            method = 'sigma' and match(window, '^[0-9]+m$') and toUInt32OrZero(extract(window, '^([0-9]+)')) % 15 != 0,
                'sigma window ' || window || ' is not a whole number of 15-minute slots',
            method = 'iqr' and not match(window, '^[1-9][0-9]*[dw]$'), 'iqr window ' || window || ' is not Nd or Nw',
            method = 'iqr' and match(window, '^[0-9]+w$') and toUInt32OrZero(extract(window, '^([0-9]+)')) > 5, 'iqr window ' || window || ' is longer than 5w',
            method = 'iqr' and match(window, '^[0-9]+d$') and toUInt32OrZero(extract(window, '^([0-9]+)')) > 35, 'iqr window ' || window || ' is longer than 35d',
            method = 'sigma' and match(window, '^[0-9]+h$') and toUInt32OrZero(extract(window, '^([0-9]+)')) > 24, 'sigma window ' || window || ' is longer than 24h',
            not (threshold > 0), 'threshold must be > 0',
            not (min_volume >= 0), 'min_volume must be >= 0',
            not (min_change >= 0), 'min_change must be >= 0',
            '') as problem
    from {{ ref('alert_rules') }}
)
where problem != ''
