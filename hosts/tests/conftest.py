from hosts.tests.fixtures import *  # noqa: F403 - the host-call fixtures for this folder
