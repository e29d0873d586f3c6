/* Grapheme clusters as the regex module's \X finds them, and robustx.text.segment.tokenize.
 *
 * rx_at_boundary is regex's unicode_at_grapheme_boundary (its GB9c looks back over InCB=Extend only, so
 * " \u094d\u0915" is one cluster there); \X is "at least one character, up to the next boundary", with
 * the whole string as context. Tokenization follows segment.py: the character-class fast path
 * (_FAST_RE.split), the cluster-by-cluster exact path (_EXACT_RE) where _NEEDS_EXACT_RE matches, and
 * word segmentation of spaceless runs (wordseg._segment_cached, with the segmenters called back in
 * Python).
 */
#include "fast.h"

#include <stdlib.h>
#include <string.h>

int rx_vec_reserve(rx_vec *v, size_t n) {
    if (n <= v->cap) return 0;
    size_t cap = v->cap ? v->cap : 16;
    while (cap < n) cap *= 2;
    void *data = PyMem_Realloc(v->data, cap * v->item);
    if (data == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    v->data = data;
    v->cap = cap;
    return 0;
}

void rx_vec_free(rx_vec *v) {
    PyMem_Free(v->data);
    v->data = NULL;
    v->len = v->cap = 0;
}

/* ---- \X ----------------------------------------------------------------------------------------- */

int rx_at_boundary(const uint32_t *s, Py_ssize_t n, Py_ssize_t pos) {
    if (pos <= 0 || pos >= n) return n > 0; /* GB1, GB2 */
    uint32_t lc = s[pos - 1], rc = s[pos];
    unsigned left = rx_gcb(lc), right = rx_gcb(rc);
    if (left == GCB_CR && right == GCB_LF) return 0; /* GB3 */
    if (left == GCB_CONTROL || left == GCB_CR || left == GCB_LF) return 1; /* GB4 */
    if (right == GCB_CONTROL || right == GCB_CR || right == GCB_LF) return 1; /* GB5 */
    if (left == GCB_L && (right == GCB_L || right == GCB_V || right == GCB_LV || right == GCB_LVT))
        return 0; /* GB6 */
    if ((left == GCB_LV || left == GCB_V) && (right == GCB_V || right == GCB_T)) return 0; /* GB7 */
    if ((left == GCB_LVT || left == GCB_T) && right == GCB_T) return 0; /* GB8 */
    if (right == GCB_EXTEND || right == GCB_ZWJ) return 0; /* GB9 */
    if (right == GCB_SPACINGMARK) return 0; /* GB9a */
    if (left == GCB_PREPEND) return 0; /* GB9b */
    if (rx_incb(rc) == INCB_CONSONANT) { /* GB9c, as regex applies it */
        Py_ssize_t p = pos - 1;
        while (p >= 0 && rx_incb(s[p]) == INCB_EXTEND) p--;
        if (p >= 0 && rx_incb(s[p]) == INCB_LINKER) return 0;
    }
    if (left == GCB_ZWJ && (rx_prop(rc) & P_EXTPICT)) { /* GB11 */
        Py_ssize_t p = pos - 2;
        while (p >= 0 && rx_gcb(s[p]) == GCB_EXTEND) p--;
        if (p >= 0 && (rx_prop(s[p]) & P_EXTPICT)) return 0;
    }
    if (right == GCB_RI) { /* GB12, GB13 */
        Py_ssize_t p = pos - 1;
        while (p >= 0 && rx_gcb(s[p]) == GCB_RI) p--;
        if ((pos - 1 - p) % 2 == 1) return 0;
    }
    return 1; /* GB999 */
}

Py_ssize_t rx_cluster_end(const uint32_t *s, Py_ssize_t n, Py_ssize_t pos) {
    Py_ssize_t q = pos + 1;
    while (q < n && !rx_at_boundary(s, n, q)) q++;
    return q;
}

Py_ssize_t rx_count_clusters(const uint32_t *s, Py_ssize_t n, Py_ssize_t at_most) {
    Py_ssize_t count = 0;
    for (Py_ssize_t p = 0; p < n && count < at_most; p = rx_cluster_end(s, n, p)) count++;
    return count;
}

/* ---- base tokens (segment._base_tokens) ---------------------------------------------------------- */

static inline int is_start(uint32_t c) { return (rx_prop(c) & P_START) != 0; }
static inline int is_cont(uint32_t c) { return (rx_prop(c) & P_CONT) != 0; }
static inline int is_num(uint32_t c) { return (rx_prop(c) & P_N) != 0; }

static inline int is_joiner(uint32_t c) { /* segment._JOINERS */
    return c == '\'' || c == 0x2019 || c == '-' || c == 0x2010 || c == 0x2011 || c == 0x05be ||
           c == 0x05f3 || c == 0x05f4;
}
static inline int is_separator(uint32_t c) { /* segment._NUM_SEPARATORS */
    return c == '.' || c == ',' || c == 0x066b || c == 0x066c;
}

static int needs_exact(const uint32_t *s, Py_ssize_t n) {
    /* _NEEDS_EXACT_RE: a Prepend character, or an InCB=Linker not preceded by _START _CONT*. */
    Py_ssize_t run_start = 0; /* start of the _CONT run that ends just before i */
    Py_ssize_t last_start = -1; /* last _START position in that run */
    for (Py_ssize_t i = 0; i < n; i++) {
        uint32_t c = s[i];
        if (rx_gcb(c) == GCB_PREPEND) return 1;
        if (rx_incb(c) == INCB_LINKER && !(last_start >= run_start)) return 1;
        if (is_cont(c)) {
            if (is_start(c)) last_start = i;
        } else {
            run_start = i + 1;
        }
    }
    return 0;
}

/* One word of _FAST_RE or _EXACT_RE (``step`` moves over one unit: a code point or a cluster). */
static Py_ssize_t word_end(const uint32_t *s, Py_ssize_t n, Py_ssize_t p, int exact) {
    Py_ssize_t e = exact ? rx_cluster_end(s, n, p) : p + 1;
    for (;;) {
        while (e < n && is_cont(s[e])) e = exact ? rx_cluster_end(s, n, e) : e + 1;
        if (e + 1 >= n) return e;
        uint32_t c = s[e], next = s[e + 1];
        int joined = is_joiner(c) && is_start(next);
        int separated = is_separator(c) && is_num(s[e - 1]) && is_num(next) && is_start(next);
        if (!joined && !separated) return e;
        e = exact ? rx_cluster_end(s, n, e + 1) : e + 2;
    }
}

static int push(rx_vec *out, Py_ssize_t start, Py_ssize_t end, int is_word) {
    if (rx_vec_reserve(out, out->len + 1) < 0) return -1;
    rx_token *t = RX_AT(*out, rx_token) + out->len++;
    t->start = (int32_t)start;
    t->end = (int32_t)end;
    t->is_word = is_word;
    return 0;
}

/* _append: a non-word run after a non-word run merges into it. */
static int append(rx_vec *out, Py_ssize_t start, Py_ssize_t end, int is_word) {
    if (!is_word && out->len && !RX_AT(*out, rx_token)[out->len - 1].is_word) {
        RX_AT(*out, rx_token)[out->len - 1].end = (int32_t)end;
        return 0;
    }
    return push(out, start, end, is_word);
}

/* _base_tokens(s[0:n]) with offsets shifted by ``offset``; ``merge`` appends through _append. */
static int base_tokens(const uint32_t *s, Py_ssize_t n, Py_ssize_t offset, rx_vec *out, int merge) {
    int exact = needs_exact(s, n);
    Py_ssize_t p = 0, gap = 0; /* gap: start of the pending non-word run */
    while (p < n) {
        if (exact) {
            Py_ssize_t e;
            if (is_start(s[p])) {
                e = word_end(s, n, p, 1);
            } else {
                e = rx_cluster_end(s, n, p);
                while (e < n && !is_start(s[e])) e = rx_cluster_end(s, n, e);
            }
            int w = is_start(s[p]);
            if ((merge ? append : push)(out, p + offset, e + offset, w) < 0) return -1;
            p = e;
            continue;
        }
        if (!is_start(s[p])) {
            p++;
            continue;
        }
        if (p > gap && (merge ? append : push)(out, gap + offset, p + offset, 0) < 0) return -1;
        Py_ssize_t e = word_end(s, n, p, 0);
        if ((merge ? append : push)(out, p + offset, e + offset, 1) < 0) return -1;
        p = gap = e;
    }
    if (!exact && n > gap && (merge ? append : push)(out, gap + offset, n + offset, 0) < 0) return -1;
    return 0;
}

/* ---- word segmentation (wordseg) ----------------------------------------------------------------- */

static int needs_segmentation(const uint32_t *s, Py_ssize_t n) {
    int beyond = 0, spaceless = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        beyond |= s[i] > 0x0dff;
        spaceless |= (rx_prop(s[i]) & P_SPACELESS) != 0;
    }
    return beyond && spaceless;
}

