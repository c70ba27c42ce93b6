"""Demand forecasts for the office: weekly requests per village x service and per kecamatan, with 80% intervals,
from statsforecast models chosen per series by a rolling-origin backtest; and what they mean for supplies and staff.

``history`` holds the weekly counts (from the office's database or a CSV of paper registers), ``models`` the
candidate models and the backtest, ``engine`` the whole forecast, ``orders`` the OpenLMIS-style order quantities.
"""
