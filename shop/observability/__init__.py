"""What an operator sees: request ids through HTTP, messages and tasks (`request_id`), JSON logs
(`logs`), Sentry (`sentry`), Prometheus registries (`metrics`) and the probes (`health`)."""
