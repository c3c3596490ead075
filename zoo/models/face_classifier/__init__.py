"""UTKFace face classifiers: a shared convolutional trunk with gender, ethnicity and age heads."""

from zoo.models.face_classifier.age_calibration import (apply_age_calibration, cross_fitted_age_mae,
                                                        fit_age_calibration)
from zoo.models.face_classifier.face_classifier import TASKS, FaceClassifier
from zoo.models.face_classifier.face_classifier_ensemble import FaceClassifierEnsemble
from zoo.models.face_classifier.face_features import FaceFeatures

__all__ = ["TASKS", "FaceClassifier", "FaceClassifierEnsemble", "FaceFeatures", "apply_age_calibration",
           "cross_fitted_age_mae", "fit_age_calibration"]
