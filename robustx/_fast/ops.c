/* CharNoise.__call__ for one text: words.perturb_selected, filters.word_filter, charops ops.
 *
 * The RNG is drawn in exactly the Python order: sample_count's random(), Random.sample (its pool or set
 * branch by the same setsize rule), then per chosen word (in index order) shuffle of the ops and each
 * op's own draws, including the draws of an op that then finds nothing to do.
 */
#include "fast.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- lookup tables -------------------------------------------------------------------------------- */

void rx_table_free(rx_table *t) {
    PyMem_Free(t->keys);
    PyMem_Free(t->entry);
    PyMem_Free(t->first);
    PyMem_Free(t->count);
    PyMem_Free(t->opt_off);
    PyMem_Free(t->opt_len);
    PyMem_Free(t->pool);
    memset(t, 0, sizeof *t);
}

static int str_append(rx_vec *pool, PyObject *s, uint32_t *off, uint32_t *len) {
    Py_ssize_t n = PyUnicode_GET_LENGTH(s);
    if (rx_vec_reserve(pool, pool->len + (size_t)n) < 0) return -1;
    int kind = PyUnicode_KIND(s);
    const void *data = PyUnicode_DATA(s);
    uint32_t *dst = RX_AT(*pool, uint32_t) + pool->len;
    for (Py_ssize_t i = 0; i < n; i++) dst[i] = PyUnicode_READ(kind, data, i);
    *off = (uint32_t)pool->len;
    *len = (uint32_t)n;
    pool->len += (size_t)n;
    return 0;
}

/* mapping: dict[str, tuple[str, ...]]; keys that are not one character are never looked up. */
int rx_table_build(rx_table *t, PyObject *mapping) {
    memset(t, 0, sizeof *t);
    if (!PyDict_Check(mapping)) {
        PyErr_SetString(PyExc_TypeError, "table must be a dict");
        return -1;
    }
    Py_ssize_t size = PyDict_GET_SIZE(mapping);
    size_t cap = 16;
    while (cap < 2 * (size_t)size + 1) cap *= 2;
    rx_vec first = RX_VEC(uint32_t), count = RX_VEC(uint32_t), off = RX_VEC(uint32_t),
           len = RX_VEC(uint32_t), pool = RX_VEC(uint32_t);
    t->keys = PyMem_Malloc(cap * sizeof(uint32_t));
    t->entry = PyMem_Malloc(cap * sizeof(uint32_t));
    if (t->keys == NULL || t->entry == NULL) goto nomem;
    memset(t->keys, 0xff, cap * sizeof(uint32_t));
    t->cap = cap;
    PyObject *key, *value;
    Py_ssize_t pos = 0;
    while (PyDict_Next(mapping, &pos, &key, &value)) {
        if (!PyUnicode_Check(key) || !PyTuple_Check(value)) {
            PyErr_SetString(PyExc_TypeError, "table entries must be str -> tuple[str, ...]");
            goto fail;
        }
        if (PyUnicode_GET_LENGTH(key) != 1) continue;
        uint32_t cp = PyUnicode_READ_CHAR(key, 0);
        if (rx_vec_reserve(&first, first.len + 1) < 0 || rx_vec_reserve(&count, count.len + 1) < 0) goto fail;
        uint32_t e = (uint32_t)first.len;
        RX_AT(first, uint32_t)[first.len++] = (uint32_t)off.len;
        Py_ssize_t k = PyTuple_GET_SIZE(value);
        RX_AT(count, uint32_t)[count.len++] = (uint32_t)k;
        for (Py_ssize_t i = 0; i < k; i++) {
            PyObject *opt = PyTuple_GET_ITEM(value, i);
            if (!PyUnicode_Check(opt)) {
                PyErr_SetString(PyExc_TypeError, "table options must be str");
                goto fail;
            }
            if (rx_vec_reserve(&off, off.len + 1) < 0 || rx_vec_reserve(&len, len.len + 1) < 0) goto fail;
            if (str_append(&pool, opt, RX_AT(off, uint32_t) + off.len, RX_AT(len, uint32_t) + len.len) < 0)
                goto fail;
            off.len++;
            len.len++;
        }
        size_t slot = (cp * 2654435761u) & (cap - 1);
        while (t->keys[slot] != UINT32_MAX) slot = (slot + 1) & (cap - 1);
        t->keys[slot] = cp;
        t->entry[slot] = e;
    }
    t->first = first.data;
    t->count = count.data;
    t->opt_off = off.data;
    t->opt_len = len.data;
    t->pool = pool.data;
    t->nentries = first.len;
    t->noptions = off.len;
    if (t->nentries == 0) { /* an empty table answers nothing */
        rx_table_free(t);
    }
    return 0;
nomem:
    PyErr_NoMemory();
fail:
    rx_vec_free(&first);
    rx_vec_free(&count);
    rx_vec_free(&off);
    rx_vec_free(&len);
    rx_vec_free(&pool);
    rx_table_free(t);
    return -1;
}

