/* robustx._fast._charnoise: the Python face of the compiled character-noise path.
 *
 * Engine(...) holds one CharNoise configuration for one language (tables already derived in Python by
 * robustx._fast.engine); Engine.run(...) perturbs a batch. The other functions expose the parts to the
 * differential tests (RNG, clusters, tokens, property tables).
 */
#include "fast.h"

#include <string.h>

typedef struct {
    PyObject_HEAD rx_engine eng;
    PyObject *code;
    int japanese;
} EngineObject;

static void engine_dealloc(EngineObject *self) {
    rx_table_free(&self->eng.substitutes);
    rx_table_free(&self->eng.insertable);
    rx_table_free(&self->eng.homoglyphs);
    rx_table_free(&self->eng.invisibles);
    Py_XDECREF(self->eng.stops);
    Py_XDECREF(self->code);
    Py_TYPE(self)->tp_free((PyObject *)self);
}

static int engine_init(EngineObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"ops", "rate", "edits", "min_len", "keep_digits", "keep_entities", "stops",
                             "has_neighbours", "homoglyph_only", "substitutes", "insertable", "homoglyphs",
                             "invisibles", "code", NULL};
    PyObject *ops, *stops, *subs, *ins, *homo, *invis, *code;
    int keep_digits, keep_entities, has_neighbours, homoglyph_only;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "O!dllppOppO!O!O!O!U", kwlist, &PyTuple_Type, &ops,
                                     &self->eng.rate, &self->eng.edits, &self->eng.min_len, &keep_digits,
                                     &keep_entities, &stops, &has_neighbours, &homoglyph_only, &PyDict_Type,
                                     &subs, &PyDict_Type, &ins, &PyDict_Type, &homo, &PyTuple_Type, &invis,
                                     &code))
        return -1;
    Py_ssize_t nops = PyTuple_GET_SIZE(ops);
    if (nops < 1 || nops > RX_MAX_OPS) {
        PyErr_SetString(PyExc_ValueError, "between 1 and 16 ops");
        return -1;
    }
    for (Py_ssize_t i = 0; i < nops; i++) {
        long op = PyLong_AsLong(PyTuple_GET_ITEM(ops, i));
        if (op < 0 || op >= OP_COUNT) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "unknown op code");
            return -1;
        }
        self->eng.ops[i] = (int)op;
    }
    self->eng.nops = (int)nops;
    if (stops != Py_None && !PyAnySet_Check(stops)) {
        PyErr_SetString(PyExc_TypeError, "stops must be a frozenset or None");
        return -1;
    }
    if (self->eng.edits < 0) {
        PyErr_SetString(PyExc_ValueError, "edits must be >= 0");
        return -1;
    }
    self->eng.keep_digits = keep_digits;
    self->eng.keep_entities = keep_entities;
    self->eng.has_neighbours = has_neighbours;
    self->eng.homoglyph_only = homoglyph_only;
    Py_XSETREF(self->eng.stops, stops == Py_None ? NULL : Py_NewRef(stops));
    rx_table_free(&self->eng.substitutes); /* __init__ called again */
    rx_table_free(&self->eng.insertable);
    rx_table_free(&self->eng.homoglyphs);
    rx_table_free(&self->eng.invisibles);
    PyObject *nul = PyUnicode_FromOrdinal(0), *invis_map = PyDict_New(); /* invisibles: key U+0000 */
    int rc = nul == NULL || invis_map == NULL || PyDict_SetItem(invis_map, nul, invis) < 0 ||
             rx_table_build(&self->eng.substitutes, subs) < 0 || rx_table_build(&self->eng.insertable, ins) < 0 ||
             rx_table_build(&self->eng.homoglyphs, homo) < 0 || rx_table_build(&self->eng.invisibles, invis_map) < 0;
    Py_XDECREF(nul);
    Py_XDECREF(invis_map);
    if (rc) return -1;
    Py_XSETREF(self->code, Py_NewRef(code));
    self->japanese = PyUnicode_CompareWithASCIIString(code, "ja") == 0;
    return 0;
}

