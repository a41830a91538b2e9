"""Training and evaluating the check-worthiness model (see ``scoring.py`` for inference).

Everything here is deterministic: the same data gives the same weights and a
byte-identical ``.npz`` file. Hyperparameters are chosen by cross-validation on the
training file only, grouped by debate so that sentences of one debate never sit on both
sides of a split. Held-out evaluation files are only ever passed as ``exclude_texts``.

With ClaimBuster's three labels the model has two stages (see ``scoring.py``): factual
(Verdict 0 or 1) vs non-factual (-1) on every sentence, and check-worthy (1) vs unimportant
(0) on the factual ones. Unimportant factual sentences look like claims (numbers, names,
past tense) yet are negatives; giving them their own stage raised grouped cross-validated
average precision on every fold, where down-weighting them or ensembling did not.

The features (``FeatureConfig``'s defaults) were chosen the same way, by grouped
cross-validation on the training file: character 1-6-grams and sublinear term frequencies
raised average precision on each of the five folds. Naive Bayes feature scaling, masking
whole numbers, word-only or character-only ensembles, a linear SVM, class weighting, a
learned combination of the stages and other threshold rules did not help.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GroupKFold, StratifiedKFold

from .scoring import (
    META_FILE,
    WEIGHTS_FILE,
    CheckWorthinessModel,
    FeatureConfig,
    Featurizer,
    combine_margins,
)

MODEL_FORMAT = 2
DEFAULT_C_GRID = (2.0, 4.0, 8.0, 16.0)
N_FOLDS = 5
_NON_WORD = re.compile(r"\W+")


@dataclass
class TrainingArtifacts:
    weights: np.ndarray  # one row per stage
    bias: np.ndarray  # one per stage
    calibration: tuple[float, float]
    threshold: float
    config: FeatureConfig
    metadata: dict = field(default_factory=dict)

    @property
    def version(self) -> str:
        digest = hashlib.sha256(self.weights.tobytes() + self.bias.astype(np.float64).tobytes())
        return f"cw{MODEL_FORMAT}-{digest.hexdigest()[:12]}"

    def to_model(self) -> CheckWorthinessModel:
        return CheckWorthinessModel(
            weights=self.weights,
            bias=self.bias,
            calibration=self.calibration,
            config=self.config,
            threshold=self.threshold,
            version=self.version,
            metadata=self.metadata,
        )


# --- reading data -------------------------------------------------------------------------


def read_table(path: str | Path) -> list[dict[str, str]]:
    """Rows of a CSV or TSV file with a header row, as dicts.

    TSV is read with ``QUOTE_NONE``: the CLEF files hold unbalanced quotation marks inside
    sentences, and treating them as CSV quoting would swallow whole lines.
    """
    path = Path(path)
    with path.open(encoding="utf-8", newline="") as handle:
        if _is_tsv(path, handle.readline()):
            handle.seek(0)
            return list(csv.DictReader(handle, delimiter="\t", quoting=csv.QUOTE_NONE))
        handle.seek(0)
        return list(csv.DictReader(handle))


def _is_tsv(path: Path, header: str) -> bool:
    if path.suffix.lower() in (".tsv", ".tab"):
        return True
    if path.suffix.lower() == ".csv":
        return False
    return header.count("\t") > header.count(",")


def normalise_text(text: str) -> str:
    """Lowercase words only: the key for finding held-out sentences in training data."""
    return _NON_WORD.sub(" ", text.lower()).strip()


def sha256_file(path: str | Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def load_claimbuster(
    path: str | Path, *, exclude_texts: Iterable[str] = ()
) -> tuple[list[str], np.ndarray, list[str], int]:
    """Texts, verdicts (1 check-worthy, 0 unimportant factual, -1 non-factual), debate ids,
    and the number of rows dropped as held-out."""
    excluded = {normalise_text(t) for t in exclude_texts}
    texts, labels, groups = [], [], []
    dropped = 0
    for row in read_table(path):
        if normalise_text(row["Text"]) in excluded:
            dropped += 1
            continue
        texts.append(row["Text"])
        labels.append(int(row["Verdict"]))
        groups.append(row.get("File_id", ""))
    return texts, np.array(labels, dtype=np.int8), groups, dropped


# --- training -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    name: str
    rows: np.ndarray  # bool: the sentences this stage learns from
    target: np.ndarray  # 0/1 over all sentences


def stages_for(verdicts: np.ndarray) -> list[Stage]:
    """Two stages when the data has all three verdicts, else one binary stage."""
    everything = np.ones(len(verdicts), dtype=bool)
    worthy = (verdicts == 1).astype(np.int8)
    if not ((verdicts == 0).any() and (verdicts == -1).any()):
        return [Stage("check-worthy", everything, worthy)]
    factual = verdicts >= 0
    return [
        Stage("factual", everything, factual.astype(np.int8)),
        Stage("check-worthy if factual", factual, worthy),
    ]


def train_model(
    csv_path: str | Path,
    *,
    exclude_texts: Iterable[str] = (),
    seed: int = 0,
    config: FeatureConfig | None = None,
    c_grid: Sequence[float] = DEFAULT_C_GRID,
) -> TrainingArtifacts:
    """Fit the model on a ClaimBuster-style CSV, choosing each stage's C by grouped CV.

    Each stage's C maximises the cross-validated average precision of that stage's own
    task. The out-of-fold margins of the chosen Cs, combined as in scoring, fit the Platt
    calibration and the default threshold (the one maximising F1 of the check-worthy
    class), so neither sees its own rows. ``f1_threshold_from_other_folds`` checks how well
    that threshold rule carries to unseen debates: each fold is cut at the threshold chosen
    on the other folds' scores.
    """
    config = config or FeatureConfig()
    texts, verdicts, groups, dropped = load_claimbuster(csv_path, exclude_texts=exclude_texts)
    labels = (verdicts == 1).astype(np.int8)
    features = Featurizer(config).transform(texts)
    folds = _folds(labels, groups, seed)
    stages = stages_for(verdicts)

    chosen, oof_margins, ap_by_c = [], [], []
    for stage in stages:
        cv = {}
        for c in c_grid:
            margins = _out_of_fold(features, stage, folds, c, seed)
            cv[c] = (average_precision(margins[stage.rows], stage.target[stage.rows]), margins)
        best_c = max(c_grid, key=lambda c: (cv[c][0], -c))
        chosen.append(best_c)
        oof_margins.append(cv[best_c][1])
        ap_by_c.append({str(c): round(cv[c][0], 4) for c in c_grid})
    combined = combine_margins(np.column_stack(oof_margins))
    calibration = _platt(combined, labels, seed)
    oof_scores = _sigmoid(calibration[0] * combined + calibration[1])
    threshold = max_f1_threshold(oof_scores, labels)

    finals = [
        _classifier(c, seed).fit(features[stage.rows], stage.target[stage.rows])
        for stage, c in zip(stages, chosen, strict=True)
    ]
    metadata = {
        "format": MODEL_FORMAT,
        "features": config.to_dict(),
        "training": {
            "file": Path(csv_path).name,
            "sha256": sha256_file(csv_path),
            "rows": len(texts),
            "positives": int(labels.sum()),
            "dropped_as_heldout": dropped,
            "seed": seed,
            "classifier": "LogisticRegression(solver='liblinear', dual=True) per stage",
            "stages": [
                {"name": stage.name, "rows": int(stage.rows.sum()), "C": c}
                for stage, c in zip(stages, chosen, strict=True)
            ],
            "sklearn": sklearn_version,
        },
        "cross_validation": {
            "folds": N_FOLDS,
            "grouped_by": "File_id" if any(groups) else "",
            "stage_average_precision_by_C": ap_by_c,
            "threshold_rule": "max F1 of the check-worthy class on out-of-fold scores",
            **{k: round(v, 4) for k, v in classification_metrics(oof_scores, labels, threshold)},
            "f1_threshold_from_other_folds": round(
                threshold_from_other_folds_f1(oof_scores, labels, folds), 4
            ),
        },
    }
    return TrainingArtifacts(
        weights=np.vstack([f.coef_.ravel() for f in finals]).astype(np.float32),
        bias=np.array([f.intercept_[0] for f in finals], dtype=np.float64),
        calibration=calibration,
        threshold=round(threshold, 4),
        config=config,
        metadata=metadata,
    )


def _classifier(c: float, seed: int) -> LogisticRegression:
    # The dual liblinear solver is several times faster here: features far outnumber rows.
    return LogisticRegression(C=c, solver="liblinear", dual=True, max_iter=2000, random_state=seed)


def _folds(labels: np.ndarray, groups: list[str], seed: int) -> list[tuple[np.ndarray, np.ndarray]]:
    if len(set(groups)) >= N_FOLDS:
        return list(GroupKFold(N_FOLDS).split(labels, labels, groups))
    splitter = StratifiedKFold(N_FOLDS, shuffle=True, random_state=seed)
    return list(splitter.split(labels, labels))


def _out_of_fold(features, stage: Stage, folds, c: float, seed: int) -> np.ndarray:
    """Margins for every sentence from a model fitted on the stage's rows of other folds."""
    margins = np.zeros(len(stage.target))
    for train, test in folds:
        train = train[stage.rows[train]]
        model = _classifier(c, seed).fit(features[train], stage.target[train])
        margins[test] = model.decision_function(features[test])
    return margins