void rx_work_free(rx_work *w) {
    rx_vec *all[] = {&w->out, &w->spans, &w->tokens, &w->cands, &w->chosen, &w->pool,
                     &w->arena, &w->units_v, &w->tmp_units, &w->repl};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) rx_vec_free(all[i]);
}

/* ---- units: a word as extended grapheme clusters (slices of the arena) -------------------------- */

typedef struct {
    uint32_t off, len;
} unit;

#define ARENA(w) RX_AT((w)->arena, uint32_t)
#define UNITS(w) RX_AT((w)->units_v, unit)

static int unit_eq(const uint32_t *a, unit x, unit y) {
    return x.len == y.len && memcmp(a + x.off, a + y.off, x.len * sizeof(uint32_t)) == 0;
}

static const uint32_t *sort_arena; /* qsort has no context argument; one thread holds the GIL */

static int unit_cmp(const void *pa, const void *pb) { /* Python str ordering: by code point */
    unit x = *(const unit *)pa, y = *(const unit *)pb;
    uint32_t n = x.len < y.len ? x.len : y.len;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t c = sort_arena[x.off + i], d = sort_arena[y.off + i];
        if (c != d) return c < d ? -1 : 1;
    }
    return (x.len > y.len) - (x.len < y.len);
}

/* A new unit holding table option ``o`` of ``t`` (copied into the arena). */
static int option_unit(rx_work *w, const rx_table *t, uint32_t o, unit *u) {
    uint32_t len = t->opt_len[o];
    if (rx_vec_reserve(&w->arena, w->arena.len + len) < 0) return -1;
    memcpy(ARENA(w) + w->arena.len, t->pool + t->opt_off[o], len * sizeof(uint32_t));
    u->off = (uint32_t)w->arena.len;
    u->len = len;
    w->arena.len += len;
    return 0;
}

static int insert_unit(rx_work *w, size_t at, unit u) {
    if (rx_vec_reserve(&w->units_v, w->units_v.len + 1) < 0) return -1;
    unit *us = UNITS(w);
    memmove(us + at + 1, us + at, (w->units_v.len - at) * sizeof(unit));
    us[at] = u;
    w->units_v.len++;
    return 0;
}

/* ---- ops: 1 applied, 0 cannot apply (charops returns None), -1 error ---------------------------- */

static int op_swap(const rx_engine *e, rx_rng *rng, rx_work *w) {
    (void)e;
    unit *us = UNITS(w);
    size_t m = w->units_v.len, spots = 0;
    for (size_t i = 0; i + 1 < m; i++) spots += !unit_eq(ARENA(w), us[i], us[i + 1]);
    if (!spots) return 0;
    uint32_t k = rx_rng_below(rng, (uint32_t)spots);
    for (size_t i = 0; i + 1 < m; i++) {
        if (unit_eq(ARENA(w), us[i], us[i + 1])) continue;
        if (k-- == 0) {
            unit t = us[i];
            us[i] = us[i + 1];
            us[i + 1] = t;
            break;
        }
    }
    return 1;
}

static int op_delete(const rx_engine *e, rx_rng *rng, rx_work *w) {
    (void)e;
    size_t m = w->units_v.len;
    if (m < 2) return 0;
    uint32_t i = rx_rng_below(rng, (uint32_t)m);
    memmove(UNITS(w) + i, UNITS(w) + i + 1, (m - i - 1) * sizeof(unit));
    w->units_v.len--;
    return 1;
}

