"""`feedstar report`: yesterday's key metrics with charts, from the dashboard marts, delivered by apprise.

data.py reads the marts, charts.py draws the PNGs, render.py writes Markdown or HTML,
build.py puts them together, deliver.py sends them once per logical date, cli.py is the verb.
"""
