/* CPython's random.Random, bit for bit: string seeding (version 2), MT19937, random(), _randbelow().
 *
 * random.seed(a: str) computes a = int.from_bytes(a.encode() + sha512(a.encode()).digest(), "big") and
 * Modules/_randommodule.c feeds that integer to init_by_array() as 32-bit words, least significant
 * first. SHA-512 is FIPS 180-4; tests/test_fastpath_rng.py checks all of it against CPython.
 */
#include "fast.h"

#include <string.h>

/* ---- SHA-512 ------------------------------------------------------------------------------------ */

static const uint64_t K512[80] = {
    0x428a2f98d728ae22ULL, 0x7137449123ef65cdULL, 0xb5c0fbcfec4d3b2fULL, 0xe9b5dba58189dbbcULL,
    0x3956c25bf348b538ULL, 0x59f111f1b605d019ULL, 0x923f82a4af194f9bULL, 0xab1c5ed5da6d8118ULL,
    0xd807aa98a3030242ULL, 0x12835b0145706fbeULL, 0x243185be4ee4b28cULL, 0x550c7dc3d5ffb4e2ULL,
    0x72be5d74f27b896fULL, 0x80deb1fe3b1696b1ULL, 0x9bdc06a725c71235ULL, 0xc19bf174cf692694ULL,
    0xe49b69c19ef14ad2ULL, 0xefbe4786384f25e3ULL, 0x0fc19dc68b8cd5b5ULL, 0x240ca1cc77ac9c65ULL,
    0x2de92c6f592b0275ULL, 0x4a7484aa6ea6e483ULL, 0x5cb0a9dcbd41fbd4ULL, 0x76f988da831153b5ULL,
    0x983e5152ee66dfabULL, 0xa831c66d2db43210ULL, 0xb00327c898fb213fULL, 0xbf597fc7beef0ee4ULL,
    0xc6e00bf33da88fc2ULL, 0xd5a79147930aa725ULL, 0x06ca6351e003826fULL, 0x142929670a0e6e70ULL,
    0x27b70a8546d22ffcULL, 0x2e1b21385c26c926ULL, 0x4d2c6dfc5ac42aedULL, 0x53380d139d95b3dfULL,
    0x650a73548baf63deULL, 0x766a0abb3c77b2a8ULL, 0x81c2c92e47edaee6ULL, 0x92722c851482353bULL,
    0xa2bfe8a14cf10364ULL, 0xa81a664bbc423001ULL, 0xc24b8b70d0f89791ULL, 0xc76c51a30654be30ULL,
    0xd192e819d6ef5218ULL, 0xd69906245565a910ULL, 0xf40e35855771202aULL, 0x106aa07032bbd1b8ULL,
    0x19a4c116b8d2d0c8ULL, 0x1e376c085141ab53ULL, 0x2748774cdf8eeb99ULL, 0x34b0bcb5e19b48a8ULL,
    0x391c0cb3c5c95a63ULL, 0x4ed8aa4ae3418acbULL, 0x5b9cca4f7763e373ULL, 0x682e6ff3d6b2b8a3ULL,
    0x748f82ee5defb2fcULL, 0x78a5636f43172f60ULL, 0x84c87814a1f0ab72ULL, 0x8cc702081a6439ecULL,
    0x90befffa23631e28ULL, 0xa4506cebde82bde9ULL, 0xbef9a3f7b2c67915ULL, 0xc67178f2e372532bULL,
    0xca273eceea26619cULL, 0xd186b8c721c0c207ULL, 0xeada7dd6cde0eb1eULL, 0xf57d4f7fee6ed178ULL,
    0x06f067aa72176fbaULL, 0x0a637dc5a2c898a6ULL, 0x113f9804bef90daeULL, 0x1b710b35131c471bULL,
    0x28db77f523047d84ULL, 0x32caab7b40c72493ULL, 0x3c9ebe0a15c9bebcULL, 0x431d67c49c100d4cULL,
    0x4cc5d4becb3e42b6ULL, 0x597f299cfc657e2aULL, 0x5fcb6fab3ad6faecULL, 0x6c44198c4a475817ULL,
};

static inline uint64_t rotr(uint64_t x, int n) { return (x >> n) | (x << (64 - n)); }

