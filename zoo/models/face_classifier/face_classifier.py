"""FaceClassifier: the study's CNN for gender, ethnicity and age, single-task or multi-task on one trunk."""

from __future__ import annotations

import keras
from keras import layers

from zoo.models.base import BuildByCall
from zoo.models.face_classifier.face_features import FaceFeatures

# Task -> number of classes (0 = scalar regression). Gender and ethnicity use the UTKFace codes.
TASKS = {"gender": 2, "ethnicity": 5, "age": 0}


@keras.saving.register_keras_serializable(package="facezoo")
class FaceClassifier(BuildByCall, keras.Model):
    """images [B, S, S, C] in [-1, 1] -> ``{task: output}`` for each task in ``tasks``:

    - ``gender``: probabilities [B, 2] (0 male, 1 female);
    - ``ethnicity``: probabilities [B, 5] (0 White, 1 Black, 2 Asian, 3 Indian, 4 Others);
    - ``age``: years [B].

    The trunk (``FaceFeatures``) is shared; each task has its own prediction network, a Dense layer with
    LeakyReLU (and dropout) before its output layer. The age output is ``age_offset + age_scale * z`` so that
    the regression starts near the data's mean instead of at 0 years. ``bn_momentum``: see ``FaceFeatures``.

    ``test_time_flip``: at inference (``training=False``) the outputs are the mean of those for the images and
    their left-right mirrors (probabilities and ages averaged), so a face and its mirror get the same prediction;
    it costs a second forward pass. Training is unchanged.

    ``age_range``: ``(low, high)`` years, or None. At inference each predicted age is clamped to it (e.g. the
    training labels' range: UTKFace's ages are 1-116, and an unclamped head predicts some infants below 0).
    Training sees the unclamped output, so the loss keeps its gradient.
    """

    def __init__(self, tasks=("gender",), image_size: int = 48, channels: int = 1, filters=(32, 64, 128),
                 dense_units: int = 128, dropout: float = 0.3, age_offset: float = 33.0, age_scale: float = 20.0,
                 bn_momentum: float = 0.99, test_time_flip: bool = False, age_range=None, **kwargs):
        super().__init__(**kwargs)
        tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
        unknown = [t for t in tasks if t not in TASKS]
        if not tasks or unknown or len(set(tasks)) != len(tasks):
            raise ValueError(f"tasks must be distinct names from {list(TASKS)}, got {list(tasks)}")
        if channels not in (1, 3):
            raise ValueError(f"channels must be 1 (greyscale) or 3 (colour), got {channels}")
        if image_size < 2 ** len(tuple(filters)):
            raise ValueError(f"image_size {image_size} is too small for {len(tuple(filters))} pooling blocks")
        if not 0.0 <= dropout < 1.0:
            raise ValueError(f"dropout must be in [0, 1), got {dropout}")
        if age_range is not None:
            age_range = tuple(float(a) for a in age_range)
            if len(age_range) != 2 or not age_range[0] < age_range[1]:
                raise ValueError(f"age_range must be (low, high) with low < high, got {age_range}")
        self.age_range = age_range
        self.tasks, self.image_size, self.channels = tasks, int(image_size), int(channels)
        self.filters, self.dense_units, self.dropout = tuple(int(f) for f in filters), int(dense_units), float(dropout)
        self.age_offset, self.age_scale = float(age_offset), float(age_scale)
        self.bn_momentum, self.test_time_flip = float(bn_momentum), bool(test_time_flip)
        self.features = FaceFeatures(self.filters, self.bn_momentum, name="features")
        self.heads = {}
        for task in tasks:
            n = TASKS[task]
            self.heads[task] = [
                layers.Dense(self.dense_units, name=f"{task}_dense"),
                layers.LeakyReLU(negative_slope=0.2, name=f"{task}_leaky_relu"),
                layers.Dropout(self.dropout, name=f"{task}_dropout"),
                # float32 outputs, also under a mixed-precision policy.
                layers.Dense(n if n else 1, activation="softmax" if n else None, dtype="float32",
                             name=f"{task}_out"),
            ]

    def call(self, images, training=False):
        if self.test_time_flip and not training:
            n = keras.ops.shape(images)[0]
            both = self.predict_heads(keras.ops.concatenate([images, keras.ops.flip(images, axis=2)], 0))
            return {task: (y[:n] + y[n:]) / 2 for task, y in both.items()}
        return self.predict_heads(images, training)

    def predict_heads(self, images, training=False):
        """The heads' outputs for ``images`` as they are (no test-time flip)."""
        x = self.features(images, training=training)
        out = {}
        for task, (dense, act, drop, head) in self.heads.items():
            y = head(drop(act(dense(x)), training=training))
            if TASKS[task] == 0:
                y = self.age_offset + self.age_scale * y[:, 0]
                if self.age_range is not None and not training:
                    y = keras.ops.clip(y, *self.age_range)
            out[task] = y
        return out

    def with_tasks(self, tasks, name: str | None = None) -> "FaceClassifier":
        """A new FaceClassifier with this trunk and only the heads of ``tasks`` (a subset), weights copied: its
        outputs equal this model's outputs for those tasks (e.g. a gender-only model from the multi-task one)."""
        tasks = (tasks,) if isinstance(tasks, str) else tuple(tasks)
        missing = [t for t in tasks if t not in self.tasks]
        if missing:
            raise ValueError(f"this model has no heads {missing}; it has {list(self.tasks)}")
        if not self.built:
            self.build(self.input_shape_for())
        config = {**self.get_config(), "tasks": list(tasks), "name": name or self.name}
        model = type(self).from_config(config)
        model.build(self.input_shape_for())
        model.features.set_weights(self.features.get_weights())
        for task in tasks:
            for mine, theirs in zip(model.heads[task], self.heads[task]):
                mine.set_weights(theirs.get_weights())
        return model

    def input_shape_for(self, batch: int | None = None) -> tuple:
        return (batch, self.image_size, self.image_size, self.channels)

    def get_config(self):
        return {"tasks": list(self.tasks), "image_size": self.image_size, "channels": self.channels,
                "filters": list(self.filters), "dense_units": self.dense_units, "dropout": self.dropout,
                "age_offset": self.age_offset, "age_scale": self.age_scale, "bn_momentum": self.bn_momentum,
                "test_time_flip": self.test_time_flip,
                "age_range": None if self.age_range is None else list(self.age_range), "name": self.name}
