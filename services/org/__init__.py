"""The org service: the organization tree, branch setup, committees, organizational life."""