static void sha512_block(uint64_t h[8], const uint8_t *p) {
    uint64_t w[80];
    for (int t = 0; t < 16; t++) {
        uint64_t v = 0;
        for (int b = 0; b < 8; b++) v = (v << 8) | p[8 * t + b];
        w[t] = v;
    }
    for (int t = 16; t < 80; t++) {
        uint64_t s0 = rotr(w[t - 15], 1) ^ rotr(w[t - 15], 8) ^ (w[t - 15] >> 7);
        uint64_t s1 = rotr(w[t - 2], 19) ^ rotr(w[t - 2], 61) ^ (w[t - 2] >> 6);
        w[t] = w[t - 16] + s0 + w[t - 7] + s1;
    }
    uint64_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
    for (int t = 0; t < 80; t++) {
        uint64_t t1 = hh + (rotr(e, 14) ^ rotr(e, 18) ^ rotr(e, 41)) + ((e & f) ^ (~e & g)) + K512[t] + w[t];
        uint64_t t2 = (rotr(a, 28) ^ rotr(a, 34) ^ rotr(a, 39)) + ((a & b) ^ (a & c) ^ (b & c));
        hh = g;
        g = f;
        f = e;
        e = d + t1;
        d = c;
        c = b;
        b = a;
        a = t1 + t2;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
    h[5] += f;
    h[6] += g;
    h[7] += hh;
}

void rx_sha512(const uint8_t *msg, size_t len, uint8_t out[64]) {
    uint64_t h[8] = {0x6a09e667f3bcc908ULL, 0xbb67ae8584caa73bULL, 0x3c6ef372fe94f82bULL,
                     0xa54ff53a5f1d36f1ULL, 0x510e527fade682d1ULL, 0x9b05688c2b3e6c1fULL,
                     0x1f83d9abfb41bd6bULL, 0x5be0cd19137e2179ULL};
    size_t done = 0;
    for (; len - done >= 128; done += 128) sha512_block(h, msg + done);
    uint8_t tail[256];
    size_t rest = len - done;
    memset(tail, 0, sizeof tail);
    memcpy(tail, msg + done, rest);
    tail[rest] = 0x80;
    size_t total = rest + 1 + 16 <= 128 ? 128 : 256;
    uint64_t bits = (uint64_t)len * 8u; /* lengths >= 2**61 bytes do not occur */
    for (int b = 0; b < 8; b++) tail[total - 1 - b] = (uint8_t)(bits >> (8 * b));
    sha512_block(h, tail);
    if (total == 256) sha512_block(h, tail + 128);
    for (int i = 0; i < 8; i++)
        for (int b = 0; b < 8; b++) out[8 * i + b] = (uint8_t)(h[i] >> (56 - 8 * b));
}

/* ---- MT19937 as in Modules/_randommodule.c ------------------------------------------------------ */

#define N 624
#define M 397
#define MATRIX_A 0x9908b0dfU
#define UPPER_MASK 0x80000000U
#define LOWER_MASK 0x7fffffffU

static uint32_t genrand_19650218[N]; /* init_genrand(19650218): the same for every seed */

void rx_rng_setup(void) {
    genrand_19650218[0] = 19650218U;
    for (uint32_t i = 1; i < N; i++) {
        uint32_t prev = genrand_19650218[i - 1];
        genrand_19650218[i] = 1812433253U * (prev ^ (prev >> 30)) + i;
    }
}

static void init_by_array(rx_rng *rng, const uint32_t *key, size_t key_length) {
    uint32_t *mt = rng->mt;
    memcpy(mt, genrand_19650218, sizeof genrand_19650218);
    size_t i = 1, j = 0;
    size_t k = N > key_length ? N : key_length;
    for (; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1664525U)) + key[j] + (uint32_t)j;
        i++;
        j++;
        if (i >= N) {
            mt[0] = mt[N - 1];
            i = 1;
        }
        if (j >= key_length) j = 0;
    }
    for (k = N - 1; k; k--) {
        mt[i] = (mt[i] ^ ((mt[i - 1] ^ (mt[i - 1] >> 30)) * 1566083941U)) - (uint32_t)i;
        i++;
        if (i >= N) {
            mt[0] = mt[N - 1];
            i = 1;
        }
    }
    mt[0] = 0x80000000U;
    rng->index = N;
    rng->made = N;
}