def _platt(margins: np.ndarray, labels: np.ndarray, seed: int) -> tuple[float, float]:
    fit = LogisticRegression(C=1e6, random_state=seed).fit(margins.reshape(-1, 1), labels)
    return round(float(fit.coef_[0, 0]), 6), round(float(fit.intercept_[0]), 6)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


# --- metrics ------------------------------------------------------------------------------


def max_f1_threshold(scores: np.ndarray, labels: np.ndarray) -> float:
    """The score cut-off that maximises F1 of the positive class."""
    order = np.argsort(-scores, kind="stable")
    ranked = np.asarray(labels)[order]
    hits = np.cumsum(ranked)
    f1 = 2 * hits / (np.arange(1, len(ranked) + 1) + ranked.sum())
    # Only cut between distinct scores, otherwise the threshold would split ties.
    sorted_scores = scores[order]
    valid = np.append(sorted_scores[1:] < sorted_scores[:-1], True)
    best = int(np.argmax(np.where(valid, f1, -1)))
    return float(sorted_scores[best])


def threshold_from_other_folds_f1(scores: np.ndarray, labels: np.ndarray, folds) -> float:
    """F1 over all folds when each fold is cut at the max-F1 threshold of the other folds."""
    predicted = np.zeros(len(labels), dtype=bool)
    for k, (_, test) in enumerate(folds):
        others = np.concatenate([rows for j, (_, rows) in enumerate(folds) if j != k])
        predicted[test] = scores[test] >= max_f1_threshold(scores[others], labels[others])
    truth = np.asarray(labels).astype(bool)
    return float(2 * (predicted & truth).sum() / (predicted.sum() + truth.sum()))