static int op_insert(const rx_engine *e, rx_rng *rng, rx_work *w) {
    size_t m = w->units_v.len;
    uint32_t i = rx_rng_below(rng, (uint32_t)(m + 1));
    unit u = {0, 0};
    if (e->has_neighbours) {
        unit near = UNITS(w)[i > 0 ? i - 1 : 0];
        uint64_t total = 0;
        uint32_t first;
        for (uint32_t j = 0; j < near.len; j++) total += rx_table_get(&e->insertable, ARENA(w)[near.off + j], &first);
        if (!total) return 0;
        uint32_t pick = rx_rng_below(rng, (uint32_t)total);
        for (uint32_t j = 0; j < near.len; j++) {
            uint32_t cnt = rx_table_get(&e->insertable, ARENA(w)[near.off + j], &first);
            if (pick < cnt) {
                if (option_unit(w, &e->insertable, first + pick, &u) < 0) return -1;
                break;
            }
            pick -= cnt;
        }
    } else {
        u = UNITS(w)[rx_rng_below(rng, (uint32_t)m)];
    }
    return insert_unit(w, i, u) < 0 ? -1 : 1;
}

static int substitute_code_point(const rx_engine *e, rx_rng *rng, rx_work *w) {
    size_t m = w->units_v.len;
    uint64_t spots = 0;
    uint32_t first;
    for (size_t i = 0; i < m; i++) {
        unit u = UNITS(w)[i];
        for (uint32_t j = 0; j < u.len; j++) spots += rx_table_get(&e->substitutes, ARENA(w)[u.off + j], &first) > 0;
    }
    if (!spots) return 0;
    uint32_t pick = rx_rng_below(rng, (uint32_t)spots);
    for (size_t i = 0; i < m; i++) {
        unit u = UNITS(w)[i];
        for (uint32_t j = 0; j < u.len; j++) {
            uint32_t cnt = rx_table_get(&e->substitutes, ARENA(w)[u.off + j], &first);
            if (!cnt || pick--) continue;
            uint32_t o = first + rx_rng_below(rng, cnt);
            uint32_t olen = e->substitutes.opt_len[o], len = u.len - 1 + olen;
            if (rx_vec_reserve(&w->arena, w->arena.len + len) < 0) return -1;
            uint32_t *dst = ARENA(w) + w->arena.len;
            memcpy(dst, ARENA(w) + u.off, j * sizeof(uint32_t));
            memcpy(dst + j, e->substitutes.pool + e->substitutes.opt_off[o], olen * sizeof(uint32_t));
            memcpy(dst + j + olen, ARENA(w) + u.off + j + 1, (u.len - j - 1) * sizeof(uint32_t));
            UNITS(w)[i] = (unit){(uint32_t)w->arena.len, len};
            w->arena.len += len;
            return 1;
        }
    }
    return 1; /* not reached */
}

static int op_substitute(const rx_engine *e, rx_rng *rng, rx_work *w) {
    if (e->has_neighbours) return substitute_code_point(e, rng, w);
    size_t m = w->units_v.len;
    uint32_t i = rx_rng_below(rng, (uint32_t)m);
    unit chosen = UNITS(w)[i];
    if (rx_vec_reserve(&w->tmp_units, m) < 0) return -1;
    unit *others = RX_AT(w->tmp_units, unit);
    size_t k = 0;
    for (size_t j = 0; j < m; j++)
        if (!unit_eq(ARENA(w), UNITS(w)[j], chosen)) others[k++] = UNITS(w)[j];
    if (!k) return 0;
    sort_arena = ARENA(w);
    qsort(others, k, sizeof(unit), unit_cmp); /* sorted(set(units) - {units[i]}) */
    size_t distinct = 1;
    for (size_t j = 1; j < k; j++)
        if (!unit_eq(ARENA(w), others[j], others[distinct - 1])) others[distinct++] = others[j];
    UNITS(w)[i] = others[rx_rng_below(rng, (uint32_t)distinct)];
    return 1;
}

