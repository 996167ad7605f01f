"""Talking to WordPress through its REST API."""
