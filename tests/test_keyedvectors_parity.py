"""KeyedVectors against gensim's: the same vectors in both, every query compared (values,
types, order), the edge cases glassnet decides on its own, Word Mover's Distance against
an exact oracle, and gensim's pickles refused without being unpickled."""

from __future__ import annotations

import gzip
import logging
import os
import pickle
import warnings

import numpy as np
import pytest

from glassnet.word2vec import FormatError, KeyedVectors, Word2Vec
from glassnet.word2vec._transport import emd

N, D = 50, 8
WORDS = [f"w{i}" for i in range(N - 2)] + ["café", "über"]


def matrix(seed=0, dtype=np.float32):
    return np.random.default_rng(seed).standard_normal((N, D)).astype(dtype)


def ours_kv(seed=0, dtype=np.float32):
    kv = KeyedVectors(D, dtype=dtype)
    kv.add_vectors(WORDS, matrix(seed, dtype))
    return kv


@pytest.fixture(params=[np.float32, np.float64], ids=["f32", "f64"])
def pair(request):
    """Fresh for each test: gensim's similarity() scales float64 vectors in place."""
    gensim_models = pytest.importorskip("gensim.models")
    g = gensim_models.KeyedVectors(D, dtype=request.param)
    g.add_vectors(WORDS, matrix(dtype=request.param))
    return ours_kv(dtype=request.param), g


def same(ours, theirs, atol=2e-6):
    """Equal results: same container types, keys, dtypes; numbers within atol."""
    if isinstance(theirs, list):
        assert isinstance(ours, list) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            same(a, b, atol)
    elif isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            same(a, b, atol)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray), type(ours)
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, \
            (ours.shape, ours.dtype, theirs.shape, theirs.dtype)
        assert np.allclose(ours, theirs, atol=atol, equal_nan=True)
    elif isinstance(theirs, (np.generic, float)):
        assert type(ours) is type(theirs), (type(ours), type(theirs))
        assert np.isclose(ours, theirs, atol=atol)
    else:
        assert ours == theirs


def _unit(v):
    return v / np.linalg.norm(v)


VEC = np.random.default_rng(7).standard_normal(D).astype(np.float32) * 3.0

