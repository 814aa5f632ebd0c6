"""The suite uses pytest's own ``pytester`` to check what the airsrt plugin does to a test run."""

pytest_plugins = ["pytester"]
