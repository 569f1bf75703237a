{#- Generic data tests of the dashboard marts (used in models/marts/dashboards/*.yml). -#}

{% test marts_unique_grain(model, columns) %}
{#- The grain holds: no two rows share the same values of `columns` (NULL = a value). -#}
select
    {{ columns | join(', ') }},
    count() as rows_with_this_key
from {{ model }}
group by {{ columns | join(', ') }}
having count() > 1
{% endtest %}
