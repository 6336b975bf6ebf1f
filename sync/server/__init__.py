"""The HQ server (ASGI app + database layer). Never imports the field app's store."""