/* UCS4 copy of a str into buf (grown as needed). */
static uint32_t *ucs4(PyObject *s, rx_vec *buf, Py_ssize_t *n) {
    *n = PyUnicode_GET_LENGTH(s);
    if (rx_vec_reserve(buf, (size_t)*n + 1) < 0) return NULL;
    if (PyUnicode_AsUCS4(s, (Py_UCS4 *)buf->data, *n + 1, 0) == NULL) return NULL;
    return (uint32_t *)buf->data;
}

static PyObject *spans_tuple(const rx_work *w) {
    Py_ssize_t count = (Py_ssize_t)(w->spans.len / 2);
    PyObject *spans = PyTuple_New(count);
    if (spans == NULL) return NULL;
    const int32_t *v = RX_AT(w->spans, int32_t);
    for (Py_ssize_t i = 0; i < count; i++) {
        PyObject *pair = Py_BuildValue("(ii)", v[2 * i], v[2 * i + 1]);
        if (pair == NULL) {
            Py_DECREF(spans);
            return NULL;
        }
        PyTuple_SET_ITEM(spans, i, pair);
    }
    return spans;
}

static PyObject *result_object(PyObject *text, rx_work *w, int want_spans, int newline) {
    if (w->changed && newline) { /* lines mode: the line's "\n" goes back after the perturbed body */
        if (rx_vec_reserve(&w->out, w->out.len + 1) < 0) return NULL;
        RX_AT(w->out, uint32_t)[w->out.len++] = '\n';
    }
    PyObject *out = w->changed ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, w->out.data,
                                                           (Py_ssize_t)w->out.len)
                               : Py_NewRef(text);
    if (out == NULL || !want_spans) return out;
    PyObject *spans = spans_tuple(w);
    if (spans == NULL) {
        Py_DECREF(out);
        return NULL;
    }
    return Py_BuildValue("(NNll)", out, spans, w->units, w->units_changed);
}

typedef struct {
    rx_vec key[RX_LANES]; /* UTF-8 of prefix + id + suffix, per lane */
    const char *prefix, *suffix;
    Py_ssize_t nprefix, nsuffix;
} keybuf;

/* The key of one item: prefix + id + suffix, the id a str or (numbered lines) the decimal ``number``. */
static int build_key(keybuf *kb, int lane, PyObject *id, long long number, const uint8_t **msg, size_t *len) {
    char digits[32];
    Py_ssize_t nid;
    const char *idu = digits;
    if (id != NULL) {
        idu = PyUnicode_AsUTF8AndSize(id, &nid);
        if (idu == NULL) return -1;
    } else {
        nid = snprintf(digits, sizeof digits, "%lld", number);
    }
    size_t total = (size_t)(kb->nprefix + nid + kb->nsuffix);
    rx_vec *v = &kb->key[lane];
    if (rx_vec_reserve(v, total ? total : 1) < 0) return -1;
    char *k = v->data;
    memcpy(k, kb->prefix, (size_t)kb->nprefix);
    memcpy(k + kb->nprefix, idu, (size_t)nid);
    memcpy(k + kb->nprefix + nid, kb->suffix, (size_t)kb->nsuffix);
    *msg = (const uint8_t *)k;
    *len = total;
    return 0;
}

static void work_init(rx_work *w) {
    memset(w, 0, sizeof *w);
    rx_vec *vecs[] = {&w->out, &w->spans, &w->tokens, &w->cands, &w->chosen, &w->pool, &w->arena, &w->units_v,
                      &w->tmp_units, &w->repl};
    size_t items[] = {sizeof(uint32_t), sizeof(int32_t), sizeof(rx_token), sizeof(int32_t), sizeof(int32_t),
                      sizeof(int32_t), sizeof(uint32_t), 8, 8, sizeof(uint32_t)};
    for (size_t i = 0; i < sizeof vecs / sizeof *vecs; i++) vecs[i]->item = items[i];
}

