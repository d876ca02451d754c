"""Mutations, one module per domain, combined into the root Mutation type in schema.py."""