static int op_homoglyph(const rx_engine *e, rx_rng *rng, rx_work *w) {
    size_t m = w->units_v.len, spots = 0;
    uint32_t first;
    for (size_t i = 0; i < m; i++) {
        unit u = UNITS(w)[i];
        spots += u.len == 1 && rx_table_get(&e->homoglyphs, ARENA(w)[u.off], &first) > 0;
    }
    if (!spots) return 0;
    uint32_t pick = rx_rng_below(rng, (uint32_t)spots);
    for (size_t i = 0; i < m; i++) {
        unit u = UNITS(w)[i];
        uint32_t cnt = u.len == 1 ? rx_table_get(&e->homoglyphs, ARENA(w)[u.off], &first) : 0;
        if (!cnt || pick--) continue;
        return option_unit(w, &e->homoglyphs, first + rx_rng_below(rng, cnt), UNITS(w) + i) < 0 ? -1 : 1;
    }
    return 1; /* not reached */
}

static int op_invisible(const rx_engine *e, rx_rng *rng, rx_work *w) {
    size_t m = w->units_v.len;
    uint32_t first, count = rx_table_get(&e->invisibles, 0, &first);
    if (m < 2 || !count) return 0;
    uint32_t i = 1 + rx_rng_below(rng, (uint32_t)(m - 1));
    unit u;
    if (option_unit(w, &e->invisibles, first + rx_rng_below(rng, count), &u) < 0) return -1;
    return insert_unit(w, i, u) < 0 ? -1 : 1;
}

typedef int (*op_fn)(const rx_engine *, rx_rng *, rx_work *);
static const op_fn OPS[OP_COUNT] = {op_swap, op_delete, op_insert, op_substitute, op_homoglyph, op_invisible};

/* CharNoise._edit(word): 1 and the new word in w->arena[*off:*off + *len] when it changed, else 0. */
static int edit_word(const rx_engine *e, const uint32_t *word, uint32_t n, rx_rng *rng, rx_work *w,
                     uint32_t *off, uint32_t *len) {
    w->arena.len = w->units_v.len = 0;
    if (rx_vec_reserve(&w->arena, n) < 0) return -1;
    memcpy(ARENA(w), word, n * sizeof(uint32_t));
    w->arena.len = n;
    for (Py_ssize_t p = 0; p < n;) { /* graphemes(word): the word alone is the context */
        Py_ssize_t q = rx_cluster_end(word, n, p);
        if (rx_vec_reserve(&w->units_v, w->units_v.len + 1) < 0) return -1;
        UNITS(w)[w->units_v.len++] = (unit){(uint32_t)p, (uint32_t)(q - p)};
        p = q;
    }
    for (long round = 0; round < e->edits; round++) {
        int order[RX_MAX_OPS];
        memcpy(order, e->ops, sizeof order);
        if (e->nops > 1) /* Random.shuffle */
            for (int i = e->nops - 1; i > 0; i--) {
                int j = (int)rx_rng_below(rng, (uint32_t)(i + 1)), t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
        for (int k = 0; k < e->nops; k++) {
            int rc = OPS[order[k]](e, rng, w);
            if (rc < 0) return -1;
            if (rc) break;
        }
    }
    size_t total = 0, m = w->units_v.len;
    for (size_t i = 0; i < m; i++) total += UNITS(w)[i].len;
    if (rx_vec_reserve(&w->arena, w->arena.len + total) < 0) return -1;
    uint32_t *dst = ARENA(w) + w->arena.len;
    for (size_t i = 0, at = 0; i < m; i++) {
        unit u = UNITS(w)[i];
        memcpy(dst + at, ARENA(w) + u.off, u.len * sizeof(uint32_t));
        at += u.len;
    }
    *off = (uint32_t)w->arena.len;
    *len = (uint32_t)total;
    w->arena.len += total;
    return !(total == n && memcmp(dst, word, n * sizeof(uint32_t)) == 0);
}

/* ---- which words (filters.word_filter, charnoise._applicable) ------------------------------------ */

static const uint32_t SENTENCE_END[] = {'.', '!', '?', 0x3002, 0xff01, 0xff1f, 0x0964, 0x0965, 0x061f, '\n'};

static int is_sentence_end(uint32_t c) {
    for (size_t i = 0; i < sizeof SENTENCE_END / sizeof *SENTENCE_END; i++)
        if (SENTENCE_END[i] == c) return 1;
    return 0;
}

static int has_digit(const uint32_t *s, Py_ssize_t n) { /* not text.isalpha() and some ch.isdigit() */
    int alpha = n > 0;
    for (Py_ssize_t i = 0; i < n && alpha; i++) alpha = Py_UNICODE_ISALPHA(s[i]) != 0;
    if (alpha) return 0;
    for (Py_ssize_t i = 0; i < n; i++)
        if (Py_UNICODE_ISDIGIT(s[i])) return 1;
    return 0;
}

static int looks_like_entity(const uint32_t *s, const rx_token *toks, size_t index) {
    if (!Py_UNICODE_ISUPPER(s[toks[index].start])) return 0;
    for (size_t k = index; k-- > 0;) {
        if (toks[k].is_word) return 1;
        for (int32_t i = toks[k].start; i < toks[k].end; i++)
            if (is_sentence_end(s[i])) return 0;
    }
    return 0;
}

static int is_stopword(const rx_engine *e, const uint32_t *s, Py_ssize_t n) {
    PyObject *word = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, s, n);
    if (word == NULL) return -1;
    PyObject *lower = PyObject_CallMethod(word, "lower", NULL);
    Py_DECREF(word);
    if (lower == NULL) return -1;
    int found = PySet_Contains(e->stops, lower);
    Py_DECREF(lower);
    return found;
}

