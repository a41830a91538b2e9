"""Check-worthiness scoring: linear models over hashed n-grams and a few hand-made cues.

The model follows the three ClaimBuster labels: one linear stage says whether a sentence
states a fact at all (factual vs non-factual), a second whether a factual sentence is worth
checking (check-worthy vs unimportant). The score combines them as
``P(check-worthy) = P(factual) * P(check-worthy | factual)``, then calibrates it. A model
trained on two-class data has a single stage.

The shipped model is the stages' weight vectors in an ``.npz`` file plus a JSON file of
metadata, so loading it never executes code (no pickle). Features come from scikit-learn's
``HashingVectorizer``, which is stateless: the feature configuration in the JSON file is
enough to rebuild it exactly. Training lives in ``training.py``, and the choices here
(character 1-6-grams, sublinear term frequencies) were made by grouped cross-validation there.
"""

from __future__ import annotations

import itertools
import json
import re
from dataclasses import asdict, dataclass
from functools import cache
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction import FeatureHasher
from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, HashingVectorizer

MODEL_DIR = Path(__file__).resolve().parent / "model"
WEIGHTS_FILE = "checkworthiness.npz"
META_FILE = "checkworthiness.json"

# Words and the symbols that carry meaning in claims; "$" and "%" are tokens of their own.
_WORD_REGEX = r"(?u)\b\w+\b|[%$€£]"
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True)
class FeatureConfig:
    n_features: int = 1 << 20
    word_ngrams: tuple[int, int] = (1, 3)
    # Single characters count digits, "$", "%" and "?" and, through the padding space, words.
    char_ngrams: tuple[int, int] = (1, 6)
    use_words: bool = True
    use_chars: bool = True
    use_cues: bool = True
    # 1 + log(count) instead of the count, so a repeated n-gram does not drown the others.
    sublinear_tf: bool = True

    @classmethod
    def from_dict(cls, data: dict) -> FeatureConfig:
        data = {"sublinear_tf": False, **data}  # models saved before the option used counts
        data["word_ngrams"] = tuple(data["word_ngrams"])
        data["char_ngrams"] = tuple(data["char_ngrams"])
        return cls(**data)

    def to_dict(self) -> dict:
        return asdict(self)


def _normalise(text: str) -> str:
    # Mapping every digit to 0 lets "50 percent" and "12 percent" share features.
    return _DIGIT.sub("0", text.lower())


# Hand-made cues for what fact-checkers look for. Each is a 0/1 feature; the model learns
# its weight. They help most on short sentences, where n-grams alone are sparse. Word lists
# are checked with set lookups, which is several times faster than one regex per cue.
_CUE_WORDS = {
    "percent": "percent percentage percentages %",
    "money": "$ € £ dollar dollars euro euros pounds budget tax taxes spend spending spent",
    "large quantity": "hundred hundreds thousand thousands million millions billion billions "
    "trillion trillions",
    "number word": "two three four five six seven eight nine ten twelve twenty thirty forty "
    "fifty half twice double doubled triple tripled quadrupled dozen dozens",
    "comparison": "more less fewer higher lower greater larger smaller bigger than increase "
    "increased increases decrease decreased decreases rose risen fell fallen grew grown cut "
    "doubled decline declined",
    "superlative": "most least largest biggest highest lowest worst best first only record ever",
    "attribution": "said says reported told claimed announced confirmed according",
    "law or vote": "law laws legal illegal bill legislation vote voted votes voting veto vetoed "
    "treaty sanction sanctions constitution constitutional unconstitutional court",
}
_CUE_BIGRAMS = {
    "percent": "per cent",
    "opinion": "i think|i believe|i feel|i want|i hope|we need|we must|we should|let me|"
    "going to|thank you",
}
CUE_NAMES = (
    "number", "year", "percent", "money", "large quantity", "number word", "comparison",
    "superlative", "attribution", "opinion", "law or vote", "question", "named entity",
    "short", "long",
)  # fmt: skip
_CUE_INDEX = {name: i for i, name in enumerate(CUE_NAMES)}
_WORD_CUES: dict[str, list[int]] = {}
for _name, _words in _CUE_WORDS.items():
    for _word in _words.split():
        _WORD_CUES.setdefault(_word, []).append(_CUE_INDEX[_name])