typedef struct {
    EngineObject *self;
    keybuf kb;
    rx_rng *rngs;
    rx_segctx seg;
    rx_work w;
    rx_vec buf;
    int want_spans, lines;
} batch;

/* Items [0, m) of texts: seed their RNGs together, then perturb each in turn (ids NULL: numbered). */
static int run_lanes(batch *b, PyObject **texts, PyObject **ids, long long number, Py_ssize_t m, PyObject **out) {
    const uint8_t *msgs[RX_LANES];
    size_t lens[RX_LANES];
    for (Py_ssize_t l = 0; l < m; l++) {
        if (!PyUnicode_Check(texts[l]) || (ids != NULL && !PyUnicode_Check(ids[l]))) {
            PyErr_SetString(PyExc_TypeError, "texts and ids must be str");
            return -1;
        }
        if (build_key(&b->kb, (int)l, ids ? ids[l] : NULL, number + l, msgs + l, lens + l) < 0) return -1;
    }
    if (rx_rng_seed_many(b->rngs, msgs, lens, (int)m) < 0) return -1;
    for (Py_ssize_t l = 0; l < m; l++) {
        Py_ssize_t n;
        if (PyUnicode_GET_LENGTH(texts[l]) >= INT32_MAX / 2) { /* offsets are int32 */
            PyErr_SetString(PyExc_OverflowError, "text too long for the compiled path");
            return -1;
        }
        uint32_t *s = ucs4(texts[l], &b->buf, &n);
        if (s == NULL) return -1;
        int newline = b->lines && n > 0 && s[n - 1] == '\n';
        if (rx_perturb(&b->self->eng, &b->seg, s, n - newline, b->rngs + l, &b->w) < 0) return -1;
        out[l] = result_object(texts[l], &b->w, b->want_spans, newline);
        if (out[l] == NULL) return -1;
    }
    return 0;
}

static PyObject *engine_run(EngineObject *self, PyObject *args, PyObject *kwds) {
    static char *kwlist[] = {"texts", "prefix", "ids", "suffix", "spans", "backend", "segment_word", "lines", NULL};
    PyObject *texts, *prefix, *ids, *suffix, *backend_fn, *segment_word_fn;
    batch b;
    memset(&b, 0, sizeof b);
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "OUOUpOO|p", kwlist, &texts, &prefix, &ids, &suffix,
                                     &b.want_spans, &backend_fn, &segment_word_fn, &b.lines))
        return NULL;
    long long first = 0;
    PyObject *iseq = NULL;
    if (PyLong_Check(ids)) { /* numbered: the ids are first, first + 1, ... (robustx perturb's line numbers) */
        first = PyLong_AsLongLong(ids);
        if (first == -1 && PyErr_Occurred()) return NULL;
    } else if ((iseq = PySequence_Fast(ids, "ids must be a sequence or an int")) == NULL) {
        return NULL;
    }
    PyObject *tseq = PySequence_Fast(texts, "texts must be a sequence");
    if (tseq == NULL) {
        Py_XDECREF(iseq);
        return NULL;
    }
    Py_ssize_t count = PySequence_Fast_GET_SIZE(tseq);
    PyObject *results = NULL;
    b.self = self;
    for (int l = 0; l < RX_LANES; l++) b.kb.key[l].item = 1;
    b.buf.item = sizeof(uint32_t);
    work_init(&b.w);
    b.seg = (rx_segctx){backend_fn, segment_word_fn, self->code, self->japanese, {NULL, NULL, NULL}, {0, 0, 0}};
    b.rngs = PyMem_Malloc(RX_LANES * sizeof(rx_rng));
    if (b.rngs == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    if (iseq != NULL && PySequence_Fast_GET_SIZE(iseq) != count) {
        PyErr_SetString(PyExc_ValueError, "texts and ids differ in length");
        goto done;
    }
    b.kb.prefix = PyUnicode_AsUTF8AndSize(prefix, &b.kb.nprefix);
    b.kb.suffix = PyUnicode_AsUTF8AndSize(suffix, &b.kb.nsuffix);
    if (b.kb.prefix == NULL || b.kb.suffix == NULL) goto done;
    results = PyList_New(count);
    if (results == NULL) goto done;
    PyObject **titems = PySequence_Fast_ITEMS(tseq), **iitems = iseq ? PySequence_Fast_ITEMS(iseq) : NULL;
    for (Py_ssize_t base = 0; base < count; base += RX_LANES) {
        Py_ssize_t m = count - base < RX_LANES ? count - base : RX_LANES;
        PyObject *made[RX_LANES] = {NULL};
        int rc = run_lanes(&b, titems + base, iitems ? iitems + base : NULL, first + base, m, made);
        for (Py_ssize_t l = 0; l < m; l++)
            if (made[l] != NULL) PyList_SET_ITEM(results, base + l, made[l]);
        if (rc < 0) {
            Py_CLEAR(results);
            goto done;
        }
    }
done:
    rx_segctx_clear(&b.seg);
    rx_work_free(&b.w);
    rx_vec_free(&b.buf);
    for (int l = 0; l < RX_LANES; l++) rx_vec_free(&b.kb.key[l]);
    PyMem_Free(b.rngs);
    Py_DECREF(tseq);
    Py_XDECREF(iseq);
    return results;
}

