"""The write path of results: set-based SQL for `storage.store` and the webhook writer."""
