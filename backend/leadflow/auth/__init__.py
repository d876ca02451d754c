"""Who is acting (passwords, tokens) and what they may see or do (policy)."""