static PyMethodDef engine_methods[] = {
    {"run", (PyCFunction)(void (*)(void))engine_run, METH_VARARGS | METH_KEYWORDS,
     "run(texts, prefix, ids, suffix, spans, backend, segment_word, lines=False) -> list: CharNoise on each "
     "text with random.Random(prefix + id + suffix); items are the text, or (text, changed, units, "
     "units_changed). ids: a list of str, or an int n for the ids str(n), str(n + 1), ... lines: each text "
     "is a line whose one trailing newline is kept out of the perturbation and put back."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject EngineType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "robustx._fast._charnoise.Engine",
    .tp_basicsize = sizeof(EngineObject),
    .tp_flags = Py_TPFLAGS_DEFAULT,
    .tp_doc = "One CharNoise configuration for one language (see robustx._fast.engine).",
    .tp_new = PyType_GenericNew,
    .tp_init = (initproc)engine_init,
    .tp_dealloc = (destructor)engine_dealloc,
    .tp_methods = engine_methods,
};

/* ---- parts, for the differential tests ----------------------------------------------------------- */

static int seeded(PyObject *key, rx_rng *rng) {
    Py_ssize_t n;
    const char *u = PyUnicode_AsUTF8AndSize(key, &n);
    return u == NULL ? -1 : rx_rng_seed(rng, (const uint8_t *)u, (size_t)n);
}

static PyObject *state_tuple(rx_rng *rng) {
    uint32_t mt[624];
    int index;
    rx_rng_state(rng, mt, &index);
    PyObject *t = PyTuple_New(625);
    if (t == NULL) return NULL;
    for (int i = 0; i < 624; i++) PyTuple_SET_ITEM(t, i, PyLong_FromUnsignedLong(mt[i]));
    PyTuple_SET_ITEM(t, 624, PyLong_FromLong(index));
    return t;
}

static PyObject *py_rng_state(PyObject *mod, PyObject *key) {
    (void)mod;
    if (!PyUnicode_Check(key)) return PyErr_Format(PyExc_TypeError, "key must be str");
    rx_rng rng;
    if (seeded(key, &rng) < 0) return NULL;
    return state_tuple(&rng);
}

/* rng_states(keys): the states after seeding up to RX_LANES keys together (rx_rng_seed_many). */
static PyObject *py_rng_states(PyObject *mod, PyObject *keys) {
    (void)mod;
    PyObject *seq = PySequence_Fast(keys, "keys must be a sequence");
    if (seq == NULL) return NULL;
    Py_ssize_t m = PySequence_Fast_GET_SIZE(seq);
    if (m > RX_LANES) {
        Py_DECREF(seq);
        return PyErr_Format(PyExc_ValueError, "at most %d keys", RX_LANES);
    }
    const uint8_t *msgs[RX_LANES];
    size_t lens[RX_LANES];
    for (Py_ssize_t l = 0; l < m; l++) {
        Py_ssize_t n;
        PyObject *key = PySequence_Fast_GET_ITEM(seq, l);
        const char *u = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &n) : NULL;
        if (u == NULL) {
            Py_DECREF(seq);
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "keys must be str");
            return NULL;
        }
        msgs[l] = (const uint8_t *)u;
        lens[l] = (size_t)n;
    }
    rx_rng *rngs = PyMem_Malloc(RX_LANES * sizeof(rx_rng));
    PyObject *out = rngs == NULL ? PyErr_NoMemory() : rx_rng_seed_many(rngs, msgs, lens, (int)m) < 0 ? NULL : PyList_New(m);
    for (Py_ssize_t l = 0; out != NULL && l < m; l++) {
        PyObject *t = state_tuple(rngs + l);
        if (t == NULL) Py_CLEAR(out);
        else PyList_SET_ITEM(out, l, t);
    }
    PyMem_Free(rngs);
    Py_DECREF(seq);
    return out;
}

