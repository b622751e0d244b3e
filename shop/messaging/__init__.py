"""Messages between services: the transactional outbox, its relay and idempotent consumers.

Installed as a Django app in every service, so each service keeps its outbox and inbox in its
own database.
"""
