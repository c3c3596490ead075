"""ClassifierTrainer: supervised training of a FaceClassifier's heads (cross-entropy and MSE) in the zoo's loop."""

from __future__ import annotations

import keras
import tensorflow as tf

from zoo.models.face_classifier.face_classifier import TASKS
from zoo.trainers.base import TrainerMixin, mean_trackers


AGE_LOSSES = ("mse", "l1", "huber")


def task_loss(task: str, output, target, age_scale: float = 1.0, age_loss: str = "mse"):
    """Per-example loss [B] of one head: sparse categorical cross-entropy on the probabilities of ``gender`` /
    ``ethnicity`` (targets [B] int codes); for ``age`` the error e in units of ``age_scale`` years goes through
    ``age_loss``: ``mse`` e^2 (the study), ``l1`` |e| (optimises the reported MAE directly) or ``huber``
    (e^2 / 2 for |e| <= 1, |e| - 1/2 beyond)."""
    if TASKS[task]:
        return keras.losses.sparse_categorical_crossentropy(tf.cast(target, tf.int32), output)
    err = (tf.cast(output, tf.float32) - tf.cast(target, tf.float32)) / age_scale
    if age_loss == "mse":
        return tf.square(err)
    if age_loss == "l1":
        return tf.abs(err)
    if age_loss == "huber":
        a = tf.abs(err)
        return tf.where(a <= 1.0, 0.5 * tf.square(err), a - 0.5)
    raise ValueError(f"unknown age loss {age_loss!r}; expected one of {AGE_LOSSES}")


@keras.saving.register_keras_serializable(package="facezoo")
class ClassifierTrainer(TrainerMixin, keras.Model):
    """Trains ``classifier`` (images -> ``{task: output}``) on batches ``(images, {task: [B] labels})``.

    The loss is the sum of the heads' losses (age ``age_loss``, MSE by default, measured in ``classifier.age_scale`` years, so that in the
    multi-task model it weighs about as much as a cross-entropy). Logged: ``loss``, ``<task>_loss`` and
    ``gender_accuracy`` / ``ethnicity_accuracy`` / ``age_mae`` (years); ``evaluate`` reports the same.
    """

    def __init__(self, classifier, age_loss: str = "mse", **kwargs):
        super().__init__(**kwargs)
        if age_loss not in AGE_LOSSES:
            raise ValueError(f"unknown age loss {age_loss!r}; expected one of {AGE_LOSSES}")
        self.classifier, self.age_loss = classifier, age_loss
        self.tasks = tuple(classifier.tasks)
        names = ["loss"] + [f"{t}_loss" for t in self.tasks]
        names += [f"{t}_accuracy" if TASKS[t] else f"{t}_mae" for t in self.tasks]
        self.trackers = mean_trackers(*names)

    def optimizer_targets(self):
        return {"optimizer": self.classifier}

    def part_input_shape(self, model):
        return model.input_shape_for()

    def call(self, images, training=False):
        return self.classifier(images, training=training)

    def head_losses(self, outputs, labels):
        per_task = {t: task_loss(t, outputs[t], labels[t], self.classifier.age_scale, self.age_loss)
                    for t in self.tasks}
        return per_task, tf.add_n(list(per_task.values()))

    def track(self, outputs, labels, per_task, total):
        self.trackers["loss"].update_state(tf.reduce_mean(total))
        for t in self.tasks:
            self.trackers[f"{t}_loss"].update_state(tf.reduce_mean(per_task[t]))
            if TASKS[t]:
                hit = tf.equal(tf.argmax(outputs[t], -1, output_type=tf.int32), tf.cast(labels[t], tf.int32))
                self.trackers[f"{t}_accuracy"].update_state(tf.cast(hit, tf.float32))
            else:
                self.trackers[f"{t}_mae"].update_state(tf.abs(outputs[t] - tf.cast(labels[t], tf.float32)))
        return {k: m.result() for k, m in self.trackers.items()}

    def train_step(self, data):
        images, labels = data[0], data[1]  # fit gives (x, y); train_on_batch adds sample_weight
        with tf.GradientTape() as tape:
            outputs = self.classifier(images, training=True)
            per_task, total = self.head_losses(outputs, labels)
            loss = self.reduce_loss(total)
        self.apply(self.optimizer, tape, loss, self.classifier.trainable_variables)
        return self.track(outputs, labels, per_task, total)

    def test_step(self, data):
        images, labels = data[0], data[1]  # fit gives (x, y); train_on_batch adds sample_weight
        outputs = self.classifier(images, training=False)
        per_task, total = self.head_losses(outputs, labels)
        return self.track(outputs, labels, per_task, total)

    def get_config(self):
        return {"classifier": keras.saving.serialize_keras_object(self.classifier), "age_loss": self.age_loss,
                "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        config["classifier"] = keras.saving.deserialize_keras_object(config["classifier"])
        return cls(**config)