/* seed_batch(keys): seed every key, RX_LANES at a time as Engine.run does; nothing kept (for timing). */
static PyObject *py_seed_batch(PyObject *mod, PyObject *keys) {
    (void)mod;
    PyObject *seq = PySequence_Fast(keys, "keys must be a sequence");
    if (seq == NULL) return NULL;
    rx_rng *rngs = PyMem_Malloc(RX_LANES * sizeof(rx_rng));
    int rc = rngs == NULL ? (PyErr_NoMemory(), -1) : 0;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    for (Py_ssize_t base = 0; base < count && rc == 0; base += RX_LANES) {
        const uint8_t *msgs[RX_LANES];
        size_t lens[RX_LANES];
        Py_ssize_t m = count - base < RX_LANES ? count - base : RX_LANES;
        for (Py_ssize_t l = 0; l < m && rc == 0; l++) {
            PyObject *key = PySequence_Fast_GET_ITEM(seq, base + l);
            Py_ssize_t n;
            const char *u = PyUnicode_Check(key) ? PyUnicode_AsUTF8AndSize(key, &n) : NULL;
            if (u == NULL) {
                if (!PyErr_Occurred()) PyErr_SetString(PyExc_TypeError, "keys must be str");
                rc = -1;
                break;
            }
            msgs[l] = (const uint8_t *)u;
            lens[l] = (size_t)n;
        }
        if (rc == 0) rc = rx_rng_seed_many(rngs, msgs, lens, (int)m);
    }
    PyMem_Free(rngs);
    Py_DECREF(seq);
    if (rc < 0) return NULL;
    Py_RETURN_NONE;
}

/* draws(key, script): script items ("random",), ("state",), ("below", n), ("shuffle", n), ("sample", n, k); the
 * answers as random.Random(key) gives them (shuffle/sample act on list(range(n))). */