static inline int is_ext(uint32_t c) { return (rx_prop(c) & P_M) || c == 0x200c || c == 0x200d; }

void rx_segctx_clear(rx_segctx *seg) {
    for (int i = 0; i < 3; i++) {
        Py_CLEAR(seg->cuts[i]);
        seg->loaded[i] = 0;
    }
}

/* The bound ``cut`` of wordseg._backend(code), Py_None when there is none; NULL on error. */
static PyObject *backend_cut(rx_segctx *seg, int which) {
    static const char *codes[3] = {"th", "ja", "zh"};
    if (!seg->loaded[which]) {
        PyObject *backend = PyObject_CallFunction(seg->backend_fn, "s", codes[which]);
        if (backend == NULL) return NULL;
        if (backend == Py_None) {
            seg->cuts[which] = backend;
        } else {
            seg->cuts[which] = PyObject_GetAttrString(backend, "cut");
            Py_DECREF(backend);
            if (seg->cuts[which] == NULL) return NULL;
        }
        seg->loaded[which] = 1;
    }
    return seg->cuts[which];
}

typedef struct {
    Py_ssize_t *data;
    Py_ssize_t len, cap;
} cutset;

static int cut_add(cutset *c, Py_ssize_t v) {
    if (c->len == c->cap) {
        Py_ssize_t cap = c->cap ? 2 * c->cap : 32;
        Py_ssize_t *data = PyMem_Realloc(c->data, (size_t)cap * sizeof(Py_ssize_t));
        if (data == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        c->data = data;
        c->cap = cap;
    }
    c->data[c->len++] = v;
    return 0;
}

static int is_space_str(PyObject *piece) {
    Py_ssize_t len = PyUnicode_GET_LENGTH(piece);
    int kind = PyUnicode_KIND(piece);
    const void *data = PyUnicode_DATA(piece);
    for (Py_ssize_t i = 0; i < len; i++)
        if (!Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, i))) return 0;
    return len > 0;
}