/* The seed integer a.encode() + sha512 digest (big-endian) as 32-bit words, least significant first:
 * what random_seed() passes to init_by_array. Returns the number of words, 0 with MemoryError set. */
static size_t key_words(const uint8_t *utf8, size_t len, uint32_t *small, size_t small_cap, uint32_t **key) {
    size_t total = len + 64;
    uint8_t stack[512];
    uint8_t *bytes = total <= sizeof stack ? stack : PyMem_Malloc(total);
    if (bytes == NULL) {
        PyErr_NoMemory();
        return 0;
    }
    memcpy(bytes, utf8, len);
    rx_sha512(utf8, len, bytes + len);
    size_t first = 0;
    while (first < total && bytes[first] == 0) first++;
    size_t nbytes = total - first;
    size_t words = nbytes ? (nbytes + 3) / 4 : 1;
    *key = words <= small_cap ? small : PyMem_Malloc(words * sizeof(uint32_t));
    if (*key == NULL) {
        if (bytes != stack) PyMem_Free(bytes);
        PyErr_NoMemory();
        return 0;
    }
    for (size_t w = 0; w < words; w++) {
        uint32_t v = 0;
        size_t hi = total - 4 * w; /* exclusive end of this word's bytes */
        size_t lo = hi >= 4 + first ? hi - 4 : first;
        for (size_t b = lo; b < hi; b++) v = (v << 8) | bytes[b];
        (*key)[w] = v;
    }
    if (nbytes == 0) (*key)[0] = 0;
    if (bytes != stack) PyMem_Free(bytes);
    return words;
}

int rx_rng_seed(rx_rng *rng, const uint8_t *utf8, size_t len) {
    uint32_t small[160], *key;
    size_t words = key_words(utf8, len, small, 160, &key);
    if (words == 0) return -1;
    init_by_array(rng, key, words);
    if (key != small) PyMem_Free(key);
    return 0;
}

/* init_by_array for RX_LANES keys of at most N words side by side: each key's chain is serial, the
 * lanes are independent, so the inner loops vectorise (AVX2 where the CPU has it, via target_clones). */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__linux__)
#define RX_CLONES __attribute__((target_clones("avx2", "default")))
#else
#define RX_CLONES
#endif

typedef uint32_t lanes_t __attribute__((vector_size(4 * RX_LANES)));

RX_CLONES static void init_lanes(lanes_t *S, const lanes_t *K) {
    /* ``prev`` is mt[i - 1], kept in registers: reading it back from S would add a store-to-load round
     * trip to every step of the chain. */
    for (size_t i = 0; i < N; i++) S[i] = (lanes_t){0} + genrand_19650218[i];
    lanes_t prev = S[0];
    size_t i = 1;
    for (size_t t = 0; t < N; t++) { /* k = max(N, key_length) = N */
        prev = (S[i] ^ ((prev ^ (prev >> 30)) * 1664525U)) + K[t];
        S[i] = prev;
        if (++i >= N) {
            S[0] = prev;
            i = 1;
        }
    }
    for (size_t t = N - 1; t; t--) {
        prev = (S[i] ^ ((prev ^ (prev >> 30)) * 1566083941U)) - (uint32_t)i;
        S[i] = prev;
        if (++i >= N) {
            S[0] = prev;
            i = 1;
        }
    }
}

