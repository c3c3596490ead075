"""Errors of the data layer: raised early, naming the path, the value and what was expected."""


class DataError(ValueError):
    """A dataset is missing, empty or malformed. The message says what was found and how to fix it."""


class DatasetNotFoundError(DataError, FileNotFoundError):
    """A dataset folder or file does not exist (or holds no usable image)."""


SYNTHETIC_HINT = "To try facezoo without any download, use the built-in faces: --data synthetic"
