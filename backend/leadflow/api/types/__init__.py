"""GraphQL object types and enums, one module per type or per small family; each type is
built only by its own classmethods (from a model, or from a joined value row)."""
