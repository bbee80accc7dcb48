"""diffbench as a service: scheduled jobs, an HTTP API, one server per store."""
