"""Analyse marks an unsure class as predict does: below predict's LOW_CONFIDENCE, never for age."""

from demo.tabs import analyse


def test_an_unsure_class_is_marked_low_confidence_and_a_sure_one_is_not():
    results = {"p": {"gender": {"male": 0.55, "female": 0.45},
                     "ethnicity": {"White": 0.9, "Black": 0.04, "Asian": 0.03, "Indian": 0.02, "Others": 0.01},
                     "age": 31.0}}
    (row,) = [line for line in analyse.table(results).splitlines() if line.startswith("| p |")]
    assert "male (0.55, low confidence)" in row and "White (0.90) |" in row and row.endswith("| 31.0 |")