static PyObject *py_draws(PyObject *mod, PyObject *args) {
    (void)mod;
    PyObject *key, *script;
    if (!PyArg_ParseTuple(args, "UO", &key, &script)) return NULL;
    rx_rng rng;
    if (seeded(key, &rng) < 0) return NULL;
    PyObject *seq = PySequence_Fast(script, "script must be a sequence");
    if (seq == NULL) return NULL;
    PyObject *out = PyList_New(0);
    rx_vec scratch = RX_VEC(int32_t), pop = RX_VEC(int32_t), res = RX_VEC(int32_t);
    for (Py_ssize_t i = 0; out != NULL && i < PySequence_Fast_GET_SIZE(seq); i++) {
        const char *what;
        unsigned long a = 0, b = 0;
        PyObject *v = NULL;
        if (!PyArg_ParseTuple(PySequence_Fast_GET_ITEM(seq, i), "s|kk", &what, &a, &b)) {
            Py_CLEAR(out);
            break;
        }
        if (strcmp(what, "random") == 0) {
            v = PyFloat_FromDouble(rx_rng_random(&rng));
        } else if (strcmp(what, "state") == 0) {
            v = state_tuple(&rng);
        } else if (strcmp(what, "below") == 0 && a >= 1 && a <= UINT32_MAX) {
            v = PyLong_FromUnsignedLong(rx_rng_below(&rng, (uint32_t)a));
        } else if ((strcmp(what, "shuffle") == 0 || strcmp(what, "sample") == 0) && a < (1u << 24) && b <= a) {
            if (rx_vec_reserve(&pop, a + 1) < 0 || rx_vec_reserve(&res, a + 1) < 0) {
                Py_CLEAR(out);
                break;
            }
            int32_t *p = pop.data, *r = res.data;
            for (unsigned long j = 0; j < a; j++) p[j] = (int32_t)j;
            size_t len = a;
            if (what[1] == 'h') {
                for (unsigned long j = a ? a - 1 : 0; j > 0; j--) {
                    uint32_t k = rx_rng_below(&rng, (uint32_t)(j + 1));
                    int32_t t = p[j];
                    p[j] = p[k];
                    p[k] = t;
                }
                r = p;
            } else {
                len = b;
                if (rx_sample(&rng, p, a, b, r, &scratch) < 0) {
                    Py_CLEAR(out);
                    break;
                }
            }
            v = PyList_New((Py_ssize_t)len);
            for (size_t j = 0; v != NULL && j < len; j++) PyList_SET_ITEM(v, (Py_ssize_t)j, PyLong_FromLong(r[j]));
        } else {
            PyErr_Format(PyExc_ValueError, "bad script item %s", what);
        }
        if (v == NULL || PyList_Append(out, v) < 0) Py_CLEAR(out);
        Py_XDECREF(v);
    }
    rx_vec_free(&scratch);
    rx_vec_free(&pop);
    rx_vec_free(&res);
    Py_DECREF(seq);
    return out;
}

static PyObject *py_sha512(PyObject *mod, PyObject *arg) {
    (void)mod;
    Py_buffer view;
    if (PyObject_GetBuffer(arg, &view, PyBUF_SIMPLE) < 0) return NULL;
    uint8_t digest[64];
    rx_sha512(view.buf, (size_t)view.len, digest);
    PyBuffer_Release(&view);
    return PyBytes_FromStringAndSize((const char *)digest, 64);
}

static PyObject *py_graphemes(PyObject *mod, PyObject *text) {
    (void)mod;
    if (!PyUnicode_Check(text)) return PyErr_Format(PyExc_TypeError, "text must be str");
    rx_vec buf = RX_VEC(uint32_t);
    Py_ssize_t n;
    uint32_t *s = ucs4(text, &buf, &n);
    PyObject *out = s == NULL ? NULL : PyList_New(0);
    for (Py_ssize_t p = 0, q; out != NULL && p < n; p = q) {
        q = rx_cluster_end(s, n, p);
        PyObject *piece = PyUnicode_Substring(text, p, q);
        if (piece == NULL || PyList_Append(out, piece) < 0) Py_CLEAR(out);
        Py_XDECREF(piece);
    }
    rx_vec_free(&buf);
    return out;
}

