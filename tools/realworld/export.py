"""The real-world model suite behind `npm run bench:realworld` (issue 17, item 6).

    python export.py OUT_DIR [NAME...]

Trains small models the way their owners would, on datasets shipped with scikit-learn (iris,
wine, breast cancer, digits, diabetes; no download), with fixed seeds, and exports them with
the owners' own converters: skl2onnx for scikit-learn, onnxmltools for xgboost and lightgbm,
torch.onnx.export for PyTorch when torch is importable (it is not in requirements.txt: its
wheels are large; see README "Real-world models"). Every graph is the converter's own output,
unedited: a dynamic batch dimension, ZipMap switched off (the converters' documented option),
several outputs (label and probabilities). For each model it writes OUT_DIR/NAME/:

  model.onnx        the exported graph
  calibration.json  256 training inputs (or all, when fewer) (float rows)
  test.json         {"inputs": up to 16 held-out rows, "outputs": {output name: onnxruntime's rows}}
  meta.json         {"source", "dataset", "estimator", "task": classifier|regressor|transform,
                     "output": the graph output the benchmark proves}

A model whose converter fails is listed in OUT_DIR/failed.json with the converter's error (the
benchmark counts it as "not exported"), so one broken converter does not stop the suite.
Requires the packages pinned in requirements.txt.
"""
import json
import os
import sys
import traceback
import warnings

import numpy as np

warnings.filterwarnings("ignore")  # the converters' deprecation notes are not findings

SEED = 0
TEST_ROWS = 16
CALIBRATION_ROWS = 256


def datasets():
    from sklearn.datasets import load_breast_cancer, load_diabetes, load_digits, load_iris, load_wine
    return {'iris': load_iris, 'wine': load_wine, 'cancer': load_breast_cancer, 'digits': load_digits, 'diabetes': load_diabetes}


def split(dataset):
    from sklearn.model_selection import train_test_split
    data = datasets()[dataset]()
    x_train, x_test, y_train, y_test = train_test_split(data.data.astype(np.float32), data.target, test_size=0.25, random_state=SEED)
    return x_train, x_test[:TEST_ROWS], y_train


