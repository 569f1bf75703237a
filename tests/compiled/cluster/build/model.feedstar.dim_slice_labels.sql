create table `analytics`.`dim_slice_labels`
    ON CLUSTER "feedstar"
  (
    `attribute` String,
    `value` Nullable(String),
    `label` String
    )
  engine = ReplicatedMergeTree('/clickhouse/tables/{uuid}/all', '{replica}')
        order by (tuple())
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`dim_slice_labels` ("attribute", "value", "label")
          SELECT "attribute", "value", "label"
          FROM (
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
        cast(coalesce(nullIf(toString(value), ''), 'unknown') as String) as label
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
        cast(coalesce(nullIf(toString(cast(null as Nullable(UInt8))), ''), 'unknown') as String) as label
),
gender_labels as (
    select
        'gender' as attribute,
        cast(gender as Nullable(String)) as value,
        multiIf(gender = 1, 'male', gender = 0, 'female', 'unknown') as label
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
            )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