int rx_rng_seed_many(rx_rng *rngs, const uint8_t *const *msgs, const size_t *lens, int count) {
    /* S, K (N vectors each, aligned for the vector type) and each lane's key sequence, on the heap */
    size_t bytes = 2 * N * sizeof(lanes_t) + RX_LANES * N * sizeof(uint32_t) + sizeof(lanes_t);
    char *raw = PyMem_Malloc(bytes);
    if (raw == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    lanes_t *S = (lanes_t *)(raw + (sizeof(lanes_t) - (uintptr_t)raw % sizeof(lanes_t)) % sizeof(lanes_t));
    lanes_t *K = S + N;
    uint32_t(*seq)[N] = (uint32_t(*)[N])(K + N); /* seq[l][t]: key[j] + j, j = t mod key length */
    int rc = 0, lanes = 0;
    for (int l = 0; l < RX_LANES && rc == 0; l++) {
        if (l >= count) {
            memset(seq[l], 0, sizeof seq[l]); /* an unused lane: any key */
            continue;
        }
        uint32_t small[160], *key;
        size_t words = key_words(msgs[l], lens[l], small, 160, &key);
        if (words == 0) {
            rc = -1;
            continue;
        }
        if (words > N) { /* a key longer than the state (a 2.4 kB seed string): on its own */
            init_by_array(rngs + l, key, words);
            memset(seq[l], 0, sizeof seq[l]);
        } else {
            for (size_t j = 0; j < words; j++) seq[l][j] = key[j] + (uint32_t)j;
            for (size_t have = words; have < N; have *= 2) /* the period, repeated by doubling */
                memcpy(seq[l] + have, seq[l], (have * 2 <= N ? have : N - have) * sizeof(uint32_t));
            lanes |= 1 << l;
        }
        if (key != small) PyMem_Free(key);
    }
    if (rc == 0 && lanes) {
        for (size_t t = 0; t < N; t++)
            for (int l = 0; l < RX_LANES; l++) K[t][l] = seq[l][t];
        init_lanes(S, K);
        for (int l = 0; l < count; l++) {
            if (!(lanes & (1 << l))) continue;
            for (size_t i = 0; i < N; i++) rngs[l].mt[i] = S[i][l];
            rngs[l].mt[0] = 0x80000000U;
            rngs[l].index = rngs[l].made = N;
        }
    }
    PyMem_Free(raw);
    return rc;
}

/* The twist of Modules/_randommodule.c, done word by word as the draws need them: a new word kk < N - M
 * reads only words not yet replaced (kk + 1 and kk + M), so the first 227 words of each round can be made
 * one at a time; the rest of the round is made in one go, in the reference order. */
static const uint32_t mag01[2] = {0x0U, MATRIX_A};

static inline void twist_word(uint32_t *mt, int kk) {
    uint32_t y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
    mt[kk] = mt[kk + M] ^ (y >> 1) ^ mag01[y & 0x1U];
}

static void twist_rest(uint32_t *mt, int from) {
    int kk;
    uint32_t y;
    for (kk = from; kk < N - M; kk++) twist_word(mt, kk);
    for (; kk < N - 1; kk++) {
        y = (mt[kk] & UPPER_MASK) | (mt[kk + 1] & LOWER_MASK);
        mt[kk] = mt[kk + (M - N)] ^ (y >> 1) ^ mag01[y & 0x1U];
    }
    y = (mt[N - 1] & UPPER_MASK) | (mt[0] & LOWER_MASK);
    mt[N - 1] = mt[M - 1] ^ (y >> 1) ^ mag01[y & 0x1U];
}

uint32_t rx_rng_u32(rx_rng *rng) {
    if (rng->index >= N) { /* a new round: nothing of it made yet */
        rng->index = 0;
        rng->made = 0;
    }
    if (rng->index >= rng->made) {
        if (rng->index < N - M) {
            twist_word(rng->mt, rng->index);
            rng->made = rng->index + 1;
        } else {
            twist_rest(rng->mt, rng->made);
            rng->made = N;
        }
    }
    uint32_t y = rng->mt[rng->index++];
    y ^= (y >> 11);
    y ^= (y << 7) & 0x9d2c5680U;
    y ^= (y << 15) & 0xefc60000U;
    y ^= (y >> 18);
    return y;
}

void rx_rng_state(rx_rng *rng, uint32_t out[624], int *index) {
    /* The state CPython would hold: finish the round this one is in. */
    memcpy(out, rng->mt, sizeof rng->mt);
    *index = rng->index;
    if (rng->index < N && rng->made < N) twist_rest(out, rng->made);
}

double rx_rng_random(rx_rng *rng) {
    uint32_t a = rx_rng_u32(rng) >> 5, b = rx_rng_u32(rng) >> 6;
    return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
}

uint32_t rx_rng_below(rx_rng *rng, uint32_t n) {
    /* Random._randbelow_with_getrandbits: k = n.bit_length(); r = getrandbits(k) until r < n. */
    int k = 32 - __builtin_clz(n);
    uint32_t r;
    do {
        r = rx_rng_u32(rng) >> (32 - k);
    } while (r >= n);
    return r;
}
