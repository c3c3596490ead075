"""FaceClassifierEnsemble: the mean of several FaceClassifiers with the same heads and input."""

from __future__ import annotations

import keras

from zoo.models.base import BuildByCall
from zoo.models.face_classifier.age_calibration import apply_age_calibration, check_age_calibration


@keras.saving.register_keras_serializable(package="facezoo")
class FaceClassifierEnsemble(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> ``{task: output}``, each output the mean of the members' outputs
    (probabilities averaged for gender / ethnicity, years for age).

    ``members``: FaceClassifiers (or their serialized configs) with the same ``tasks``, ``image_size`` and
    ``channels``, e.g. runs of one recipe with different ``--seed`` on the same split. Each member keeps its own
    architecture and ``test_time_flip``. Inference costs the sum of the members'.

    ``age_calibration``: None, or knots ``{"x": [K], "y": [K]}`` of a non-decreasing piecewise-linear map applied
    to the mean age (constant beyond the end knots), e.g. ``fit_age_calibration`` of the ensemble's ages on a
    validation split. Needs an age head.
    """

    def __init__(self, members, age_calibration=None, **kwargs):
        super().__init__(**kwargs)
        members = [m if isinstance(m, keras.Model) else keras.saving.deserialize_keras_object(m) for m in members]
        if len(members) < 2:
            raise ValueError(f"an ensemble needs at least 2 members, got {len(members)}")
        first = members[0]
        for i, m in enumerate(members):
            missing = [a for a in ("tasks", "image_size", "channels") if not hasattr(m, a)]
            if missing:
                raise ValueError(f"member {i} ({type(m).__name__}) is not a FaceClassifier: it has no {missing[0]}")
            if (tuple(m.tasks), m.image_size, m.channels) != (tuple(first.tasks), first.image_size, first.channels):
                raise ValueError(f"member {i} has tasks {list(m.tasks)}, {m.image_size} px, {m.channels} channel(s); "
                                 f"member 0 has {list(first.tasks)}, {first.image_size} px, {first.channels}: "
                                 f"an ensemble's members must share heads and input")
        self.members = members
        self.tasks, self.image_size, self.channels = tuple(first.tasks), first.image_size, first.channels
        if age_calibration is not None:
            if "age" not in self.tasks:
                raise ValueError(f"an age calibration needs an age head; this ensemble has {list(self.tasks)}")
            age_calibration = check_age_calibration(age_calibration)
        self.age_calibration = age_calibration

    def call(self, images, training=False):
        outs = [m(images, training=training) for m in self.members]
        out = {task: keras.ops.mean(keras.ops.stack([o[task] for o in outs]), axis=0) for task in self.tasks}
        if self.age_calibration is not None:
            out["age"] = apply_age_calibration(out["age"], self.age_calibration)
        return out

    def with_tasks(self, tasks, name: str | None = None) -> "FaceClassifierEnsemble":
        """The ensemble of the members' ``with_tasks(tasks)``: the same outputs for those heads."""
        tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
        model = type(self)([m.with_tasks(tasks) for m in self.members], name=name or self.name,
                           age_calibration=self.age_calibration if "age" in tasks else None)
        model.build(self.input_shape_for())
        return model

    def input_shape_for(self, batch: int | None = None) -> tuple:
        return (batch, self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"members": [keras.saving.serialize_keras_object(m) for m in self.members],
                "age_calibration": self.age_calibration, "name": self.name}
