/* Shared declarations of the compiled fast path for character noise (robustx._fast._charnoise).
 *
 * Everything here emulates a Python function of robustx or CPython exactly; the Python code stays the
 * reference and tests/test_fastpath*.py compare the two on arbitrary Unicode and real sentences.
 */
#ifndef RX_FAST_H
#define RX_FAST_H

#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stddef.h>
#include <stdint.h>

#include "tables.h"

/* ---- Unicode properties (tables.h, from the installed regex module) ---------------------------- */

enum {
    GCB_OTHER = 0, GCB_CR, GCB_LF, GCB_CONTROL, GCB_EXTEND, GCB_ZWJ, GCB_RI, GCB_PREPEND,
    GCB_SPACINGMARK, GCB_L, GCB_V, GCB_T, GCB_LV, GCB_LVT
};
enum { INCB_NONE = 0, INCB_CONSONANT = 1, INCB_EXTEND = 2, INCB_LINKER = 3 };

#define P_GCB 0x000f
#define P_EXTPICT (1u << 6)
#define P_START (1u << 7)   /* segment._START */
#define P_CONT (1u << 8)    /* segment._CONT */
#define P_N (1u << 9)       /* \p{N} */
#define P_M (1u << 10)      /* \p{M} */
#define P_CJK (1u << 11)    /* wordseg._CJK: scx Han, Hiragana, Katakana */
#define P_THAI (1u << 12)   /* \p{Thai} */
#define P_MYANMAR (1u << 13) /* \p{Myanmar} */
#define P_KANA (1u << 14)   /* \p{Hiragana} or \p{Katakana} */
#define P_SPACELESS (P_CJK | P_THAI | P_MYANMAR)

static inline unsigned rx_prop(uint32_t cp) {
    if (cp >= 0x110000) return 0;
    return rx_stage2[(size_t)rx_stage1[cp / RX_BLOCK] * RX_BLOCK + (cp % RX_BLOCK)];
}
static inline unsigned rx_gcb(uint32_t cp) { return rx_prop(cp) & P_GCB; }
static inline unsigned rx_incb(uint32_t cp) { return (rx_prop(cp) >> 4) & 3u; }

/* ---- CPython's random.Random, seeded from a str (version 2) ------------------------------------ */

typedef struct {
    uint32_t mt[624];
    int index; /* next word to draw, as in CPython (624: a new round is due) */
    int made;  /* words [0, made) of the current round are twisted (the rest lazily, see rng.c) */
} rx_rng;

void rx_rng_setup(void);
void rx_sha512(const uint8_t *msg, size_t len, uint8_t out[64]);
int rx_rng_seed(rx_rng *rng, const uint8_t *utf8, size_t len); /* 0 or -1 (MemoryError set) */
#define RX_LANES 8 /* one AVX2 vector */
/* rx_rng_seed for count <= RX_LANES keys at once (the same states, faster) */
int rx_rng_seed_many(rx_rng *rngs, const uint8_t *const *msgs, const size_t *lens, int count);
uint32_t rx_rng_u32(rx_rng *rng);
void rx_rng_state(rx_rng *rng, uint32_t out[624], int *index); /* getstate()[1] */
double rx_rng_random(rx_rng *rng);
uint32_t rx_rng_below(rx_rng *rng, uint32_t n); /* _randbelow(n), n >= 1 */

/* ---- Growable buffers --------------------------------------------------------------------------- */

typedef struct {
    void *data;
    size_t len, cap, item;
} rx_vec;

int rx_vec_reserve(rx_vec *v, size_t n); /* room for n items in all; -1 with MemoryError */
void rx_vec_free(rx_vec *v);
#define RX_VEC(T) {NULL, 0, 0, sizeof(T)}
#define RX_AT(v, T) ((T *)(v).data)

/* ---- Text: grapheme clusters (regex \X), tokens (robustx.text.segment) -------------------------- */

typedef struct {
    int32_t start, end;
    int32_t is_word;
} rx_token;

