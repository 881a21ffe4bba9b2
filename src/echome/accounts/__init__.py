"""Seller accounts: local passwords, Google sign-in, API tokens, provider keys."""