# (name, query): each query runs on our KeyedVectors and on gensim's with the same vectors
QUERIES = [
    ("most_similar key", lambda kv: kv.most_similar("w3", topn=5)),
    ("most_similar default topn", lambda kv: kv.most_similar("w3")),
    ("most_similar pos/neg", lambda kv: kv.most_similar(positive=["w1", "w2"],
                                                        negative=["w5"], topn=7)),
    ("most_similar weighted", lambda kv: kv.most_similar(
        positive=[("w1", 0.5), ("w2", 2.0)], negative=[("w9", -0.7)], topn=6)),
    ("most_similar unicode", lambda kv: kv.most_similar(positive="café", negative="über",
                                                        topn=4)),
    ("most_similar int key", lambda kv: kv.most_similar(4, topn=5)),
    ("most_similar raw vector", lambda kv: kv.most_similar(positive=[VEC], topn=5)),
    ("most_similar key + raw vector", lambda kv: kv.most_similar(positive=["w1", VEC],
                                                                 topn=5)),
    ("most_similar 2-D array", lambda kv: kv.most_similar(
        positive=np.stack([VEC, kv["w2"]]), topn=5)),
    ("most_similar topn=None", lambda kv: kv.most_similar("w3", topn=None)),
    ("most_similar topn=0", lambda kv: kv.most_similar("w3", topn=0)),
    ("most_similar topn<0", lambda kv: kv.most_similar("w3", topn=-2)),
    ("most_similar topn numpy int", lambda kv: kv.most_similar("w3", topn=np.int64(3))),
    ("most_similar topn > vocab", lambda kv: kv.most_similar(["w3", "w4"], topn=1000)),
    ("most_similar restrict_vocab", lambda kv: kv.most_similar("w3", topn=5,
                                                               restrict_vocab=20)),
    ("most_similar restrict_vocab None", lambda kv: kv.most_similar("w30", topn=None,
                                                                    restrict_vocab=20)),
    ("most_similar clip", lambda kv: kv.most_similar("w3", topn=5, clip_start=10,
                                                     clip_end=40)),
    ("most_similar clip None", lambda kv: kv.most_similar("w3", topn=None, clip_start=10,
                                                          clip_end=40)),
    ("similar_by_word", lambda kv: kv.similar_by_word("w8", topn=3)),
    ("similar_by_word None", lambda kv: kv.similar_by_word("w8", topn=None)),
    ("similar_by_key", lambda kv: kv.similar_by_key("w8", topn=3, restrict_vocab=30)),
    ("similar_by_vector", lambda kv: kv.similar_by_vector(VEC, topn=4)),
    ("similar_by_vector unit", lambda kv: kv.similar_by_vector(kv.get_vector("w6"), topn=4)),
    ("cosmul", lambda kv: kv.most_similar_cosmul(positive=["w1", "w2"], negative=["w5"],
                                                 topn=5)),
    ("cosmul single strings", lambda kv: kv.most_similar_cosmul("w1", "w2", topn=5)),
    ("cosmul unit vector", lambda kv: kv.most_similar_cosmul(
        positive=[kv.get_vector("w3", norm=True), "w4"], topn=5)),
    ("cosmul raw vector", lambda kv: kv.most_similar_cosmul(positive=[VEC], topn=5)),
    ("cosmul None", lambda kv: kv.most_similar_cosmul(positive=["w1"], negative=["w2"],
                                                      topn=None)),
    ("cosmul topn=0", lambda kv: kv.most_similar_cosmul("w1", topn=0)),
    ("similarity", lambda kv: kv.similarity("w1", "café")),
    ("similarity self", lambda kv: kv.similarity("w1", "w1")),
    ("distance", lambda kv: kv.distance("w1", "w2")),
    ("n_similarity", lambda kv: kv.n_similarity(["w1", "w2", "w3"], ["w4", "über"])),
    ("n_similarity vectors", lambda kv: kv.n_similarity(["w1", VEC], ["w4"])),
    ("distances all", lambda kv: kv.distances("w1")),
    ("distances some", lambda kv: kv.distances("w1", ["w2", "w7", "über"])),
    ("distances vector", lambda kv: kv.distances(VEC, ("w2", "w3"))),
    ("distances float64 vector", lambda kv: kv.distances(VEC.astype(np.float64))),
    ("cosine_similarities", lambda kv: kv.cosine_similarities(VEC, kv.vectors[:10])),
    ("cosine_similarities f64", lambda kv: type(kv).cosine_similarities(
        VEC.astype(np.float64), kv.vectors[:10].astype(np.float64))),
    ("rank", lambda kv: [kv.rank("w1", w) for w in WORDS]),
    ("rank int keys", lambda kv: kv.rank(1, 2)),
    ("closer_than", lambda kv: kv.closer_than("w1", "w20")),
    ("closer_than self", lambda kv: kv.closer_than("w1", "w1")),
    ("doesnt_match", lambda kv: kv.doesnt_match(["w1", "w2", "w3", "über", "w11"])),
    ("doesnt_match one", lambda kv: kv.doesnt_match(["w1"])),
    ("rank_by_centrality", lambda kv: kv.rank_by_centrality(["w1", "w2", "w3", "w4"])),
    ("rank_by_centrality raw", lambda kv: kv.rank_by_centrality(["w1", "w2", "w3"],
                                                                use_norm=False)),
    ("most_similar_to_given", lambda kv: kv.most_similar_to_given("w1", ["w2", "w3", "w4",
                                                                         "w5"])),
    ("relative_cosine_similarity", lambda kv: kv.relative_cosine_similarity("w1", "w2")),
    ("relative_cosine_similarity topn", lambda kv: kv.relative_cosine_similarity("w1", "w9",
                                                                                 topn=3)),
    ("get_mean_vector", lambda kv: kv.get_mean_vector(["w1", "w2", "w3"])),
    ("get_mean_vector weights", lambda kv: kv.get_mean_vector(["w1", "w2"], [0.3, -2.0])),
    ("get_mean_vector raw post", lambda kv: kv.get_mean_vector(
        ["w1", "w2"], pre_normalize=False, post_normalize=True)),
    ("get_mean_vector missing", lambda kv: kv.get_mean_vector(["w1", "nope", "w2"])),
    ("get_mean_vector all missing", lambda kv: kv.get_mean_vector(["nope"])),
    ("get_mean_vector array", lambda kv: kv.get_mean_vector([VEC, "w3"], [2.0, 1.0])),
    ("get_vector", lambda kv: kv.get_vector("w5")),
    ("get_vector norm", lambda kv: kv.get_vector("w5", norm=True)),
    ("getitem list", lambda kv: kv[["w5", "w1", 3]]),
    ("get_normed_vectors", lambda kv: kv.get_normed_vectors()),
    ("contains", lambda kv: ["w1" in kv, "nope" in kv, 3 in kv, 50 in kv, -1 in kv]),
    ("has_index_for", lambda kv: [kv.has_index_for("café"), kv.has_index_for("x")]),
    ("get_index", lambda kv: [kv.get_index("w7"), kv.get_index("x", 99), kv.get_index(2)]),
    ("index_to_key", lambda kv: kv.index_to_key[:5] + [len(kv.key_to_index)]),
    ("str", lambda kv: str(kv)),
]