def classification_metrics(scores, labels, threshold: float) -> list[tuple[str, float]]:
    predicted = np.asarray(scores) >= threshold
    truth = np.asarray(labels).astype(bool)
    tp = int((predicted & truth).sum())
    precision = tp / predicted.sum() if predicted.any() else 0.0
    recall = tp / truth.sum() if truth.any() else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return [
        ("precision", float(precision)),
        ("recall", float(recall)),
        ("f1", float(f1)),
        ("average_precision", average_precision(scores, labels)),
    ]


def average_precision(scores, labels) -> float:
    """Mean precision at the rank of each positive, ties kept in input order (as CLEF does)."""
    ranked = np.asarray(labels)[np.argsort(-np.asarray(scores), kind="stable")].astype(bool)
    if not ranked.any():
        return 0.0
    precision_at = np.cumsum(ranked) / np.arange(1, len(ranked) + 1)
    return float(precision_at[ranked].mean())


def evaluate(
    model: CheckWorthinessModel,
    texts: Sequence[str],
    labels: Sequence[int],
    groups: Sequence[str] | None = None,
    *,
    threshold: float | None = None,
) -> dict:
    """Precision, recall and F1 at the model's threshold, average precision, and MAP.

    MAP is the mean over groups (debates) of each group's average precision, the official
    CLEF CheckThat! measure; groups without a positive sentence are left out, as there.
    """
    scores = model.score(list(texts))
    truth = np.asarray(labels, dtype=np.int8)
    cutoff = model.threshold if threshold is None else threshold
    result: dict = {"n": len(truth), "positives": int(truth.sum()), "threshold": cutoff}
    result.update(classification_metrics(scores, truth, cutoff))
    if groups is not None:
        keys = np.asarray(groups)
        per_group = {
            str(g): average_precision(scores[keys == g], truth[keys == g])
            for g in dict.fromkeys(groups)
            if truth[keys == g].any()
        }
        result["map"] = float(np.mean(list(per_group.values()))) if per_group else 0.0
        result["groups"] = len(per_group)
    return result


