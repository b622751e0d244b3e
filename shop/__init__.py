"""The kernel every service shares: auth, messaging (with the cross-service contract),
observability, the API's building blocks and the settings base.

SERVICES is the one list of the shop's services. It lives here, importing nothing, because
manage.py, make, the local stack and the deploy checks read it before Django or any dependency
is loaded."""

SERVICES = ("users", "products", "orders", "inventory")
