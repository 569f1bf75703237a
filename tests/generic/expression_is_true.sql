{#- Arithmetic invariant of a model: fails with every row where `expression` is false. -#}
{% test expression_is_true(model, expression, column_name=none) %}

select * from {{ model }}
where not ({{ expression }})

{% endtest %}