def sklearn_models():
    """name -> (dataset, task, factory): every estimator family skl2onnx converts, small."""
    from sklearn import decomposition as dec
    from sklearn import discriminant_analysis as da
    from sklearn import ensemble as en
    from sklearn import linear_model as lm
    from sklearn import naive_bayes as nb
    from sklearn import neighbors as nn
    from sklearn import neural_network as mlp
    from sklearn import preprocessing as pre
    from sklearn import svm, tree
    from sklearn.pipeline import make_pipeline as pipe

    small = dict(random_state=SEED)
    trees = dict(n_estimators=5, max_depth=3, random_state=SEED)
    return {
        # Regressors on diabetes (10 features, already centred and scaled).
        'linear-regression-diabetes': ('diabetes', 'regressor', lambda: lm.LinearRegression()),
        'ridge-diabetes': ('diabetes', 'regressor', lambda: lm.Ridge(alpha=0.1)),
        'lasso-diabetes': ('diabetes', 'regressor', lambda: lm.Lasso(alpha=0.05)),
        'elasticnet-diabetes': ('diabetes', 'regressor', lambda: lm.ElasticNet(alpha=0.001)),
        'bayesian-ridge-diabetes': ('diabetes', 'regressor', lambda: lm.BayesianRidge()),
        'huber-diabetes': ('diabetes', 'regressor', lambda: lm.HuberRegressor(max_iter=1000)),
        'sgd-regressor-diabetes': ('diabetes', 'regressor', lambda: lm.SGDRegressor(max_iter=2000, **small)),
        'linear-svr-diabetes': ('diabetes', 'regressor', lambda: svm.LinearSVR(C=100, max_iter=20000, **small)),
        'svr-rbf-diabetes': ('diabetes', 'regressor', lambda: svm.SVR(C=100)),
        'kneighbors-regressor-diabetes': ('diabetes', 'regressor', lambda: nn.KNeighborsRegressor(n_neighbors=3)),
        'decision-tree-regressor-diabetes': ('diabetes', 'regressor', lambda: tree.DecisionTreeRegressor(max_depth=4, **small)),
        'random-forest-regressor-diabetes': ('diabetes', 'regressor', lambda: en.RandomForestRegressor(**trees)),
        'extra-trees-regressor-diabetes': ('diabetes', 'regressor', lambda: en.ExtraTreesRegressor(**trees)),
        'gradient-boosting-regressor-diabetes': ('diabetes', 'regressor', lambda: en.GradientBoostingRegressor(**trees)),
        'hist-gradient-boosting-regressor-diabetes': ('diabetes', 'regressor', lambda: en.HistGradientBoostingRegressor(max_iter=5, max_depth=3)),
        'mlp-regressor-diabetes': ('diabetes', 'regressor', lambda: mlp.MLPRegressor(hidden_layer_sizes=(16,), max_iter=3000, **small)),
        'pipeline-scaler-ridge-diabetes': ('diabetes', 'regressor', lambda: pipe(pre.StandardScaler(), lm.Ridge())),
        'pipeline-poly-linear-diabetes': ('diabetes', 'regressor', lambda: pipe(pre.PolynomialFeatures(2), lm.Ridge(alpha=0.1))),
        'pipeline-pca-linear-diabetes': ('diabetes', 'regressor', lambda: pipe(dec.PCA(5), lm.LinearRegression())),
        # Classifiers.
        'logistic-regression-iris': ('iris', 'classifier', lambda: lm.LogisticRegression(max_iter=1000)),
        'logistic-regression-digits': ('digits', 'classifier', lambda: lm.LogisticRegression(max_iter=2000)),
        'pipeline-scaler-logistic-wine': ('wine', 'classifier', lambda: pipe(pre.StandardScaler(), lm.LogisticRegression(max_iter=1000))),
        'pipeline-scaler-logistic-cancer': ('cancer', 'classifier', lambda: pipe(pre.StandardScaler(), lm.LogisticRegression(max_iter=1000))),
        'sgd-classifier-iris': ('iris', 'classifier', lambda: lm.SGDClassifier(**small)),
        'perceptron-iris': ('iris', 'classifier', lambda: lm.Perceptron(**small)),
        'ridge-classifier-wine': ('wine', 'classifier', lambda: pipe(pre.StandardScaler(), lm.RidgeClassifier())),
        'linear-svc-iris': ('iris', 'classifier', lambda: svm.LinearSVC(max_iter=20000, **small)),
        'linear-svc-cancer': ('cancer', 'classifier', lambda: pipe(pre.StandardScaler(), svm.LinearSVC(max_iter=20000, **small))),
        'svc-rbf-iris': ('iris', 'classifier', lambda: svm.SVC()),
        'lda-wine': ('wine', 'classifier', lambda: da.LinearDiscriminantAnalysis()),
        'gaussian-nb-iris': ('iris', 'classifier', lambda: nb.GaussianNB()),
        'bernoulli-nb-digits': ('digits', 'classifier', lambda: nb.BernoulliNB(binarize=8.0)),
        'kneighbors-classifier-iris': ('iris', 'classifier', lambda: nn.KNeighborsClassifier(n_neighbors=3)),
        'decision-tree-iris': ('iris', 'classifier', lambda: tree.DecisionTreeClassifier(max_depth=3, **small)),
        'decision-tree-wine': ('wine', 'classifier', lambda: tree.DecisionTreeClassifier(max_depth=4, **small)),
        'decision-tree-cancer': ('cancer', 'classifier', lambda: tree.DecisionTreeClassifier(max_depth=4, **small)),
        'random-forest-iris': ('iris', 'classifier', lambda: en.RandomForestClassifier(**trees)),
        'random-forest-wine': ('wine', 'classifier', lambda: en.RandomForestClassifier(**trees)),
        'random-forest-cancer': ('cancer', 'classifier', lambda: en.RandomForestClassifier(**trees)),
        'random-forest-digits': ('digits', 'classifier', lambda: en.RandomForestClassifier(**trees)),
        'extra-trees-iris': ('iris', 'classifier', lambda: en.ExtraTreesClassifier(**trees)),
        'extra-trees-cancer': ('cancer', 'classifier', lambda: en.ExtraTreesClassifier(**trees)),
        'gradient-boosting-iris': ('iris', 'classifier', lambda: en.GradientBoostingClassifier(**trees)),
        'gradient-boosting-cancer': ('cancer', 'classifier', lambda: en.GradientBoostingClassifier(**trees)),
        'hist-gradient-boosting-iris': ('iris', 'classifier', lambda: en.HistGradientBoostingClassifier(max_iter=5, max_depth=3)),
        'hist-gradient-boosting-cancer': ('cancer', 'classifier', lambda: en.HistGradientBoostingClassifier(max_iter=5, max_depth=3)),
        'mlp-classifier-iris': ('iris', 'classifier', lambda: mlp.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2000, **small)),
        'mlp-classifier-digits': ('digits', 'classifier', lambda: mlp.MLPClassifier(hidden_layer_sizes=(32,), max_iter=500, **small)),
        'mlp-tanh-wine': ('wine', 'classifier', lambda: pipe(pre.StandardScaler(), mlp.MLPClassifier(hidden_layer_sizes=(16,), activation='tanh', max_iter=2000, **small))),
        'mlp-logistic-cancer': ('cancer', 'classifier', lambda: pipe(pre.StandardScaler(), mlp.MLPClassifier(hidden_layer_sizes=(8,), activation='logistic', max_iter=2000, **small))),
        'pipeline-minmax-mlp-digits': ('digits', 'classifier', lambda: pipe(pre.MinMaxScaler(), mlp.MLPClassifier(hidden_layer_sizes=(16, 16), max_iter=500, **small))),
        'pipeline-scaler-pca-logistic-wine': ('wine', 'classifier', lambda: pipe(pre.StandardScaler(), dec.PCA(4), lm.LogisticRegression(max_iter=1000))),
        'pipeline-normalizer-logistic-iris': ('iris', 'classifier', lambda: pipe(pre.Normalizer(), lm.LogisticRegression(max_iter=1000))),
        'pipeline-binarizer-logistic-digits': ('digits', 'classifier', lambda: pipe(pre.Binarizer(threshold=8.0), lm.LogisticRegression(max_iter=1000))),
        'pipeline-poly-logistic-iris': ('iris', 'classifier', lambda: pipe(pre.PolynomialFeatures(2), pre.StandardScaler(), lm.LogisticRegression(max_iter=2000))),
        # Transformers on their own (the output is the transformed row).
        'standard-scaler-wine': ('wine', 'transform', lambda: pre.StandardScaler()),
        'minmax-scaler-iris': ('iris', 'transform', lambda: pre.MinMaxScaler()),
        'maxabs-scaler-diabetes': ('diabetes', 'transform', lambda: pre.MaxAbsScaler()),
        'robust-scaler-iris': ('iris', 'transform', lambda: pre.RobustScaler()),
        'pca-iris': ('iris', 'transform', lambda: dec.PCA(2)),
        'pca-digits': ('digits', 'transform', lambda: dec.PCA(8)),
        'truncated-svd-digits': ('digits', 'transform', lambda: dec.TruncatedSVD(8, **small)),
        'polynomial-features-iris': ('iris', 'transform', lambda: pre.PolynomialFeatures(2)),
        'normalizer-l2-iris': ('iris', 'transform', lambda: pre.Normalizer('l2')),
        'normalizer-l1-iris': ('iris', 'transform', lambda: pre.Normalizer('l1')),
        'normalizer-max-iris': ('iris', 'transform', lambda: pre.Normalizer('max')),
        'binarizer-iris': ('iris', 'transform', lambda: pre.Binarizer(threshold=3.0)),
    }