/* wordseg._cuts: the segmenter's pieces aligned on ``run``, the rest in clusters. 1 when the
 * segmenter raised (the caller then asks Python), 0 done, -1 error. */
static int run_cuts(const uint32_t *run, Py_ssize_t n, Py_ssize_t base, PyObject *cut, cutset *cuts) {
    Py_ssize_t pos = 0;
    if (cut != Py_None) {
        PyObject *text = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, run, n);
        if (text == NULL) return -1;
        PyObject *pieces = PyObject_CallOneArg(cut, text);
        Py_DECREF(text);
        if (pieces == NULL) { /* wordseg._cuts catches Exception (not BaseException) */
            if (!PyErr_ExceptionMatches(PyExc_Exception)) return -1;
            PyErr_Clear();
            return 1;
        }
        PyObject *seq = PySequence_Fast(pieces, "segmenter did not return a sequence");
        Py_DECREF(pieces);
        if (seq == NULL) return -1;
        Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
        for (Py_ssize_t i = 0; i < count; i++) {
            PyObject *piece = PySequence_Fast_GET_ITEM(seq, i);
            if (!PyUnicode_Check(piece)) {
                Py_DECREF(seq);
                PyErr_SetString(PyExc_TypeError, "segmenter returned a non-str piece");
                return -1;
            }
            Py_ssize_t len = PyUnicode_GET_LENGTH(piece);
            if (len == 0 || is_space_str(piece)) continue;
            if (len > n - pos) break;
            int kind = PyUnicode_KIND(piece), same = 1;
            const void *data = PyUnicode_DATA(piece);
            for (Py_ssize_t k = 0; k < len && same; k++) same = PyUnicode_READ(kind, data, k) == run[pos + k];
            if (!same) break;
            pos += len;
            if (cut_add(cuts, base + pos) < 0) {
                Py_DECREF(seq);
                return -1;
            }
        }
        Py_DECREF(seq);
    }
    for (Py_ssize_t p = pos; p < n;) { /* _GRAPHEME_RE.finditer(run, pos): the run is the context */
        p = rx_cluster_end(run, n, p);
        if (cut_add(cuts, base + p) < 0) return -1;
    }
    return 0;
}