/* Python objects the segmentation of spaceless scripts calls back into (robustx.text.wordseg). */
typedef struct {
    PyObject *backend_fn;      /* wordseg._backend */
    PyObject *segment_word_fn; /* wordseg.segment_word (used when a segmenter raises) */
    PyObject *code;            /* canonical language code (str) */
    int japanese;              /* code == "ja" */
    PyObject *cuts[3];         /* bound .cut of the th, ja, zh backends (Py_None: no backend); lazily */
    int loaded[3];
} rx_segctx;

int rx_at_boundary(const uint32_t *s, Py_ssize_t n, Py_ssize_t pos);
Py_ssize_t rx_cluster_end(const uint32_t *s, Py_ssize_t n, Py_ssize_t pos);
Py_ssize_t rx_count_clusters(const uint32_t *s, Py_ssize_t n, Py_ssize_t at_most);
/* tokenize(text, lang) into *out (rx_token items); 0 or -1 with a Python exception set. */
int rx_tokenize(const uint32_t *s, Py_ssize_t n, rx_segctx *seg, rx_vec *out);
void rx_segctx_clear(rx_segctx *seg);

/* ---- Character noise (robustx.attacks.charnoise / charops / words / filters) --------------------- */

enum { OP_SWAP = 0, OP_DELETE, OP_INSERT, OP_SUBSTITUTE, OP_HOMOGLYPH, OP_INVISIBLE, OP_COUNT };
#define RX_MAX_OPS 16

/* code point -> options (strings); a dict of single-character keys, as the ops look them up */
typedef struct {
    uint32_t *keys;  /* open addressing, cap slots, UINT32_MAX = empty */
    uint32_t *entry; /* slot -> entry index */
    size_t cap;
    uint32_t *first, *count; /* entry -> options range */
    uint32_t *opt_off, *opt_len; /* option -> range of pool */
    uint32_t *pool;
    size_t nentries, noptions;
} rx_table;

int rx_table_build(rx_table *t, PyObject *mapping); /* dict[str, tuple[str, ...]] */
void rx_table_free(rx_table *t);
/* options of cp: *first and the count (0 when absent) */
static inline uint32_t rx_table_get(const rx_table *t, uint32_t cp, uint32_t *first) {
    if (t->cap == 0) return 0;
    size_t mask = t->cap - 1, i = (cp * 2654435761u) & mask;
    while (t->keys[i] != UINT32_MAX) {
        if (t->keys[i] == cp) {
            uint32_t e = t->entry[i];
            *first = t->first[e];
            return t->count[e];
        }
        i = (i + 1) & mask;
    }
    return 0;
}

typedef struct {
    int ops[RX_MAX_OPS];
    int nops;
    double rate;
    long edits, min_len;
    int keep_digits, keep_entities;
    PyObject *stops; /* frozenset of lower-cased stopwords, or NULL */
    int has_neighbours; /* bool(ctx.neighbours) */
    int homoglyph_only; /* _applicable: every op is homoglyph, so words need a confusable */
    rx_table substitutes, insertable, homoglyphs; /* homoglyphs: kind-filtered in Python */
    rx_table invisibles; /* one entry, key 0: ctx.invisibles */
} rx_engine;

typedef struct {
    rx_vec out;     /* uint32 code points of the perturbed text */
    rx_vec spans;   /* int32 pairs: changed spans in out */
    long units, units_changed;
    int changed;    /* some word was replaced */
    /* scratch, kept between texts */
    rx_vec tokens, cands, chosen, pool, arena, units_v, tmp_units, repl;
} rx_work;

void rx_work_free(rx_work *w);
int rx_sample(rx_rng *rng, const int32_t *pop, size_t n, size_t k, int32_t *result, rx_vec *scratch);
/* CharNoise.__call__(text) with the RNG seeded from ``key`` (UTF-8); 0 or -1 with an exception. */
int rx_perturb(const rx_engine *eng, rx_segctx *seg, const uint32_t *s, Py_ssize_t n, rx_rng *rng,
               rx_work *w);

#endif
