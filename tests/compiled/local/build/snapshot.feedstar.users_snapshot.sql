drop table if exists `analytics`.`users_snapshot__snapshot_upsert`
;
create table `analytics`.`users_snapshot`
  engine = MergeTree()
      order by (tuple())
                    -- end_of_sql
          empty
          as (
    select *,
        halfMD5(coalesce(cast(user_id as varchar ), '')
     || '|' || coalesce(cast(attributes_updated_at as varchar ), '')
    ) as dbt_scd_id,
        attributes_updated_at as dbt_updated_at,
        attributes_updated_at as dbt_valid_from,
  coalesce(nullif(attributes_updated_at, attributes_updated_at), null)
  as dbt_valid_to
from (
with users as (
    select * from `analytics`.`dim_users` final
),
final as (
    select
        user_id,
        gender,
        age,
        os,
        source,
        country,
        city,
        exp_group,
        attributes_updated_at
    from users
    -- users only ever seen receiving have no attributes to record
    where attributes_updated_at is not null
)
select * from final
    ) sbq
          )
;
insert into `analytics`.`users_snapshot`
    select *,
        halfMD5(coalesce(cast(user_id as varchar ), '')
     || '|' || coalesce(cast(attributes_updated_at as varchar ), '')
    ) as dbt_scd_id,
        attributes_updated_at as dbt_updated_at,
        attributes_updated_at as dbt_valid_from,
  coalesce(nullif(attributes_updated_at, attributes_updated_at), null)
  as dbt_valid_to
from (
with users as (
    select * from `analytics`.`dim_users` final
),
final as (
    select
        user_id,
        gender,
        age,
        os,
        source,
        country,
        city,
        exp_group,
        attributes_updated_at
    from users
    -- users only ever seen receiving have no attributes to record
    where attributes_updated_at is not null
)
select * from final
    ) sbq
;
