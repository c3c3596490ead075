"""The one training loop around ``fit``: run folders, checkpoints, callbacks, CLI from dataclass configs."""