def boosted_models():
    """name -> (dataset, task, source, factory): xgboost and lightgbm, converted by onnxmltools."""
    def xgb(kind, **kw):
        import xgboost
        return lambda: getattr(xgboost, kind)(n_estimators=5, max_depth=3, random_state=SEED, **kw)

    def lgbm(kind, **kw):
        import lightgbm
        return lambda: getattr(lightgbm, kind)(n_estimators=5, max_depth=3, num_leaves=8, random_state=SEED, verbose=-1, **kw)

    return {
        'xgboost-classifier-iris': ('iris', 'classifier', 'xgboost', xgb('XGBClassifier')),
        'xgboost-classifier-cancer': ('cancer', 'classifier', 'xgboost', xgb('XGBClassifier')),
        'xgboost-classifier-wine': ('wine', 'classifier', 'xgboost', xgb('XGBClassifier')),
        'xgboost-regressor-diabetes': ('diabetes', 'regressor', 'xgboost', xgb('XGBRegressor')),
        'lightgbm-classifier-iris': ('iris', 'classifier', 'lightgbm', lgbm('LGBMClassifier')),
        'lightgbm-classifier-cancer': ('cancer', 'classifier', 'lightgbm', lgbm('LGBMClassifier')),
        'lightgbm-classifier-wine': ('wine', 'classifier', 'lightgbm', lgbm('LGBMClassifier')),
        'lightgbm-regressor-diabetes': ('diabetes', 'regressor', 'lightgbm', lgbm('LGBMRegressor')),
    }