static PyObject *py_tokenize(PyObject *mod, PyObject *args) {
    (void)mod;
    PyObject *text, *code, *backend_fn, *segment_word_fn;
    if (!PyArg_ParseTuple(args, "UUOO", &text, &code, &backend_fn, &segment_word_fn)) return NULL;
    rx_segctx seg = {backend_fn, segment_word_fn, code, PyUnicode_CompareWithASCIIString(code, "ja") == 0,
                     {NULL, NULL, NULL}, {0, 0, 0}};
    rx_vec buf = RX_VEC(uint32_t), toks = RX_VEC(rx_token);
    Py_ssize_t n;
    uint32_t *s = ucs4(text, &buf, &n);
    PyObject *out = NULL;
    if (s != NULL && rx_tokenize(s, n, &seg, &toks) == 0) {
        out = PyList_New((Py_ssize_t)toks.len);
        for (size_t i = 0; out != NULL && i < toks.len; i++) {
            rx_token t = RX_AT(toks, rx_token)[i];
            PyObject *item = Py_BuildValue("(iiO)", t.start, t.end, t.is_word ? Py_True : Py_False);
            if (item == NULL) Py_CLEAR(out);
            else PyList_SET_ITEM(out, (Py_ssize_t)i, item);
        }
    }
    rx_segctx_clear(&seg);
    rx_vec_free(&buf);
    rx_vec_free(&toks);
    return out;
}

static PyObject *py_props(PyObject *mod, PyObject *noargs) {
    (void)mod;
    (void)noargs;
    PyObject *out = PyBytes_FromStringAndSize(NULL, 2 * 0x110000);
    if (out == NULL) return NULL;
    unsigned char *p = (unsigned char *)PyBytes_AS_STRING(out);
    for (uint32_t cp = 0; cp < 0x110000; cp++) {
        unsigned v = rx_prop(cp);
        p[2 * cp] = (unsigned char)(v & 0xff);
        p[2 * cp + 1] = (unsigned char)(v >> 8);
    }
    return out;
}

static PyMethodDef module_methods[] = {
    {"rng_state", py_rng_state, METH_O, "rng_state(key) -> the 624 MT words and index after seeding"},
    {"rng_states", py_rng_states, METH_O, "rng_states(keys) -> rng_state of up to 8 keys, seeded together"},
    {"seed_batch", py_seed_batch, METH_O, "seed_batch(keys) -> None: seed them as Engine.run does (timing)"},
    {"draws", py_draws, METH_VARARGS, "draws(key, script) -> answers of random.Random(key) to script"},
    {"sha512", py_sha512, METH_O, "sha512(data) -> digest"},
    {"graphemes", py_graphemes, METH_O, "graphemes(text) -> regex \\X clusters"},
    {"tokenize", py_tokenize, METH_VARARGS, "tokenize(text, code, backend, segment_word) -> [(start, end, is_word)]"},
    {"props", py_props, METH_NOARGS, "props() -> the property table, 2 bytes per code point (little-endian)"},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef moduledef = {
    PyModuleDef_HEAD_INIT, "robustx._fast._charnoise",
    "Compiled character noise, byte-identical to robustx's Python path (see robustx/_fast/__init__.py).", -1,
    module_methods,
};

PyMODINIT_FUNC PyInit__charnoise(void) {
    rx_rng_setup();
    if (PyType_Ready(&EngineType) < 0) return NULL;
    PyObject *m = PyModule_Create(&moduledef);
    if (m == NULL) return NULL;
    if (PyModule_AddObjectRef(m, "Engine", (PyObject *)&EngineType) < 0 ||
        PyModule_AddStringConstant(m, "REGEX_VERSION", RX_REGEX_VERSION) < 0 ||
        PyModule_AddStringConstant(m, "TABLE_DIGEST", RX_TABLE_DIGEST) < 0 ||
        PyModule_AddIntConstant(m, "OP_SWAP", OP_SWAP) < 0 || PyModule_AddIntConstant(m, "OP_DELETE", OP_DELETE) < 0 ||
        PyModule_AddIntConstant(m, "OP_INSERT", OP_INSERT) < 0 ||
        PyModule_AddIntConstant(m, "OP_SUBSTITUTE", OP_SUBSTITUTE) < 0 ||
        PyModule_AddIntConstant(m, "OP_HOMOGLYPH", OP_HOMOGLYPH) < 0 ||
        PyModule_AddIntConstant(m, "OP_INVISIBLE", OP_INVISIBLE) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
