"""Code every service shares: settings base, JWT trust, API conventions, health, URLs."""
