"""Learning-rate schedules that depend on the epoch, written as functions of the optimizer's step."""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="facezoo")
class EpochInverseDecay(keras.optimizers.schedules.LearningRateSchedule):
    """lr(E) = 1 / (denominator * (1 + E)) with E = step // steps_per_epoch, the epoch counted from 0.

    The UTKFace study's schedule is ``denominator = 2000``: 5e-4, 2.5e-4, 1.67e-4, ... Being a function of the
    optimizer's iteration count, it resumes exactly with the optimizer state.
    """

    def __init__(self, steps_per_epoch: int, denominator: float = 2000.0):
        if steps_per_epoch < 1:
            raise ValueError(f"steps_per_epoch must be positive, got {steps_per_epoch}")
        if denominator <= 0:
            raise ValueError(f"denominator must be positive, got {denominator}")
        self.steps_per_epoch, self.denominator = int(steps_per_epoch), float(denominator)

    def __call__(self, step):
        epoch = keras.ops.floor_divide(keras.ops.cast(step, "int64"), self.steps_per_epoch)
        return 1.0 / (self.denominator * (1.0 + keras.ops.cast(epoch, "float32")))

    def get_config(self):
        return {"steps_per_epoch": self.steps_per_epoch, "denominator": self.denominator}
