{{ config(
    materialized='table',
    engine='MergeTree()',
    order_by='tuple()',
) }}

-- Every age the sources can hold (age is UInt8) and NULL (a user-day without attributes),
-- with its bucket from the macro marts_age_bucket, the one definition of the buckets.  The
-- dashboard reads the buckets of the slice marts' raw `age` from here, so it shows the
-- buckets the breakdown marts were built with, and follows a change at the next build.

with ages as (
    select toNullable(toUInt8(number)) as age from numbers(256)
    union all
    select null as age
)

select
    age,
    {{ marts_age_bucket('age') }} as age_bucket
from ages
