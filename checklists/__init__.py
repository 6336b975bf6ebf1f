"""The checklist format: schema, loader and validator, and the built-in checklists.

This package imports nothing from `inspector` or `sync`: it is the bottom layer every other part builds on.
"""