# gensim casts these to float32 even for float64 vectors; glassnet keeps the vectors' dtype
DOWNCAST = {"rank_by_centrality", "rank_by_centrality raw", "get_mean_vector raw post"}


def _as_float32(x):
    if isinstance(x, list):
        return [_as_float32(v) for v in x]
    if isinstance(x, tuple):
        return tuple(_as_float32(v) for v in x)
    if isinstance(x, (np.ndarray, np.generic)) and x.dtype == np.float64:
        return x.astype(np.float32)
    return x


@pytest.mark.parametrize("name, query", QUERIES, ids=[n for n, _ in QUERIES])
def test_query_matches_gensim(pair, name, query):
    ours, theirs = pair
    got = query(ours)
    if name in DOWNCAST and ours.vectors.dtype == np.float64:
        got = _as_float32(got)
    same(got, query(theirs))


def test_deprecated_aliases_match_gensim(pair):
    ours, theirs = pair
    for call in (lambda kv: kv.words_closer_than("w1", "w20"),
                 lambda kv: kv.word_vec("w3")):
        with pytest.warns(DeprecationWarning):
            a = call(ours)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            b = call(theirs)
        same(a, b)


@pytest.mark.parametrize("call", [
    lambda kv: kv.most_similar("nope"),
    lambda kv: kv.most_similar(positive=["w1"], negative=["nope"]),
    lambda kv: kv.most_similar([("nope", 2.0)]),
    lambda kv: kv.most_similar_cosmul(positive=["w1", "nope"]),
    lambda kv: kv.similar_by_word("nope"),
    lambda kv: kv.similarity("w1", "nope"),
    lambda kv: kv.distance("nope", "w1"),
    lambda kv: kv.distances("nope"),
    lambda kv: kv.distances("w1", ["w2", "nope"]),
    lambda kv: kv.rank("w1", "nope"),
    lambda kv: kv.closer_than("nope", "w1"),
    lambda kv: kv.most_similar_to_given("w1", ["w2", "nope"]),
    lambda kv: kv.relative_cosine_similarity("w1", "nope"),
    lambda kv: kv.get_mean_vector(["w1", "nope"], ignore_missing=False),
    lambda kv: kv["nope"],
    lambda kv: kv.get_vector("nope"),
    lambda kv: kv.get_index(N),
])
def test_unknown_key_is_a_key_error_naming_it_in_both(pair, call):
    for kv in pair:
        with pytest.raises(KeyError, match=f"{N}|nope"):
            call(kv)


@pytest.mark.parametrize("call, error", [
    (lambda kv: kv.most_similar(), ValueError),
    (lambda kv: kv.most_similar(positive=[], negative=[]), ValueError),
    (lambda kv: kv.most_similar_cosmul(negative=["w1"]), ValueError),
    (lambda kv: kv.n_similarity([], ["w1"]), ZeroDivisionError),
    (lambda kv: kv.n_similarity(["w1"], []), ZeroDivisionError),
    (lambda kv: kv.get_mean_vector([]), ValueError),
    (lambda kv: kv.get_mean_vector(["w1", "w2"], [1.0]), ValueError),
    (lambda kv: kv.doesnt_match(["nope", "nix"]), ValueError),
])
def test_empty_or_mismatched_input_raises_like_gensim(pair, call, error):
    for kv in pair:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with pytest.raises(error):
                call(kv)


def test_doesnt_match_skips_unknown_words_like_gensim(pair):
    ours, theirs = pair
    words = ["w1", "w2", "nope", "w3", "über"]
    with pytest.warns(UserWarning, match="nope"):
        a = ours.doesnt_match(words)
    assert a == theirs.doesnt_match(words)


