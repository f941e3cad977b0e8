"""Accounts: one per worker across the whole platform; sign-in for pages and API tokens."""
