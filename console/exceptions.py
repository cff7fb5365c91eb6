"""Exceptions services raise that the API and pages turn into clear answers."""


class Conflict(Exception):
    """Someone else changed the object first (HTTP 409); the message says what to do."""