static int can_homoglyph(const rx_engine *e, const uint32_t *s, Py_ssize_t n) {
    uint32_t first;
    for (Py_ssize_t p = 0, q; p < n; p = q) {
        q = rx_cluster_end(s, n, p);
        if (q - p == 1 && rx_table_get(&e->homoglyphs, s[p], &first)) return 1;
    }
    return 0;
}

static int eligible(const rx_engine *e, const uint32_t *s, const rx_token *toks, size_t index) {
    const uint32_t *w = s + toks[index].start;
    Py_ssize_t n = toks[index].end - toks[index].start;
    if (e->keep_digits && has_digit(w, n)) return 0;
    if (e->stops != NULL) {
        int stop = is_stopword(e, w, n);
        if (stop) return stop < 0 ? -1 : 0;
    }
    if (e->keep_entities && looks_like_entity(s, toks, index)) return 0;
    if (e->min_len > 1 && rx_count_clusters(w, n, e->min_len) < e->min_len) return 0;
    return !e->homoglyph_only || can_homoglyph(e, w, n);
}

/* ---- which of them (words.sample_count, Random.sample) ------------------------------------------- */

int rx_sample(rx_rng *rng, const int32_t *pop, size_t n, size_t k, int32_t *result, rx_vec *scratch) {
    /* Random.sample(population, k): a pool when n <= setsize, else a set of drawn indices */
    if (rx_vec_reserve(scratch, n ? n : 1) < 0) return -1;
    double setsize = 21;
    if (k > 5) setsize += pow(4.0, ceil(log((double)(k * 3)) / log(4.0)));
    if ((double)n <= setsize) {
        int32_t *pool = RX_AT(*scratch, int32_t);
        memcpy(pool, pop, n * sizeof(int32_t));
        for (size_t i = 0; i < k; i++) {
            uint32_t j = rx_rng_below(rng, (uint32_t)(n - i));
            result[i] = pool[j];
            pool[j] = pool[n - i - 1];
        }
    } else {
        uint8_t *selected = (uint8_t *)scratch->data; /* n bytes fit in n int32 */
        memset(selected, 0, n);
        for (size_t i = 0; i < k; i++) {
            uint32_t j = rx_rng_below(rng, (uint32_t)n);
            while (selected[j]) j = rx_rng_below(rng, (uint32_t)n);
            selected[j] = 1;
            result[i] = pop[j];
        }
    }
    return 0;
}

static int cmp_int32(const void *a, const void *b) {
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return (x > y) - (x < y);
}

/* ---- perturb_selected + rebuild ------------------------------------------------------------------ */

typedef struct {
    int32_t token;
    uint32_t off, len; /* in w->repl */
} replacement;

