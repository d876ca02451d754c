"""Webhooks: partners and other systems learn of every change (docs/architecture.md, "Webhooks")."""
