"""Export scikit-learn models to ONNX for Verity's proved mode (the model owner's tool).

Two commands:

  python export.py convert MODEL.joblib N_FEATURES OUT.onnx
      Converts a fitted estimator (saved with joblib.dump) with skl2onnx. Classifiers are
      exported without ZipMap (options={id(model): {'zipmap': False}}): ZipMap turns the
      probabilities into a list of {class: probability} dictionaries, which is not a tensor and
      cannot be proved. The classifier then has two outputs, `label` (int64) and
      `probabilities` (float); `verity compile --output probabilities` proves the second one.

  python export.py examples OUT_DIR [NAME...]
      Trains the fixed demo models (all, or the NAMEs; see examples()) on scikit-learn datasets
      shipped with the package (no download), with fixed seeds, and writes for each
      OUT_DIR/NAME/model.onnx, calibration.json (64 training inputs) and test.json (the held-out
      inputs with onnxruntime's outputs: every graph output, by name). Used by Verity's tests.

Requires the packages pinned in requirements.txt (pip install -r requirements.txt).
"""
import json
import os
import sys

import numpy as np


def to_onnx_model(model, n_features, zipmap=False):
    """The estimator as an ONNX ModelProto with a float32 input [N, n_features] named X."""
    from skl2onnx import to_onnx

    options = {id(model): {'zipmap': False}} if hasattr(model, 'predict_proba') and not zipmap else None
    # ai.onnx.ml opset 3: the tree ensembles' nodes_*/class_* attributes that Verity reads.
    return to_onnx(model, np.zeros((1, n_features), dtype=np.float32), options=options,
                   target_opset={'': 17, 'ai.onnx.ml': 3})


def examples():
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris
    from sklearn.ensemble import (GradientBoostingClassifier, GradientBoostingRegressor,
                                  RandomForestClassifier, RandomForestRegressor)
    from sklearn.linear_model import LinearRegression, LogisticRegression
    from sklearn.neural_network import MLPClassifier

    iris, cancer, diabetes = load_iris(), load_breast_cancer(), load_diabetes()
    # Small models on purpose: few trees, shallow depth, so the circuits prove in seconds.
    return {
        'linear-regression': (lambda: LinearRegression(), diabetes),
        'logistic-regression': (lambda: LogisticRegression(max_iter=1000), iris),
        'logistic-regression-binary': (lambda: LogisticRegression(max_iter=5000), cancer),
        'mlp-classifier': (lambda: MLPClassifier(hidden_layer_sizes=(8,), max_iter=2000, random_state=0), iris),
        'random-forest-classifier': (lambda: RandomForestClassifier(n_estimators=3, max_depth=3, random_state=0), iris),
        'random-forest-regressor': (lambda: RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0), diabetes),
        'gradient-boosting-classifier': (lambda: GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0), iris),
        'gradient-boosting-classifier-binary': (lambda: GradientBoostingClassifier(n_estimators=3, max_depth=2, random_state=0), cancer),
        'gradient-boosting-regressor': (lambda: GradientBoostingRegressor(n_estimators=3, max_depth=2, random_state=0), diabetes),
        # skl2onnx's default export, which Verity refuses for the probabilities (ZipMapError).
        'logistic-regression-zipmap': (lambda: LogisticRegression(max_iter=1000), iris),
    }


def example(name, out_dir):
    """Trains, exports and runs one demo model into out_dir."""
    import onnx
    import onnxruntime as ort
    from sklearn.model_selection import train_test_split

    table = examples()
    if name not in table:
        sys.exit(f'error: UnknownExample: {name} is not one of {", ".join(table)}')
    make, data = table[name]
    x_train, x_test, y_train, _ = train_test_split(data.data.astype(np.float32), data.target, test_size=0.2, random_state=0)
    if name.endswith('-binary'):
        # Breast cancer's 30 features span 0.001 to 4,254, but a circuit quantises every input
        # with one scale: standardised features (what the requester sends) keep them all.
        mean, std = x_train.mean(axis=0), x_train.std(axis=0)
        x_train, x_test = (x_train - mean) / std, (x_test - mean) / std
    model = make().fit(x_train, y_train)
    proto = to_onnx_model(model, x_train.shape[1], zipmap=name.endswith('-zipmap'))
    os.makedirs(out_dir, exist_ok=True)
    onnx.save(proto, os.path.join(out_dir, 'model.onnx'))
    session = ort.InferenceSession(proto.SerializeToString(), providers=['CPUExecutionProvider'])
    names = [o.name for o in session.get_outputs()]
    # One inference per run: the circuit proves one row (batch 1).
    rows = [session.run(None, {'X': x_test[i:i + 1]}) for i in range(len(x_test))]
    outputs = {n: [np.asarray(r[j]).reshape(-1).tolist() for r in rows] for j, n in enumerate(names)}
    with open(os.path.join(out_dir, 'calibration.json'), 'w') as f:
        json.dump(x_train[:64].tolist(), f)
    with open(os.path.join(out_dir, 'test.json'), 'w') as f:
        json.dump({'inputs': x_test.tolist(), 'outputs': outputs}, f)


def convert(path, n_features, out):
    import joblib
    import onnx

    onnx.save(to_onnx_model(joblib.load(path), int(n_features)), out)


if __name__ == '__main__':
    if len(sys.argv) == 5 and sys.argv[1] == 'convert':
        convert(*sys.argv[2:])
    elif len(sys.argv) >= 3 and sys.argv[1] == 'examples':
        for name in sys.argv[3:] or examples():
            example(name, os.path.join(sys.argv[2], name))
    else:
        sys.exit(__doc__)
