"""Thin edges: command line, HTTP API and chat UI."""