static int my_syllable_start(const uint32_t *r, Py_ssize_t n, Py_ssize_t i) { /* _MY_SYLLABLE_RE */
    uint32_t c = r[i];
    if (c >= 0x1000 && c <= 0x1021)
        return !(i > 0 && r[i - 1] == 0x1039) && !(i + 1 < n && (r[i + 1] == 0x103a || r[i + 1] == 0x1039));
    if ((c >= 0x1023 && c <= 0x102a) || c == 0x103f || (c >= 0x104c && c <= 0x104f)) return 1;
    if (c >= 0x1040 && c <= 0x1049) return !(i > 0 && r[i - 1] >= 0x1040 && r[i - 1] <= 0x1049);
    return 0;
}

static int cmp_ssize(const void *a, const void *b) {
    Py_ssize_t x = *(const Py_ssize_t *)a, y = *(const Py_ssize_t *)b;
    return (x > y) - (x < y);
}

/* All cuts of wordseg._segment_cached before the boundary filter; 1 = a segmenter raised. */
static int word_cuts(const uint32_t *w, Py_ssize_t n, rx_segctx *seg, cutset *cuts) {
    Py_ssize_t p = 0;
    while (p < n) {
        unsigned first = rx_prop(w[p]); /* _RUN_RE: the run's family is its first char's, cjk|th|my|other */
        unsigned fam = first & P_CJK ? P_CJK : first & P_THAI ? P_THAI : first & P_MYANMAR ? P_MYANMAR : 0;
        Py_ssize_t e = p + 1;
        while (e < n && (is_ext(w[e]) || (fam ? (rx_prop(w[e]) & fam) != 0 : !(rx_prop(w[e]) & P_SPACELESS))))
            e++;
        if (cut_add(cuts, e) < 0) return -1;
        if (fam == P_MYANMAR) {
            for (Py_ssize_t i = p; i < e; i++)
                if (my_syllable_start(w + p, e - p, i - p) && cut_add(cuts, i) < 0) return -1;
        } else if (fam) {
            int which = 0; /* th */
            if (fam == P_CJK) {
                int kana = 0;
                for (Py_ssize_t i = p; i < e && !kana; i++) kana = (rx_prop(w[i]) & P_KANA) != 0;
                which = seg->japanese || kana ? 1 : 2;
            }
            PyObject *cut = backend_cut(seg, which);
            if (cut == NULL) return -1;
            int rc = run_cuts(w + p, e - p, p, cut, cuts);
            if (rc != 0) return rc;
        }
        p = e;
    }
    return 0;
}

