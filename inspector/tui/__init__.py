"""The Textual app: the only part of Inspector that imports Textual."""
