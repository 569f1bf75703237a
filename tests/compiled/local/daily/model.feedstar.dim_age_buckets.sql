create table `analytics`.`dim_age_buckets__dbt_backup`
  engine = MergeTree()
        order by (tuple())
                    -- end_of_sql
                    SETTINGS replicated_deduplication_window='0'
          empty
          as (
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
    multiIf(
        age is null, 'unknown',
        age < 18, '0-17',
        age < 25, '18-24',
        age < 35, '25-34',
        age < 45, '35-44',
        age < 55, '45-54',
        '55+'
    ) as age_bucket
from ages
          )
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
insert into `analytics`.`dim_age_buckets__dbt_backup`
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
    multiIf(
        age is null, 'unknown',
        age < 18, '0-17',
        age < 25, '18-24',
        age < 35, '25-34',
        age < 45, '35-44',
        age < 55, '45-54',
        '55+'
    ) as age_bucket
from ages
            -- settings_section
            SETTINGS max_partitions_per_insert_block=0
;
EXCHANGE TABLES `analytics`.`dim_age_buckets__dbt_backup` AND `analytics`.`dim_age_buckets`
;
drop table if exists `analytics`.`dim_age_buckets__dbt_backup`
;