def test_sort_by_descending_frequency_and_vectors_for_all_match_gensim():
    gensim_models = pytest.importorskip("gensim.models")
    counts = np.random.default_rng(3).integers(1, 6, N)  # ties on purpose
    ours, theirs = ours_kv(), gensim_models.KeyedVectors(D)
    theirs.add_vectors(WORDS, matrix())
    for kv in (ours, theirs):
        for w, c in zip(WORDS, counts):
            kv.set_vecattr(w, "count", int(c))
        kv.sort_by_descending_frequency()
    assert ours.index_to_key == theirs.index_to_key
    assert ours.key_to_index == theirs.key_to_index
    assert np.array_equal(ours.vectors, theirs.vectors)
    assert [ours.get_vecattr(w, "count") for w in WORDS] == \
        [theirs.get_vecattr(w, "count") for w in WORDS]
    same(ours.most_similar("w1"), theirs.most_similar("w1"))  # norms follow the new order
    keys = ["w3", "nope", "w1", "w3", "café"]
    a = ours.vectors_for_all(keys, copy_vecattrs=True)
    b = theirs.vectors_for_all(keys, copy_vecattrs=True)
    assert a.index_to_key == b.index_to_key == ["w3", "w1", "café"]
    assert np.array_equal(a.vectors, b.vectors) and a.vectors.dtype == b.vectors.dtype
    assert a.get_vecattr("w1", "count") == b.get_vecattr("w1", "count")


