"""Built-in UTKFace classifier presets (files in zoo/presets/<name>/). UTKFace: non-commercial research only."""

PRESETS = {
    "classifier_gender_utkface_48": {
        "description": "gender (0 male / 1 female) from 48x48 greyscale faces, trained on UTKFace "
                       "(non-commercial research only)",
    },
    "classifier_ethnicity_utkface_48": {
        "description": "ethnicity (UTKFace codes 0-4) from 48x48 greyscale faces, trained on UTKFace "
                       "(non-commercial research only)",
    },
    "classifier_age_utkface_48": {
        "description": "age in years from 48x48 greyscale faces: the mean of seven CNNs trained on UTKFace, "
                       "calibrated on its validation split (non-commercial research only)",
    },
    "classifier_multitask_utkface_48": {
        "description": "gender, ethnicity and age on one trunk from 48x48 greyscale faces, trained on UTKFace "
                       "(non-commercial research only)",
    },
    "classifier_multitask_utkface_64_colour": {
        "description": "gender, ethnicity and age on one trunk from 64x64 colour faces, trained on UTKFace "
                       "(non-commercial research only)",
    },
    "classifier_gender_utkface_64_colour": {
        "description": "gender (0 male / 1 female) from 64x64 colour faces: the colour multi-task trunk with its "
                       "gender head, trained on UTKFace (non-commercial research only)",
    },
    "classifier_ethnicity_utkface_64_colour": {
        "description": "ethnicity (UTKFace codes 0-4) from 64x64 colour faces: the colour multi-task trunk with its "
                       "ethnicity head, trained on UTKFace (non-commercial research only)",
    },
}
