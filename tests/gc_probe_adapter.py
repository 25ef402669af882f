"""A test-only adapter: it answers a live-default question with its worker's garbage-collector settings."""

import gc


def load(settings):
    return "probe"


def live_default(call, kind, name, opset):
    return [gc.get_threshold()[0], gc.get_freeze_count() > 0]
