"""The device HTTP API under /v1: app factory, routes, request guards and error rendering."""
