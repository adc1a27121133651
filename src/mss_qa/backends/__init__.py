"""Adapters for the frameworks the core depends on: embedders, vector stores, LLMs."""
