"""Face attribute classification (gender, ethnicity, age) around ``zoo.models.face_classifier``: the labelled
dataset, evaluation and model selection, the run report, ensembles of runs and the ``predict`` command. The
recipe ``recipes.utkface_classifiers`` chooses and wires these parts. Nothing heavy on import."""
