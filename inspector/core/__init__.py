"""The field app's core: records, scoring, the problem state machine and the local store.

Nothing here imports Textual or httpx, so the core can be used and tested without a terminal or a network.
"""
