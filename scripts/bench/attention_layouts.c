// Attention alone over a batch's KV cache of Abacus's shape, in the two block layouts and on 4 KiB and 2 MiB pages,
// each timed in turn in one process (a shared machine's bandwidth drifts within seconds).
//
//   S=Sources/CKernels; echo 'int ck_uses_avx2(void) { return 1; }' > /tmp/avx2.c
//   cc -O2 -march=native -pthread -I$S/include -I$S scripts/bench/attention_layouts.c /tmp/avx2.c \
//      $S/attention_blocks.c $S/attention_blocks_avx512.c -lm -o /tmp/attention_layouts && /tmp/attention_layouts
//
// 8 sequences of 528 cached positions (a 512-token prompt and 16 answer tokens), 40 layers of 36 heads of 64, f32,
// blocks of 16 positions; one step is every layer's attention of one query per sequence and head, split over 2
// threads as the engine's pool splits its (sequence, head) tasks. Each sequence's first 30 blocks are consecutive
// (its prompt), the rest interleaved with the other sequences' (their answers). Prints GB/s of keys and values read.
// "row": a block holds each position's heads side by side (positions a whole KV row apart, the layout before
// 2026-12-08); "head": each head's positions side by side, as KVBlockPool lays them out now.
#define _GNU_SOURCE
#include "ck_batch.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

void ck_attend_blocks_group(int path, const float *queries, int group, const ck_kv_blocks *kv, int64_t count,
                            int64_t dimension, float scale, float *scores, float *out);

enum { LAYERS = 40, HEADS = 36, DIM = 64, BLOCK_TOKENS = 16, SEQUENCES = 8, POSITIONS = 528, PROMPT_BLOCKS = 30,
       BLOCKS = (POSITIONS + BLOCK_TOKENS - 1) / BLOCK_TOKENS, THREADS = 2, ROUNDS = 8, AVX512 = 3 };
static const size_t ROW_BYTES = (size_t)HEADS * DIM * 4;
static const size_t BLOCK_BYTES = (size_t)LAYERS * 2 * BLOCK_TOKENS * HEADS * DIM * 4;

static const uint8_t *pool;
static int head_major;
static int32_t table[SEQUENCES][BLOCKS];
static pthread_barrier_t layer_done;

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void *attend_step(void *argument) {
    long thread = (long)argument;
    float query[DIM], scores[POSITIONS], out[DIM];
    for (int i = 0; i < DIM; i++) query[i] = 0.01f * (float)i;
    for (int layer = 0; layer < LAYERS; layer++) {
        for (int task = (int)thread; task < SEQUENCES * HEADS; task += THREADS) {
            int sequence = task / HEADS, head = task % HEADS;
            size_t keys = (size_t)layer * 2 * BLOCK_TOKENS * ROW_BYTES, values = keys + BLOCK_TOKENS * ROW_BYTES;
            size_t at = head_major ? (size_t)head * BLOCK_TOKENS * DIM * 4 : (size_t)head * DIM * 4;
            ck_kv_blocks kv = { pool, table[sequence], BLOCK_BYTES, keys + at, values + at, BLOCK_TOKENS,
                                head_major ? DIM : HEADS * DIM, 0 };
            ck_attend_blocks_group(AVX512, query, 1, &kv, POSITIONS, DIM, 0.125f, scores, out);
        }
        pthread_barrier_wait(&layer_done);
    }
    return NULL;
}

static double step(const uint8_t *storage, int major) {
    pool = storage;
    head_major = major;
    pthread_t threads[THREADS];
    double start = now();
    for (long t = 0; t < THREADS; t++) pthread_create(&threads[t], NULL, attend_step, (void *)t);
    for (int t = 0; t < THREADS; t++) pthread_join(threads[t], NULL);
    return (double)SEQUENCES * POSITIONS * LAYERS * 2 * ROW_BYTES / (now() - start) / 1e9;
}

int main(void) {
    size_t bytes = BLOCK_BYTES * SEQUENCES * BLOCKS;
    uint8_t *small = aligned_alloc(1 << 21, bytes), *huge = aligned_alloc(1 << 21, bytes);
    if (!small || !huge) { fputs("attention_layouts: out of memory\n", stderr); return 1; }
    madvise(huge, bytes, MADV_HUGEPAGE);
    memset(small, 0, bytes);
    memset(huge, 0, bytes);
    for (int s = 0; s < SEQUENCES; s++)
        for (int b = 0; b < BLOCKS; b++)
            table[s][b] = b < PROMPT_BLOCKS ? s * PROMPT_BLOCKS + b : SEQUENCES * PROMPT_BLOCKS + (b - PROMPT_BLOCKS) * SEQUENCES + s;
    pthread_barrier_init(&layer_done, NULL, THREADS);
    const char *names[4] = { "row, 4 KiB pages", "row, 2 MiB pages", "head, 4 KiB pages", "head, 2 MiB pages" };
    double sum[4] = { 0 };
    for (int round = 0; round < ROUNDS; round++)
        for (int c = 0; c < 4; c++) sum[c] += step(c & 1 ? huge : small, c >> 1);
    for (int c = 0; c < 4; c++) printf("%-18s %.1f GB/s (mean of %d steps)\n", names[c], sum[c] / ROUNDS, ROUNDS);
    return 0;
}
