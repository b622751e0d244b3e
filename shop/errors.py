"""Domain errors: services raise these; one handler in `shop.api.errors` maps them to HTTP."""


class DomainError(Exception):
    """A business rule refused the request. Subclasses set a stable `code` and an HTTP status."""

    code = "domain_error"
    status_code = 400
    default_message = "The request breaks a business rule."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class Conflict(DomainError):
    code = "conflict"
    status_code = 409
    default_message = "The request conflicts with the current state."


class NotFound(DomainError):
    code = "not_found"
    status_code = 404
    default_message = "Not found."


class Unauthenticated(DomainError):
    code = "unauthenticated"
    status_code = 401
    default_message = "Authentication credentials were not valid."


class Overloaded(DomainError):
    """The service is too far behind to take more work now, and recorded nothing: answered 503
    with `Retry-After`, so that a client backs off at once instead of waiting in a queue."""

    code = "overloaded"
    status_code = 503
    default_message = "The shop is busy right now and recorded nothing; please retry shortly."
    retry_after_seconds = 1


class RateLimited(DomainError):
    """Too many attempts of something that is limited per account or per order: answered 429
    with `Retry-After` (seconds until the next attempt may succeed)."""

    code = "rate_limited"
    status_code = 429
    default_message = "Too many attempts; please retry later."

    def __init__(self, message: str | None = None, *, retry_after_seconds: int = 60) -> None:
        super().__init__(message)
        self.retry_after_seconds = max(1, retry_after_seconds)


class InvalidInput(DomainError):
    """Field errors found by a service (a rule the serializer cannot see, such as a race on a
    unique value), answered as DRF's `{"field": ["message"]}` with 400."""

    code = "invalid"
    status_code = 400

    def __init__(self, errors: dict[str, list[str]]) -> None:
        self.errors = errors
        super().__init__(
            "; ".join(f"{field}: {' '.join(messages)}" for field, messages in errors.items())
        )