def test_init_sims_replace_and_unit_normalize_all_match_gensim():
    gensim_models = pytest.importorskip("gensim.models")
    ours, theirs = ours_kv(), gensim_models.KeyedVectors(D)
    theirs.add_vectors(WORDS, matrix())
    with pytest.warns(DeprecationWarning):
        ours.init_sims(replace=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        theirs.init_sims(replace=True)
    assert np.allclose(ours.vectors, theirs.vectors, atol=1e-7)
    same(ours.most_similar("w2"), theirs.most_similar("w2"))


def test_setitem_and_add_vector_match_gensim():
    gensim_models = pytest.importorskip("gensim.models")
    ours, theirs = ours_kv(), gensim_models.KeyedVectors(D)
    theirs.add_vectors(WORDS, matrix())
    new = np.arange(2 * D, dtype=np.float32).reshape(2, D)
    for kv in (ours, theirs):
        kv["w1"] = new[0]
        kv[["w2", "fresh"]] = new
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            kv.add_vector("newer", new[1] + 1)
        kv.fill_norms(force=True)
    assert ours.index_to_key == theirs.index_to_key
    assert np.array_equal(ours.vectors, theirs.vectors)
    same(ours.most_similar("fresh"), theirs.most_similar("fresh"))
    assert ours.add_vector("w3", new[0]) == 3 and np.array_equal(ours["w3"], matrix()[3])


# --- glassnet's own choices where gensim gives nan or ignores an argument -----------------


def test_zero_vector_scores_zero_not_nan():
    kv = ours_kv()
    kv["zero"] = np.zeros(D, np.float32)
    sims = kv.most_similar("w1", topn=None)
    assert np.isfinite(sims).all() and sims[kv.get_index("zero")] == 0.0
    assert "zero" in [w for w, _ in kv.most_similar("w1", topn=N + 1)]
    assert np.isnan(kv.distances("w1", ["zero"])[0])  # a cosine with nothing: undefined
    assert np.isnan(KeyedVectors.cosine_similarities(np.zeros(D), kv.vectors[:2])).all()
    kv.unit_normalize_all()
    assert np.array_equal(kv["zero"], np.zeros(D)) and np.isfinite(kv.vectors).all()


def test_cosmul_restrict_vocab_searches_the_first_keys_only():
    kv = ours_kv()
    full = kv.most_similar_cosmul(positive=["w1"], negative=["w2"], topn=None)
    part = kv.most_similar_cosmul(positive=["w1"], negative=["w2"], topn=None,
                                  restrict_vocab=20)
    assert np.allclose(part, full[:20])
    top = kv.most_similar_cosmul(positive=["w1"], negative=["w2"], restrict_vocab=20)
    assert all(kv.get_index(w) < 20 for w, _ in top)


def test_n_similarity_refuses_unknown_words_that_gensim_skips():
    with pytest.raises(KeyError, match="nope"):
        ours_kv().n_similarity(["w1", "nope"], ["w2"])


def test_indexer_answers_when_given():
    class Index:
        def most_similar(self, vector, topn):
            self.seen = (vector, topn)
            return [("approx", 1.0)]

    kv, index = ours_kv(), Index()
    assert kv.most_similar("w1", topn=3, indexer=index) == [("approx", 1.0)]
    want = kv.get_vector("w1", norm=True)
    assert np.allclose(index.seen[0], want, atol=1e-6) and index.seen[1] == 3


def test_bad_vectors_and_shapes_are_named():
    kv = ours_kv()
    with pytest.raises(ValueError, match=r"shape \(8,\)"):
        kv.most_similar(positive=[np.ones(3)])
    with pytest.raises(ValueError, match=r"shape \(8,\)"):
        kv.most_similar_cosmul(positive=[np.ones(5)])
    with pytest.raises(ValueError, match="vectors_all"):
        KeyedVectors.cosine_similarities(np.ones(3), np.ones((4, 5)))
    with pytest.raises(ValueError, match="empty"):
        kv.most_similar_to_given("w1", [])
    with pytest.raises(KeyError, match="count"):
        kv.sort_by_descending_frequency()
    with pytest.raises(AttributeError, match="get_normed_vectors"):
        kv.vectors_norm  # noqa: B018
    with pytest.raises(AttributeError, match="key_to_index"):
        kv.vocab  # noqa: B018
    v = kv.get_vector("w1")
    with pytest.raises(ValueError, match="read-only"):
        v[0] = 1.0
    assert kv.similarity("w1", "w2") == kv.similarity("w2", "w1")
    assert isinstance(kv.similarity("w1", "w2"), np.float32)


# --- Word Mover's Distance ---------------------------------------------------------------

DOCS = [
    (["w1", "w2", "w3"], ["w4", "w5"]),
    (["w1", "w1", "w2", "café"], ["w2", "w5", "w5", "w5", "über"]),
    ("w1 w2 w3 w4 w5 w6 w7".split(), "w8 w9 w1 w10 w11 w12 w13 w14 w15 w16 w17".split()),
    (["w1"], ["w2"]),
    (["w1", "w2", "nope"], ["w2", "w1", "unknown", "words"]),  # same words: 0
    (["w1", "w1"], ["w1"]),
    (["w1", "nope"], ["w1", "w3"]),
    ([f"w{i}" for i in range(30)] * 2 + ["w3"], [f"w{i}" for i in range(15, 45)]),
]


@pytest.mark.parametrize("norm", [True, False])
@pytest.mark.parametrize("docs", DOCS, ids=range(len(DOCS)))
def test_wmdistance_matches_gensim(pair, docs, norm):
    pytest.importorskip("ot")  # gensim's wmdistance needs POT
    ours, theirs = pair
    a, b = ours.wmdistance(*docs, norm=norm), theirs.wmdistance(*docs, norm=norm)
    assert type(a) is float
    assert np.isclose(a, b, rtol=1e-9, atol=1e-12), (a, b)


def test_wmdistance_edge_cases(caplog):
    kv = ours_kv()
    with caplog.at_level(logging.INFO, logger="glassnet.word2vec.keyedvectors"):
        assert kv.wmdistance(["nope"], ["w1"]) == float("inf")
        assert kv.wmdistance([], ["w1"]) == float("inf")
        assert kv.wmdistance(["w1", "zzz"], ["w2"]) > 0
    assert "no words in the vocabulary" in caplog.text
    assert "removed 1 and 0 words" in caplog.text
    assert kv.wmdistance(["w1", "w2", "w2"], ["w2", "w1", "w2"]) == 0.0
    assert kv.wmdistance(["w1", "w2"], ["w1", "w2", "w1", "w2"]) == 0.0
    d = kv.wmdistance(["w1", "w2"], ["w3"])
    assert d == kv.wmdistance(["w3"], ["w2", "w1"])  # symmetric
    unit = [kv.get_vector(w, norm=True).astype(np.float64) for w in ("w1", "w2", "w3")]
    want = (np.linalg.norm(unit[0] - unit[2]) + np.linalg.norm(unit[1] - unit[2])) / 2
    assert np.isclose(d, want, rtol=1e-12)  # everything moves to the one word
    # two words with the same direction: gensim answers inf (its solver needs a non-zero
    # cost matrix); the distance is 0
    assert kv.wmdistance(iter(["w1", "w2"]), (w for w in ["w3"])) == d  # any iterables
    with pytest.raises(TypeError, match="split"):
        kv.wmdistance("w1 w2", ["w3"])
    kv["twin"] = 2 * kv["w1"]
    assert kv.wmdistance(["w1"], ["twin"]) == 0.0
    assert kv.wmdistance(["w1"], ["twin"], norm=False) > 0


def test_emd_is_exact_on_the_line():
    """On the real line with cost |x - y| the earth mover's distance is the area between
    the two cumulative distributions: an oracle that needs no solver."""
    rng = np.random.default_rng(5)
    for _ in range(40):
        m, n = rng.integers(1, 9, 2)
        x, y = rng.normal(size=m), rng.normal(size=n)
        c1, c2 = rng.integers(1, 6, m), rng.integers(1, 6, n)
        if rng.random() < 0.3:
            y[: min(m, n)] = x[: min(m, n)]  # shared points: zero costs and ties
        points = np.unique(np.concatenate([x, y]))
        cdf1 = np.array([c1[x <= p].sum() for p in points]) / c1.sum()
        cdf2 = np.array([c2[y <= p].sum() for p in points]) / c2.sum()
        want = np.sum(np.abs(cdf1 - cdf2)[:-1] * np.diff(points))
        got, plan = emd(c1, c2, np.abs(x[:, None] - y[None, :]))
        assert np.isclose(got, want, rtol=1e-10, atol=1e-12)
        assert np.allclose(plan.sum(1), c1 / c1.sum()) and np.allclose(plan.sum(0),
                                                                       c2 / c2.sum())
        assert (plan >= 0).all()


def test_emd_matches_linear_programming():
    optimize = pytest.importorskip("scipy.optimize")
    rng = np.random.default_rng(6)
    for trial in range(30):
        m, n = rng.integers(1, 10, 2)
        c1, c2 = rng.integers(1, 7, m), rng.integers(1, 7, n)
        cost = rng.random((m, n)) * 10
        if trial % 3 == 0:
            cost = np.round(cost)  # zeros and ties: degenerate problems
        a, b = c1 / c1.sum(), c2 / c2.sum()
        eq = np.vstack([np.kron(np.eye(m), np.ones(n)), np.kron(np.ones(m), np.eye(n))])
        ref = optimize.linprog(cost.ravel(), A_eq=eq, b_eq=np.concatenate([a, b]),
                               bounds=(0, None), method="highs")
        assert ref.status == 0
        got, _ = emd(c1, c2, cost)
        assert np.isclose(got, ref.fun, rtol=1e-9, atol=1e-12), (got, ref.fun)


def test_emd_kernels_give_the_same_flow(monkeypatch):
    """The NumPy kernel, the loops as plain Python and the loops compiled by numba run the
    same operations in the same order: the same integer flow, bit for bit."""
    from glassnet.word2vec import _transport

    rng = np.random.default_rng(8)
    kernels = [_transport._flow_numpy, _transport._flow_loops]
    monkeypatch.setenv("GLASSNET_KERNEL", "auto")
    if _transport._kernel() is not _transport._flow_numpy:  # numba is installed
        kernels.append(_transport._kernel())
    for trial in range(40):
        m, n = rng.integers(1, 9, 2)
        c1, c2 = rng.integers(1, 6, m), rng.integers(1, 6, n)
        supply, demand = c1 * c2.sum(), c2 * c1.sum()
        cost = rng.random((m, n))
        if trial % 3 == 0:
            cost = np.round(cost * 2)
        flows = [k(supply, demand, cost) for k in kernels]
        for f in flows[1:]:
            assert np.array_equal(f, flows[0])
    monkeypatch.setenv("GLASSNET_KERNEL", "numpy")
    assert _transport._kernel() is _transport._flow_numpy
    kv = ours_kv()
    d_numpy = kv.wmdistance(*DOCS[1])
    monkeypatch.setenv("GLASSNET_KERNEL", "auto")
    assert d_numpy == kv.wmdistance(*DOCS[1])


@pytest.mark.parametrize("args, match", [
    (([1, 2], [1], np.ones((2, 2))), "expected counts"),
    (([], [1], np.ones((0, 1))), "at least one"),
    (([1, 0], [1], np.ones((2, 1))), "positive integers"),
    (([1.5], [1], np.ones((1, 1))), "positive integers"),
    (([1], [1], -np.ones((1, 1))), "non-negative"),
    (([1], [1], np.full((1, 1), np.nan)), "finite"),
])
def test_emd_refuses_bad_input(args, match):
    with pytest.raises(ValueError, match=match):
        emd(*args)


# --- files written by gensim: refused, never unpickled -----------------------------------

LOADERS = [
    ("KeyedVectors.load", KeyedVectors.load),
    ("Word2Vec.load", Word2Vec.load),
    ("load_word2vec_format binary", lambda p: KeyedVectors.load_word2vec_format(p, binary=True)),
    ("load_word2vec_format text", KeyedVectors.load_word2vec_format),
    ("load_word2vec_format no_header", lambda p: KeyedVectors.load_word2vec_format(
        p, no_header=True)),
]


@pytest.mark.parametrize("suffix", ["", ".gz", ".bz2"])
def test_gensim_saved_files_are_refused_with_the_export_recipe(tmp_path, suffix):
    gensim_models = pytest.importorskip("gensim.models")
    model = gensim_models.Word2Vec([["a", "b", "c"]] * 5, vector_size=4, min_count=1,
                                   workers=1, epochs=1, seed=1)
    files = {"Word2Vec": str(tmp_path / f"g.model{suffix}"),
             "KeyedVectors": str(tmp_path / f"g.kv{suffix}")}
    model.save(files["Word2Vec"])
    model.wv.save(files["KeyedVectors"])
    for cls, path in files.items():
        for name, load in LOADERS:
            with pytest.raises(FormatError) as e:
                load(path)
            msg = str(e.value)
            assert path in msg and f"gensim {cls}" in msg and "pickle" in msg, (name, msg)
            assert "save_word2vec_format('vectors.bin', binary=True)" in msg
            assert "load_word2vec_format('vectors.bin', binary=True)" in msg
            assert "header" not in msg
    # the recipe in the message works
    model.wv.save_word2vec_format(str(tmp_path / "vectors.bin"), binary=True)
    kv = KeyedVectors.load_word2vec_format(str(tmp_path / "vectors.bin"), binary=True)
    assert kv.index_to_key == model.wv.index_to_key
    assert np.array_equal(kv.vectors, model.wv.vectors)


def test_gensim_side_array_file_is_explained(tmp_path):
    path = tmp_path / "g.model.wv.vectors.npy"
    np.save(path, np.ones((3, 2), np.float32))
    with pytest.raises(FormatError, match="NumPy .npy.*save_word2vec_format"):
        KeyedVectors.load(str(path))


class _Mkdir:
    """Unpickling this calls os.mkdir(path): the side effect the loaders must not cause."""

    def __init__(self, path):
        self.path = path

    def __reduce__(self):
        return (os.mkdir, (self.path,))


@pytest.mark.parametrize("protocol", [2, 3, 4, 5])
@pytest.mark.parametrize("gz", [False, True])
def test_crafted_pickle_is_never_unpickled(tmp_path, protocol, gz):
    blob = pickle.dumps(_Mkdir(str(tmp_path / "proof")), protocol=protocol)
    pickle.loads(blob)  # the payload works: unpickling it makes the folder
    assert (tmp_path / "proof").is_dir()
    marker = tmp_path / "pwned"
    blob = pickle.dumps(_Mkdir(str(marker)), protocol=protocol)
    path = tmp_path / ("evil.bin.gz" if gz else "evil.bin")
    path.write_bytes(gzip.compress(blob) if gz else blob)
    for name, load in LOADERS:
        with pytest.raises(FormatError, match="pickle") as e:
            load(str(path))
        assert str(path) in str(e.value) and "never unpickles" in str(e.value), name
        assert not marker.exists(), name


def test_safetensors_file_starting_like_a_pickle_still_loads(tmp_path):
    """A safetensors header length whose first bytes are 0x80 0x04 looks like a pickle's
    magic; the JSON at byte 8 tells them apart."""
    path = str(tmp_path / "kv.safetensors")

    def save(size):
        kv = KeyedVectors(2)
        kv.add_vectors(["k" * size, "b"], [[1.0, 2.0], [3.0, 4.0]])
        kv.save(path)
        with open(path, "rb") as f:
            return kv, f.read(8)

    _, head = save(1)
    guess = 1 + 0x480 - int.from_bytes(head, "little")  # one key byte, one header byte
    for size in range(max(1, guess - 8), guess + 9):
        kv, head = save(size)
        if head[:2] == b"\x80\x04":
            break
    else:
        pytest.fail("always: no key length gives a 0x480-byte header")
    back = KeyedVectors.load(path)
    assert back.index_to_key == kv.index_to_key and np.array_equal(back.vectors, kv.vectors)


def test_word2vec_text_file_given_to_load_says_which_loader(tmp_path):
    path = tmp_path / "vectors.txt"
    ours_kv().save_word2vec_format(str(path))
    with pytest.raises(FormatError, match="load_word2vec_format"):
        KeyedVectors.load(str(path))


# --- save_word2vec_format: gensim's arguments and order ------------------------------------


@pytest.mark.parametrize("binary", [False, True])
def test_save_word2vec_format_order_prefix_and_append_match_gensim(tmp_path, binary):
    gensim_models = pytest.importorskip("gensim.models")
    GKV = gensim_models.KeyedVectors
    counts = np.random.default_rng(4).integers(1, 9, N)  # not sorted, with ties
    ours, theirs = ours_kv(), GKV(D)
    theirs.add_vectors(WORDS, matrix())
    for kv in (ours, theirs):
        for w, c in zip(WORDS, counts):
            kv.set_vecattr(w, "count", int(c))
    files = {}
    for name, kv in (("ours", ours), ("gensim", theirs)):
        vec, voc = str(tmp_path / f"{name}.vec"), str(tmp_path / f"{name}.vocab")
        kv.save_word2vec_format(vec, fvocab=voc, binary=binary, prefix="p_")
        files[name] = (vec, voc)
    with open(files["ours"][1], "rb") as a, open(files["gensim"][1], "rb") as b:
        assert a.read() == b.read()  # the vocabulary file, byte for byte
    for reader in (KeyedVectors, GKV):
        a, b = (reader.load_word2vec_format(files[k][0], binary=binary) for k in files)
        assert a.index_to_key == b.index_to_key and a.index_to_key[0].startswith("p_")
        assert np.array_equal(a.vectors, b.vectors)
    # two writes into one file: the header declares all N, the second call appends
    for name, kv in (("ours", ours), ("gensim", theirs)):
        part1, part2 = kv.vectors_for_all(WORDS[:30]), kv.vectors_for_all(WORDS[30:])
        path = str(tmp_path / f"{name}.two{'.gz' if binary else ''}")  # gzip: 2 members
        part1.save_word2vec_format(path, binary=binary, total_vec=N)
        part2.save_word2vec_format(path, binary=binary, write_header=False, append=True)
        back = KeyedVectors.load_word2vec_format(path, binary=binary)
        assert back.index_to_key == WORDS and np.array_equal(back.vectors, matrix())
    with pytest.raises(ValueError, match="total_vec"):
        ours.save_word2vec_format(str(tmp_path / "x.vec"), total_vec=N - 1)
    plain = GKV(D)
    plain.add_vectors(WORDS, matrix())
    for kv in (ours_kv(), plain):  # no counts stored
        with pytest.raises(ValueError, match="count"):
            kv.save_word2vec_format(str(tmp_path / "y.vec"), fvocab=str(tmp_path / "y.voc"))


def test_every_shared_method_has_gensims_arguments_and_defaults():
    import inspect

    gensim_models = pytest.importorskip("gensim.models")
    GKV = gensim_models.KeyedVectors
    checked = 0
    for name in dir(GKV):
        theirs = getattr(GKV, name)
        if name.startswith("_") and name not in ("__init__", "__getitem__", "__setitem__",
                                                 "__contains__"):
            continue
        if name in ("save",) or not callable(theirs) or not hasattr(KeyedVectors, name):
            continue  # save: gensim's pickles (*args), ours a safetensors file
        params = [(p.name, p.default) for p in inspect.signature(theirs).parameters.values()]
        ours = getattr(KeyedVectors, name)
        assert [(p.name, p.default) for p in inspect.signature(ours).parameters.values()] \
            == params, name
        checked += 1
    assert checked >= 40
