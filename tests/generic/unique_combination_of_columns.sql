{#-
    Grain test: no two rows share the same values of `combination_of_columns` (the model's
    key; NULL is a value of its own, as GROUP BY groups NULLs, so the marts' NULL slices are
    keys too).  Fails with one row per duplicated key and how many times it occurs.
    The project has no package dependencies, so this is its own version of dbt_utils' test of the same name.
-#}
{% test unique_combination_of_columns(model, combination_of_columns) %}

with keyed as (
    select
        {{ combination_of_columns | join(', ') }},
        count() as rows_with_this_key
    from {{ model }}
    group by {{ combination_of_columns | join(', ') }}
),

final as (
    select * from keyed
    where rows_with_this_key > 1
)

select * from final

{% endtest %}