# --- saving -------------------------------------------------------------------------------


def save_model(artifacts: TrainingArtifacts, out_dir: str | Path) -> Path:
    """Write ``checkworthiness.npz`` and ``checkworthiness.json``.

    The npz holds the non-zero entries of the (stages x columns) weight matrix by flat
    index, and one bias per stage.
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    flat = artifacts.weights.ravel()
    nonzero = np.flatnonzero(flat).astype(np.int32)
    _write_npz(
        out / WEIGHTS_FILE,
        {
            "indices": nonzero,
            "values": flat[nonzero].astype(np.float32),
            "bias": np.asarray(artifacts.bias, dtype=np.float64),
        },
    )
    meta = {
        **artifacts.metadata,
        "version": artifacts.version,
        "threshold": artifacts.threshold,
        "calibration": list(artifacts.calibration),
        "features": artifacts.config.to_dict(),
        "weights_sha256": sha256_file(out / WEIGHTS_FILE),
    }
    text = json.dumps(meta, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
    (out / META_FILE).write_text(text, encoding="utf-8")
    return out


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    # np.savez stamps the current time into the zip; fixed dates make the file reproducible.
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, array in arrays.items():
            buffer = io.BytesIO()
            np.lib.format.write_array(buffer, np.ascontiguousarray(array), allow_pickle=False)
            info = zipfile.ZipInfo(f"{name}.npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, buffer.getvalue())


# --- the steps behind the management commands ---------------------------------------------


def evaluate_file(
    model: CheckWorthinessModel,
    path: str | Path,
    *,
    text_column: str,
    label_column: str,
    positive: str,
    group_column: str | None = None,
    threshold: float | None = None,
) -> dict:
    rows = read_table(path)
    missing = {text_column, label_column, group_column or text_column} - set(
        rows[0] if rows else ()
    )
    if missing:
        raise ValueError(f"{path}: no column(s) {', '.join(sorted(missing))}")
    return evaluate(
        model,
        [r[text_column] for r in rows],
        [r[label_column].strip() == positive for r in rows],
        [r[group_column] for r in rows] if group_column else None,
        threshold=threshold,
    )


def build_model(
    data: str | Path, *, heldout: str | Path | None, out_dir: str | Path, seed: int = 0
) -> TrainingArtifacts:
    """Train on ``data`` without any sentence of ``heldout``, measure on it, and save."""
    exclude = [r["Text"] for r in read_table(heldout)] if heldout else []
    artifacts = train_model(data, exclude_texts=exclude, seed=seed)
    if heldout:
        metrics = evaluate_file(
            artifacts.to_model(), heldout, text_column="Text", label_column="Verdict", positive="1"
        )
        artifacts.metadata["heldout"] = {
            "file": Path(heldout).name,
            "sha256": sha256_file(heldout),
            **{k: round(v, 4) if isinstance(v, float) else v for k, v in metrics.items()},
        }
    save_model(artifacts, out_dir)
    return artifacts
