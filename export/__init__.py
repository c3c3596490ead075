"""Export facezoo models to ONNX and SavedModel, and run the ONNX files without TensorFlow.

    python -m export --preset dcgan_utkface_64 --format onnx --out exported/
    python -m export.sample exported/generator.onnx --n 16 --seed 0 --out grid.png

``export.exporter`` (Keras and TensorFlow) writes the files, their model cards and the parity checks;
``export.runtime`` (numpy and onnxruntime only) loads them, ``export.runtime_ddim`` samples an exported
diffusion denoiser by DDIM, and ``export.runtime_face`` finds and aligns the faces of photos (MTCNN as ONNX files,
``python -m export.predict``). This file imports neither, so that
``import export.runtime`` works where TensorFlow is not installed.
"""
