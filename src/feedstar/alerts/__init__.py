"""Intraday anomaly alerts: `feedstar alerts` (check.py), their state table, chart and delivery."""