static int rebuild(const uint32_t *s, Py_ssize_t n, rx_work *w, const replacement *repl, size_t nrepl) {
    const rx_token *toks = RX_AT(w->tokens, rx_token);
    size_t total = (size_t)n;
    for (size_t r = 0; r < nrepl; r++)
        total += repl[r].len - (size_t)(toks[repl[r].token].end - toks[repl[r].token].start);
    if (rx_vec_reserve(&w->out, total) < 0 || rx_vec_reserve(&w->spans, 2 * nrepl) < 0) return -1;
    uint32_t *out = RX_AT(w->out, uint32_t);
    int32_t *spans = RX_AT(w->spans, int32_t);
    size_t at = 0, src = 0;
    for (size_t r = 0; r < nrepl; r++) {
        const rx_token *t = toks + repl[r].token;
        memcpy(out + at, s + src, ((size_t)t->start - src) * sizeof(uint32_t));
        at += (size_t)t->start - src;
        spans[2 * r] = (int32_t)at;
        memcpy(out + at, RX_AT(w->repl, uint32_t) + repl[r].off, repl[r].len * sizeof(uint32_t));
        at += repl[r].len;
        spans[2 * r + 1] = (int32_t)at;
        src = (size_t)t->end;
    }
    memcpy(out + at, s + src, ((size_t)n - src) * sizeof(uint32_t));
    w->out.len = total;
    w->spans.len = 2 * nrepl;
    return 0;
}

int rx_perturb(const rx_engine *e, rx_segctx *seg, const uint32_t *s, Py_ssize_t n, rx_rng *rng,
               rx_work *w) {
    w->changed = 0;
    w->units = w->units_changed = 0;
    w->spans.len = w->cands.len = w->repl.len = 0;
    if (rx_tokenize(s, n, seg, &w->tokens) < 0) return -1;
    const rx_token *toks = RX_AT(w->tokens, rx_token);
    for (size_t i = 0; i < w->tokens.len; i++) {
        if (!toks[i].is_word) continue;
        int ok = eligible(e, s, toks, i);
        if (ok < 0) return -1;
        if (!ok) continue;
        if (rx_vec_reserve(&w->cands, w->cands.len + 1) < 0) return -1;
        RX_AT(w->cands, int32_t)[w->cands.len++] = (int32_t)i;
    }
    size_t n_cands = w->cands.len;
    if (!n_cands) return 0; /* Perturbed(text): units 0 */
    w->units = (long)n_cands;
    double exact = e->rate * (double)n_cands; /* sample_count: stochastic rounding */
    size_t whole = (size_t)exact;
    size_t k = whole + (rx_rng_random(rng) < exact - (double)whole ? 1 : 0);
    if (k > n_cands) k = n_cands;
    if (rx_vec_reserve(&w->chosen, k ? k : 1) < 0) return -1;
    w->chosen.len = k;
    if (rx_sample(rng, RX_AT(w->cands, int32_t), n_cands, k, RX_AT(w->chosen, int32_t), &w->pool) < 0) return -1;
    qsort(w->chosen.data, k, sizeof(int32_t), cmp_int32);
    replacement small[64];
    replacement *repl = k <= 64 ? small : PyMem_Malloc(k * sizeof(replacement));
    if (repl == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    size_t nrepl = 0;
    int rc = 0;
    for (size_t c = 0; c < k && rc == 0; c++) {
        int32_t t = RX_AT(w->chosen, int32_t)[c];
        uint32_t off, len, wlen = (uint32_t)(toks[t].end - toks[t].start);
        rc = edit_word(e, s + toks[t].start, wlen, rng, w, &off, &len);
        if (rc == 1) {
            rc = rx_vec_reserve(&w->repl, w->repl.len + len);
            if (rc == 0) {
                memcpy(RX_AT(w->repl, uint32_t) + w->repl.len, ARENA(w) + off, len * sizeof(uint32_t));
                repl[nrepl++] = (replacement){t, (uint32_t)w->repl.len, len};
                w->repl.len += len;
            }
        }
    }
    if (rc == 0 && nrepl) {
        rc = rebuild(s, n, w, repl, nrepl);
        w->changed = 1;
        w->units_changed = (long)nrepl;
    }
    if (repl != small) PyMem_Free(repl);
    return rc < 0 ? -1 : 0;
}
