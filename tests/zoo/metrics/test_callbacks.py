import csv
import os

import keras
import numpy as np

from zoo.metrics.callbacks import DistributionMetrics
from zoo.metrics.features import keras_extractor
from zoo.metrics.measure import measure_images


def test_fid_and_kid_every_epoch_of_a_training_run(tmp_path):
    from zoo.models.dcgan import DCGANDiscriminator, DCGANGenerator
    from zoo.trainers import GANTrainer
    from zoo.training.loop import train

    keras.utils.set_random_seed(0)
    net = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                            keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(4, activation="tanh"),
                            keras.layers.Dense(2)], name="net")
    extractor = keras_extractor(net)
    real = np.random.default_rng(0).integers(0, 256, (32, 8, 8, 3), dtype=np.uint8)
    m = measure_images([real], extractor, keep_features=True, progress=False)

    trainer = GANTrainer(DCGANGenerator(8, 8, 3, 4), DCGANDiscriminator(8, 3, 4), seed=0)
    trainer.compile(g_optimizer=keras.optimizers.Adam(1e-3), d_optimizer=keras.optimizers.Adam(1e-3),
                    jit_compile=False)
    run = str(tmp_path / "run")
    cb = DistributionMetrics(extractor, m.statistics, reference_features=m.features, metrics=("fid", "kid"),
                             every_epochs=1, num_images=16, batch_size=8, kid_subset_size=8, kid_subsets=5,
                             csv_path=os.path.join(run, "logs", "fid.csv"), plot_path=os.path.join(run, "plots",
                                                                                                  "fid.png"))
    data = (real.astype("float32") / 127.5 - 1.0)[:8]
    import tensorflow as tf

    train(trainer, lambda offset: tf.data.Dataset.from_tensors(data).repeat(), run, steps_per_epoch=1,
          total_steps=2, extra_callbacks=[cb], verbose=0)
    with open(os.path.join(run, "logs", "fid.csv")) as f:
        rows = list(csv.DictReader(f))
    assert [(r["step"], r["epoch"]) for r in rows] == [("1", "1"), ("2", "2")]
    assert all(float(r["fd[net]"]) > 0 and np.isfinite(float(r["kid[net]"])) and r["extractor"] == "net"
               for r in rows)
    assert float(rows[0]["fd[net]"]) != float(rows[1]["fd[net]"])  # the generator changed between epochs
    assert os.path.isfile(os.path.join(run, "plots", "fid.png"))
    # The same latents every time: evaluating twice without training gives the same value.
    assert cb.evaluate() == cb.evaluate()
