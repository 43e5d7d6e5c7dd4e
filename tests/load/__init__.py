"""The load test (``make loadtest``) and its fault scripts: a no-loss proof under concurrent, retried submissions."""