_BIGRAM_CUES = {
    bigram: _CUE_INDEX[name] for name, grams in _CUE_BIGRAMS.items() for bigram in grams.split("|")
}
_CUE_TOKEN = re.compile(r"\w+|[%$€£]")
_YEAR = re.compile(r"\b(?:1[89]|20)\d\d\b")
_NAME_INSIDE = re.compile(r"(?<=\w )[A-Z][a-z]+")
_SHORT, _LONG = 6, 25  # words


def _cue_row(text: str, row: np.ndarray) -> None:
    tokens = _CUE_TOKEN.findall(text.lower())
    for token in tokens:
        for j in _WORD_CUES.get(token, ()):
            row[j] = 1.0
    for bigram in map(" ".join, itertools.pairwise(tokens)):
        j = _BIGRAM_CUES.get(bigram)
        if j is not None:
            row[j] = 1.0
    if _DIGIT.search(text):
        row[_CUE_INDEX["number"]] = 1.0
        row[_CUE_INDEX["year"]] = _YEAR.search(text) is not None
    row[_CUE_INDEX["question"]] = "?" in text
    row[_CUE_INDEX["named entity"]] = _NAME_INSIDE.search(text) is not None
    row[_CUE_INDEX["short"]] = len(tokens) <= _SHORT
    row[_CUE_INDEX["long"]] = len(tokens) >= _LONG


class _CharNgrams:
    """Hashed ``char_wb`` n-gram counts, identical to ``HashingVectorizer(analyzer="char_wb")``.

    scikit-learn builds character n-grams word by word in pure Python, which made it the
    slowest step of scoring. The n-grams of a sentence are those of its words, so the hashed
    columns of each distinct word are computed once and reused from a bounded cache.
    """

    _CACHE_LIMIT = 500_000

    def __init__(self, n_features: int, ngram_range: tuple[int, int]):
        self.n_features = n_features
        self.analyzer = HashingVectorizer(
            analyzer="char_wb", ngram_range=ngram_range, lowercase=False
        ).build_analyzer()
        self.hasher = FeatureHasher(n_features, input_type="string", alternate_sign=False)
        self.cache: dict[str, np.ndarray] = {}

    def _columns(self, word: str) -> np.ndarray:
        columns = self.cache.get(word)
        if columns is None:
            if len(self.cache) >= self._CACHE_LIMIT:
                self.cache.clear()
            row = self.hasher.transform([self.analyzer(word)])
            columns = np.repeat(row.indices, row.data.astype(np.int64)).astype(np.int32)
            self.cache[word] = columns
        return columns

    def counts(self, texts: list[str]) -> sp.csr_matrix:
        pieces = []
        indptr = np.zeros(len(texts) + 1, dtype=np.int64)
        for i, text in enumerate(texts):
            row = [self._columns(w) for w in text.split()]
            pieces.extend(row)
            indptr[i + 1] = indptr[i] + sum(len(c) for c in row)
        indices = np.concatenate(pieces) if pieces else np.zeros(0, dtype=np.int32)
        data = np.ones(len(indices), dtype=np.float32)
        matrix = sp.csr_matrix((data, indices, indptr), shape=(len(texts), self.n_features))
        matrix.sum_duplicates()
        return matrix


def _weigh(counts: sp.csr_matrix, sublinear: bool) -> sp.csr_matrix:
    """Term frequencies (sublinear if asked), each row scaled to unit length."""
    if sublinear:
        counts.data = 1.0 + np.log(counts.data)
    return _l2_normalise(counts)