def torch_models():
    """name -> (dataset, task, factory returning a trained torch module, input shape per row)."""
    try:
        import torch  # noqa: F401
    except ImportError:
        return {}
    import torch
    from torch import nn

    def trained(build, dataset, shape, epochs=200):
        def make(x, y):
            torch.manual_seed(SEED)
            net = build()
            xs, ys = torch.tensor(x).reshape(-1, *shape), torch.tensor(y)
            opt = torch.optim.Adam(net.parameters(), lr=0.01)
            regress = dataset == 'diabetes'
            for _ in range(epochs):
                opt.zero_grad()
                out = net(xs)
                loss = nn.functional.mse_loss(out.squeeze(-1), ys.float() / 100) if regress else nn.functional.cross_entropy(out, ys.long())
                loss.backward()
                opt.step()
            return net.eval()
        return make

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed, self.norm = nn.Linear(8, 16), nn.LayerNorm(16)
            self.attn = nn.MultiheadAttention(16, 2, batch_first=True)
            self.head = nn.Linear(16, 10)

        def forward(self, x):
            h = self.norm(self.embed(x))
            a, _ = self.attn(h, h, h, need_weights=False)
            return self.head((h + a).mean(dim=1))

    class Recurrent(nn.Module):
        def __init__(self, cell):
            super().__init__()
            self.cell, self.head = cell(8, 16, batch_first=True), nn.Linear(16, 10)

        def forward(self, x):
            out, _ = self.cell(x)
            return self.head(out[:, -1])

    return {
        'torch-mlp-iris': ('iris', 'classifier', trained(lambda: nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 3)), 'iris', (4,)), (4,)),
        'torch-mlp-gelu-wine': ('wine', 'classifier', trained(lambda: nn.Sequential(nn.BatchNorm1d(13), nn.Linear(13, 16), nn.GELU(), nn.Linear(16, 3)), 'wine', (13,)), (13,)),
        'torch-mlp-silu-cancer': ('cancer', 'classifier', trained(lambda: nn.Sequential(nn.BatchNorm1d(30), nn.Linear(30, 16), nn.SiLU(), nn.Dropout(0.1), nn.Linear(16, 2)), 'cancer', (30,)), (30,)),
        'torch-mlp-regressor-diabetes': ('diabetes', 'regressor', trained(lambda: nn.Sequential(nn.Linear(10, 16), nn.Tanh(), nn.Linear(16, 1)), 'diabetes', (10,)), (10,)),
        'torch-cnn-digits': ('digits', 'classifier', trained(lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(4, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(32, 10)), 'digits', (1, 8, 8), 60), (1, 8, 8)),
        'torch-cnn-bn-avgpool-digits': ('digits', 'classifier', trained(lambda: nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(64, 10)), 'digits', (1, 8, 8), 60), (1, 8, 8)),
        'torch-cnn-gap-digits': ('digits', 'classifier', trained(lambda: nn.Sequential(nn.Conv2d(1, 8, 3, padding=1), nn.LeakyReLU(0.1), nn.Conv2d(8, 10, 3, padding=1), nn.AdaptiveAvgPool2d(1), nn.Flatten()), 'digits', (1, 8, 8), 60), (1, 8, 8)),
        'torch-rnn-digits': ('digits', 'classifier', trained(lambda: Recurrent(nn.RNN), 'digits', (8, 8), 60), (8, 8)),
        'torch-gru-digits': ('digits', 'classifier', trained(lambda: Recurrent(nn.GRU), 'digits', (8, 8), 60), (8, 8)),
        'torch-lstm-digits': ('digits', 'classifier', trained(lambda: Recurrent(nn.LSTM), 'digits', (8, 8), 60), (8, 8)),
        'torch-attention-digits': ('digits', 'classifier', trained(Attention, 'digits', (8, 8), 60), (8, 8)),
    }


def export_sklearn(model, n_features):
    from sklearn.base import is_classifier
    from skl2onnx import to_onnx
    # ZipMap off (the documented option) on the classifier itself, the last step of a pipeline;
    # a converter without the option (LinearSVC) has no ZipMap to switch off.
    last = model.steps[-1][1] if hasattr(model, 'steps') else model
    x = np.zeros((1, n_features), dtype=np.float32)
    opsets = {'': 17, 'ai.onnx.ml': 3}
    if not is_classifier(last):
        return to_onnx(model, x, target_opset=opsets)
    try:
        return to_onnx(model, x, options={id(last): {'zipmap': False}}, target_opset=opsets)
    except NameError:
        return to_onnx(model, x, target_opset=opsets)


