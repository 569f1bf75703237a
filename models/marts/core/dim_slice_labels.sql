{{ config(
    materialized='table',
    engine='MergeTree()',
    order_by='tuple()',
) }}

-- The labels of the slice attributes' raw values whose label is not their own text, from the
-- macros the breakdown marts use: NULL and '' of the string attributes and NULL of exp_group
-- (marts_slice_value: unknown), and every gender code (0..255, the sources' UInt8) and NULL
-- (marts_gender_label).  Any other value is its own label (marts_slice_value gives its text).
-- The dashboard labels the slice marts' raw attributes through this table, so it shows and
-- filters the labels the marts were built with, and follows a change at the next build.
-- (Age buckets have their own table, dim_age_buckets.)

-- (two arrayJoins in one select: every attribute with every missing value)
with string_labels as (
    select
        attribute,
        value,
        {{ marts_slice_value('value') }} as label
    from (
        select
            arrayJoin(['source', 'os', 'country', 'city']) as attribute,
            arrayJoin([toNullable(''), null]) as value
    ) as pairs
),

-- exp_group is a UInt8: only NULL is missing
exp_group_labels as (
    select
        'exp_group' as attribute,
        cast(null as Nullable(String)) as value,
        {{ marts_slice_value('cast(null as Nullable(UInt8))') }} as label
),

gender_labels as (
    select
        'gender' as attribute,
        cast(gender as Nullable(String)) as value,
        {{ marts_gender_label('gender') }} as label
    from (
        select toNullable(toUInt8(number)) as gender from numbers(256)
        union all
        select null as gender
    ) as codes
),

final as (
    select * from string_labels
    union all
    select * from exp_group_labels
    union all
    select * from gender_labels
)

select * from final