def _l2_normalise(matrix: sp.csr_matrix) -> sp.csr_matrix:
    # Scaling the stored values row by row; a product with a diagonal matrix cost more than
    # building the n-grams for short batches.
    if not matrix.nnz:
        return matrix
    lengths = np.diff(matrix.indptr)
    # A trailing zero keeps every row start in range for reduceat, even when the last rows
    # are empty; an empty row's (meaningless) sum is replaced below.
    squares = np.add.reduceat(np.append(matrix.data**2, np.float32(0)), matrix.indptr[:-1])
    norms = np.sqrt(np.where(lengths > 0, squares, 1.0)).astype(np.float32)
    norms[norms == 0] = 1.0
    matrix.data /= np.repeat(norms, lengths)
    return matrix


class Featurizer:
    """Turns sentences into one sparse row each: [word n-grams | char n-grams | cues]."""

    def __init__(self, config: FeatureConfig):
        self.config = config
        self.words = HashingVectorizer(
            n_features=config.n_features,
            alternate_sign=False,
            norm=None,
            dtype=np.float32,
            preprocessor=_normalise,
            token_pattern=_WORD_REGEX,
            ngram_range=config.word_ngrams,
        )
        self.chars = _CharNgrams(config.n_features, config.char_ngrams)
        self.word_analyzer = self.words.build_analyzer()
        # Same tokens as word_analyzer, but with the digits kept, for showing to people.
        self.display_analyzer = HashingVectorizer(
            preprocessor=str.lower, token_pattern=_WORD_REGEX, ngram_range=config.word_ngrams
        ).build_analyzer()
        self.hasher = FeatureHasher(
            n_features=config.n_features, input_type="string", alternate_sign=False
        )

    @property
    def n_columns(self) -> int:
        return 2 * self.config.n_features + len(CUE_NAMES)

    @property
    def cue_offset(self) -> int:
        return 2 * self.config.n_features

    def transform(self, texts: list[str]) -> sp.csr_matrix:
        empty = sp.csr_matrix((len(texts), self.config.n_features), dtype=np.float32)
        normalised = [_normalise(t) for t in texts]
        sublinear = self.config.sublinear_tf
        blocks = [
            _weigh(self.words.transform(texts), sublinear) if self.config.use_words else empty,
            _weigh(self.chars.counts(normalised), sublinear) if self.config.use_chars else empty,
            sp.csr_matrix(self.cues(texts)),
        ]
        return sp.hstack(blocks, format="csr", dtype=np.float32)

    def cues(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), len(CUE_NAMES)), dtype=np.float32)
        if not self.config.use_cues:
            return out
        for text, row in zip(texts, out, strict=True):
            _cue_row(text, row)
        return out

    def word_columns(self, text: str) -> dict[str, int]:
        """The readable word n-grams of ``text`` and the column each one hashes to."""
        pairs = dict(zip(self.display_analyzer(text), self.word_analyzer(text), strict=True))
        if not pairs:
            return {}
        rows = self.hasher.transform([[hashed] for hashed in pairs.values()]).tocsr()
        return {shown: int(rows.indices[i]) for i, shown in enumerate(pairs)}