def export_boosted(model, n_features, source):
    from onnxmltools.convert import convert_lightgbm, convert_xgboost
    from onnxmltools.convert.common.data_types import FloatTensorType
    types = [('X', FloatTensorType([None, n_features]))]
    if source == 'xgboost':
        return convert_xgboost(model, initial_types=types, target_opset=15)
    return convert_lightgbm(model, initial_types=types, target_opset=15, zipmap=False)


def export_torch(net, shape):
    import io

    import onnx
    import torch
    buffer = io.BytesIO()
    kwargs = {'dynamo': False} if 'dynamo' in torch.onnx.export.__code__.co_varnames else {}
    torch.onnx.export(net, torch.zeros(1, *shape), buffer, input_names=['X'], output_names=['logits'],
                      dynamic_axes={'X': {0: 'batch'}, 'logits': {0: 'batch'}}, opset_version=17, **kwargs)
    return onnx.load_from_string(buffer.getvalue())


def write(name, out_dir, proto, meta, x_train, x_test, shape=None):
    import onnx
    import onnxruntime as ort
    dir = os.path.join(out_dir, name)
    os.makedirs(dir, exist_ok=True)
    onnx.save(proto, os.path.join(dir, 'model.onnx'))
    session = ort.InferenceSession(proto.SerializeToString(), providers=['CPUExecutionProvider'])
    feed = session.get_inputs()[0].name
    names = [o.name for o in session.get_outputs()]
    rows = [session.run(None, {feed: x_test[i:i + 1].reshape(1, *(shape or x_test.shape[1:]))}) for i in range(len(x_test))]
    outputs = {n: [np.asarray(r[j], dtype=np.float64).reshape(-1).tolist() for r in rows] for j, n in enumerate(names)}
    meta = {**meta, 'output': meta.get('output') or names[0]}
    for file, value in [('calibration.json', x_train[:CALIBRATION_ROWS].tolist()), ('test.json', {'inputs': x_test.tolist(), 'outputs': outputs}), ('meta.json', meta)]:
        with open(os.path.join(dir, file), 'w') as f:
            json.dump(value, f)


def main(out_dir, only):
    os.makedirs(out_dir, exist_ok=True)
    failed_file = os.path.join(out_dir, 'failed.json')
    # A run of some NAMEs keeps the other models' converter failures.
    failed = {}
    if only and os.path.exists(failed_file):
        with open(failed_file) as f:
            failed = {k: v for k, v in json.load(f).items() if k not in only}
    jobs = []
    for name, (dataset, task, make) in sklearn_models().items():
        jobs.append((name, dataset, task, 'scikit-learn', make, None))
    for name, (dataset, task, source, make) in boosted_models().items():
        jobs.append((name, dataset, task, source, make, None))
    for name, (dataset, task, make, shape) in torch_models().items():
        jobs.append((name, dataset, task, 'pytorch', make, shape))
    for name, dataset, task, source, make, shape in jobs:
        if only and name not in only:
            continue
        try:
            x_train, x_test, y_train = split(dataset)
            if source == 'pytorch':
                proto = export_torch(make(x_train, y_train), shape)
                meta = {'source': source, 'dataset': dataset, 'estimator': name, 'task': task}
            else:
                model = make()
                model.fit(x_train, y_train) if task != 'transform' else model.fit(x_train)
                proto = export_sklearn(model, x_train.shape[1]) if source == 'scikit-learn' else export_boosted(model, x_train.shape[1], source)
                meta = {'source': source, 'dataset': dataset, 'estimator': type(model).__name__ if not hasattr(model, 'steps') else '+'.join(type(s).__name__ for _, s in model.steps), 'task': task}
            write(name, out_dir, proto, meta, x_train, x_test, shape)
            print(f'exported {name}', file=sys.stderr)
        except Exception as e:  # a converter's failure is a finding, recorded, not a stop
            failed[name] = {'source': source, 'error': f'{type(e).__name__}: {e}'.splitlines()[0][:300]}
            print(f'not exported {name}: {failed[name]["error"]}', file=sys.stderr)
            traceback.print_exc(limit=2)
    with open(failed_file, 'w') as f:
        json.dump(failed, f, indent=1)


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1], set(sys.argv[2:]))
