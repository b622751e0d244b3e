"""The shop's database backends: Django's, with what the shop measured it needs changed."""
