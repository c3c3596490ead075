import keras
import numpy as np

from zoo.models.wgan_gp import LayerNormCritic


def test_layer_norm_critic_shapes_layout_and_reload(tmp_path):
    c = LayerNormCritic(image_size=16, base_filters=4)
    x = np.random.default_rng(0).uniform(-1, 1, (2, 16, 16, 3)).astype("float32")
    ref = np.asarray(c(x))
    assert ref.shape == (2, 1)
    assert [conv.filters for conv, _ in c.blocks] == [4, 8]
    assert c.blocks[0][1] is None and isinstance(c.blocks[1][1], keras.layers.LayerNormalization)
    assert not any(isinstance(layer, keras.layers.BatchNormalization) for layer in c._flatten_layers())
    c.save(tmp_path / "c.keras")
    np.testing.assert_array_equal(np.asarray(keras.saving.load_model(tmp_path / "c.keras")(x)), ref)