/* segment_word(word, code) as piece lengths in *pieces (Py_ssize_t items). */
static int segment_word(const uint32_t *w, Py_ssize_t n, rx_segctx *seg, rx_vec *pieces) {
    cutset cuts = {NULL, 0, 0};
    pieces->len = 0;
    int rc = word_cuts(w, n, seg, &cuts);
    if (rc == 0) {
        qsort(cuts.data, (size_t)cuts.len, sizeof(Py_ssize_t), cmp_ssize);
        Py_ssize_t prev = 0, next_bound = 0, last = -1;
        for (Py_ssize_t i = 0; i < cuts.len && rc == 0; i++) {
            Py_ssize_t c = cuts.data[i];
            if (c == last || c <= 0) continue; /* a set; 0 is no cluster end */
            last = c;
            while (next_bound < c) next_bound = rx_cluster_end(w, n, next_bound);
            if (next_bound != c || (c < n && (rx_prop(w[c]) & P_M))) continue;
            if (rx_vec_reserve(pieces, pieces->len + 1) < 0) rc = -1;
            else RX_AT(*pieces, Py_ssize_t)[pieces->len++] = c - prev;
            prev = c;
        }
    }
    PyMem_Free(cuts.data);
    if (rc != 1) return rc;
    /* A segmenter raised: wordseg.segment_word logs it and falls back; ask it for the pieces. */
    PyObject *word = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, w, n);
    if (word == NULL) return -1;
    PyObject *lengths = PyObject_CallFunctionObjArgs(seg->segment_word_fn, word, seg->code, NULL);
    Py_DECREF(word);
    if (lengths == NULL) return -1;
    PyObject *seq = PySequence_Fast(lengths, "segment_word did not return a sequence");
    Py_DECREF(lengths);
    if (seq == NULL) return -1;
    Py_ssize_t count = PySequence_Fast_GET_SIZE(seq);
    pieces->len = 0;
    if (rx_vec_reserve(pieces, (size_t)count) < 0) {
        Py_DECREF(seq);
        return -1;
    }
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t v = PyLong_AsSsize_t(PySequence_Fast_GET_ITEM(seq, i));
        if (v == -1 && PyErr_Occurred()) {
            Py_DECREF(seq);
            return -1;
        }
        RX_AT(*pieces, Py_ssize_t)[pieces->len++] = v;
    }
    Py_DECREF(seq);
    return 0;
}

static int has_inner_punct(const uint32_t *s, Py_ssize_t n) { /* segment._INNER_PUNCT_RE */
    for (Py_ssize_t i = 0; i < n; i++)
        if (is_joiner(s[i]) || is_separator(s[i])) return 1;
    return 0;
}

int rx_tokenize(const uint32_t *s, Py_ssize_t n, rx_segctx *seg, rx_vec *out) {
    out->len = 0;
    if (!needs_segmentation(s, n)) return base_tokens(s, n, 0, out, 0);
    rx_vec base = RX_VEC(rx_token), pieces = RX_VEC(Py_ssize_t);
    int rc = base_tokens(s, n, 0, &base, 0);
    for (size_t t = 0; t < base.len && rc == 0; t++) {
        rx_token tok = RX_AT(base, rx_token)[t];
        const uint32_t *w = s + tok.start;
        Py_ssize_t len = tok.end - tok.start;
        if (!tok.is_word || !needs_segmentation(w, len)) {
            rc = append(out, tok.start, tok.end, tok.is_word);
            continue;
        }
        rc = segment_word(w, len, seg, &pieces);
        int plain = !has_inner_punct(w, len);
        Py_ssize_t start = tok.start;
        for (size_t k = 0; k < pieces.len && rc == 0; k++) {
            Py_ssize_t end = start + RX_AT(pieces, Py_ssize_t)[k];
            if (end > tok.end || end <= start) { /* segment_word's lengths always add up */
                PyErr_SetString(PyExc_RuntimeError, "word segmentation lengths do not add up");
                rc = -1;
                break;
            }
            if (plain || !has_inner_punct(s + start, end - start)) rc = push(out, start, end, 1);
            else rc = base_tokens(s + start, end - start, start, out, 1);
            start = end;
        }
        if (rc == 0 && start != tok.end) {
            PyErr_SetString(PyExc_RuntimeError, "word segmentation lengths do not add up");
            rc = -1;
        }
    }
    rx_vec_free(&base);
    rx_vec_free(&pieces);
    return rc;
}