class CheckWorthinessModel:
    """``score = sigmoid(a * z + c)`` with ``z = sum_k log sigmoid(x . w_k + b_k)``.

    Each stage ``k`` is a linear model; ``z`` is the log of the product of their
    probabilities, and ``(a, c)`` its Platt calibration. Format 1 models (one stage,
    ``z = x . w + b``) still load.
    """

    def __init__(
        self,
        *,
        weights: np.ndarray,
        bias: np.ndarray | list[float],
        calibration: tuple[float, float],
        config: FeatureConfig,
        threshold: float,
        version: str,
        metadata: dict | None = None,
        stage_product: bool = True,
    ):
        self.weights = np.atleast_2d(np.asarray(weights, dtype=np.float32))
        self.bias = np.atleast_1d(np.asarray(bias, dtype=np.float64))
        self.calibration = (float(calibration[0]), float(calibration[1]))
        self.config = config
        self.threshold = float(threshold)
        self.version = version
        self.metadata = metadata or {}
        self.stage_product = stage_product
        self.featurizer = Featurizer(config)
        expected = (len(self.bias), self.featurizer.n_columns)
        if self.weights.shape != expected:
            raise ValueError(f"weights have shape {self.weights.shape}, features need {expected}")
        # Column-major (features x stages) makes the sparse product a single pass.
        self._columns = np.ascontiguousarray(self.weights.T)

    @classmethod
    def load(cls, path: str | Path | None = None) -> CheckWorthinessModel:
        """Load from a model directory (default: the shipped model)."""
        folder = Path(path) if path is not None else MODEL_DIR
        meta = json.loads((folder / META_FILE).read_text(encoding="utf-8"))
        config = FeatureConfig.from_dict(meta["features"])
        n_columns = 2 * config.n_features + len(CUE_NAMES)
        with np.load(folder / WEIGHTS_FILE, allow_pickle=False) as arrays:
            bias = arrays["bias"].astype(np.float64)
            # Non-zero entries of the (stages x columns) weight matrix, by flat index.
            weights = np.zeros(len(bias) * n_columns, dtype=np.float32)
            weights[arrays["indices"]] = arrays["values"]
        return cls(
            weights=weights.reshape(len(bias), n_columns),
            bias=bias,
            calibration=tuple(meta["calibration"]),
            config=config,
            threshold=meta["threshold"],
            version=meta["version"],
            metadata=meta,
            stage_product=meta.get("format", 1) >= 2,
        )

    def margins(self, texts: list[str]) -> np.ndarray:
        """Each stage's linear margin, one row per text and one column per stage."""
        if not texts:
            return np.zeros((0, len(self.bias)), dtype=np.float64)
        return self.featurizer.transform(list(texts)) @ self._columns + self.bias

    def decision_from_margins(self, margins: np.ndarray) -> np.ndarray:
        return combine_margins(margins) if self.stage_product else margins[:, 0]

    def decision(self, texts: list[str]) -> np.ndarray:
        """Uncalibrated scores; ranking by these equals ranking by ``score``."""
        return self.decision_from_margins(self.margins(texts))

    def score_from_margins(self, margins: np.ndarray) -> np.ndarray:
        a, c = self.calibration
        return 1.0 / (1.0 + np.exp(-(a * self.decision_from_margins(margins) + c)))

    def score(self, texts: list[str]) -> np.ndarray:
        return self.score_from_margins(self.margins(texts))

    def top_features(
        self, text: str, k: int = 3, *, margins: np.ndarray | None = None
    ) -> list[str]:
        """The readable word n-grams pushing ``text`` hardest towards check-worthy.

        ``margins`` (the text's row of ``margins()``) saves featurizing the text again.
        """
        grams = self.featurizer.word_columns(text)
        if not grams:
            return []
        slopes = [1.0]
        if self.stage_product:
            # How much a unit of each feature moves z for this text: each stage's weight
            # scaled by how far the stage is from certain (the slope of log sigmoid).
            row = self.margins([text])[0] if margins is None else np.asarray(margins)
            slopes = 1.0 / (1.0 + np.exp(row))
        columns = np.fromiter(grams.values(), dtype=np.int64, count=len(grams))
        effect = np.asarray(slopes, dtype=np.float64) @ self.weights[:, columns]
        weights = {g: float(e) for g, e in zip(grams, effect, strict=True) if _is_readable(g)}
        ranked = sorted(weights.items(), key=lambda item: (-item[1], item[0]))
        return [gram for gram, weight in ranked[:k] if weight > 0]


def combine_margins(margins: np.ndarray) -> np.ndarray:
    """``sum_k log sigmoid(m_k)``: the log probability that every stage says yes."""
    return -np.logaddexp(0.0, -np.asarray(margins, dtype=np.float64)).sum(axis=1)


def _is_readable(gram: str) -> bool:
    """Worth showing to a reviewer: at least one token is a content word, not "the" or "000"."""
    return any(
        len(token) > 1 and not token.isdigit() and token not in ENGLISH_STOP_WORDS
        for token in gram.split()
    )


@cache
def default_model() -> CheckWorthinessModel:
    return CheckWorthinessModel.load()
