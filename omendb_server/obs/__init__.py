"""Observability: logging setup now; metrics and activity views later."""
