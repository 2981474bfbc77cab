// A tiny thread pool for per-operation parallelism: workers spin briefly between tasks (decode issues
// hundreds of small tasks per token), then sleep on a condition variable so an idle engine costs nothing.
//
// Each run has a generation number. A worker joins a run by bumping `joined` while it still carries the
// run's generation and is open; only then does it read the task. `ck_pool_run` needs every worker (static
// shares) and waits for all; `ck_pool_for` hands out chunks from a counter and closes the run when they
// are gone, so a worker the OS has not scheduled yet costs the caller nothing (on a busy machine a
// static split would wait a whole time slice for it).
#include "ckernels.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#if defined(__x86_64__)
#include <immintrin.h>
#define CK_RELAX() _mm_pause()
#else
#define CK_RELAX() ((void)0)
#endif

enum { CK_SPIN_LIMIT = 50000, CK_YIELD_AFTER = 2000 };

#define CK_CLOSED (1ull << 31)
#define CK_COUNT_MASK ((1ull << 31) - 1)

// Spin briefly, then yield: on a busy machine the thread we wait for may need our core to run.
static inline void relax(int spins) {
    if (spins < CK_YIELD_AFTER) CK_RELAX();
    else sched_yield();
}

struct ck_pool;

typedef struct {
    struct ck_pool *pool;
    int index;
    pthread_t thread;
} ck_worker;

struct ck_pool {
    int threads;
    ck_worker *workers;
    _Atomic unsigned generation;
    // Generation << 32 | CK_CLOSED | workers joined.
    _Atomic uint64_t joined;
    _Atomic int done;
    _Atomic int stop;
    _Atomic int rest;
    ck_task task;
    void *context;
    // ck_pool_for: the next unclaimed index.
    _Atomic int64_t next;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    // Held for a whole run: callers on different threads take turns.
    pthread_mutex_t run_lock;
};

/// Joins run `generation` if it is still open; 1 on success.
static int join_run(struct ck_pool *pool, unsigned generation) {
    uint64_t joined = atomic_load_explicit(&pool->joined, memory_order_acquire);
    for (;;) {
        if ((unsigned)(joined >> 32) != generation || (joined & CK_CLOSED)) return 0;
        if (atomic_compare_exchange_weak_explicit(&pool->joined, &joined, joined + 1,
                                                  memory_order_acq_rel, memory_order_acquire)) return 1;
    }
}

static void *worker_main(void *argument) {
    ck_worker *worker = (ck_worker *)argument;
    struct ck_pool *pool = worker->pool;
    unsigned seen = 0;
    for (;;) {
        unsigned now = atomic_load_explicit(&pool->generation, memory_order_acquire);
        int spins = 0;
        while (now == seen && spins < CK_SPIN_LIMIT && !atomic_load_explicit(&pool->rest, memory_order_relaxed)) {
            relax(spins);
            spins++;
            now = atomic_load_explicit(&pool->generation, memory_order_acquire);
        }
        if (now == seen) {
            pthread_mutex_lock(&pool->mutex);
            while ((now = atomic_load_explicit(&pool->generation, memory_order_acquire)) == seen)
                pthread_cond_wait(&pool->wake, &pool->mutex);
            pthread_mutex_unlock(&pool->mutex);
        }
        seen = now;
        if (atomic_load_explicit(&pool->stop, memory_order_acquire)) return NULL;
        // The task and context are read only after joining: the caller keeps them valid until we are done.
        if (!join_run(pool, now)) continue;
        pool->task(pool->context, worker->index, pool->threads);
        atomic_fetch_add_explicit(&pool->done, 1, memory_order_acq_rel);
    }
}

ck_pool *ck_pool_create(int threads) {
    if (threads < 1) threads = 1;
    struct ck_pool *pool = calloc(1, sizeof(struct ck_pool));
    if (!pool) return NULL;
    pool->threads = threads;
    pthread_mutex_init(&pool->mutex, NULL);
    pthread_mutex_init(&pool->run_lock, NULL);
    pthread_cond_init(&pool->wake, NULL);
    pool->workers = calloc((size_t)threads, sizeof(ck_worker));
    if (!pool->workers) { free(pool); return NULL; }
    for (int i = 1; i < threads; i++) {
        pool->workers[i].pool = pool;
        pool->workers[i].index = i;
        if (pthread_create(&pool->workers[i].thread, NULL, worker_main, &pool->workers[i]) != 0) {
            // Run with the workers that did start.
            pool->threads = i;
            break;
        }
    }
    return pool;
}

int ck_pool_threads(const ck_pool *pool) { return pool->threads; }

/// Publishes a run and wakes the workers; the caller holds run_lock.
static void start_run(ck_pool *pool, ck_task task, void *context) {
    unsigned generation = atomic_load_explicit(&pool->generation, memory_order_relaxed) + 1;
    pool->task = task;
    pool->context = context;
    atomic_store_explicit(&pool->done, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->rest, 0, memory_order_relaxed);
    atomic_store_explicit(&pool->joined, (uint64_t)generation << 32, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    atomic_store_explicit(&pool->generation, generation, memory_order_release);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
}

static void wait_done(ck_pool *pool, int count) {
    int spins = 0;
    while (atomic_load_explicit(&pool->done, memory_order_acquire) != count) relax(spins++);
}

void ck_pool_run(ck_pool *pool, ck_task task, void *context) {
    if (pool->threads == 1) { task(context, 0, 1); return; }
    pthread_mutex_lock(&pool->run_lock);
    start_run(pool, task, context);
    task(context, 0, pool->threads);
    // Static shares: every worker must join and finish.
    wait_done(pool, pool->threads - 1);
    pthread_mutex_unlock(&pool->run_lock);
}

// --- dynamic ranges ---------------------------------------------------------------------------------

typedef struct {
    ck_pool *pool;
    int64_t count, chunk;
    ck_range_task task;
    void *context;
} ck_for_state;

static void claim_chunks(void *context, int thread_index, int thread_count) {
    (void)thread_index;
    (void)thread_count;
    ck_for_state *state = (ck_for_state *)context;
    for (;;) {
        int64_t begin = atomic_fetch_add_explicit(&state->pool->next, state->chunk, memory_order_relaxed);
        if (begin >= state->count) return;
        int64_t end = begin + state->chunk < state->count ? begin + state->chunk : state->count;
        state->task(state->context, begin, end);
    }
}

void ck_pool_for(ck_pool *pool, int64_t count, int64_t chunk, ck_range_task task, void *context) {
    if (chunk < 1) chunk = 1;
    if (pool->threads == 1 || count <= chunk) {
        if (count > 0) task(context, 0, count);
        return;
    }
    ck_for_state state = { pool, count, chunk, task, context };
    pthread_mutex_lock(&pool->run_lock);
    atomic_store_explicit(&pool->next, 0, memory_order_relaxed);
    start_run(pool, claim_chunks, &state);
    claim_chunks(&state, 0, pool->threads);
    // Close the run; wait only for the workers that joined (they finish the chunks they claimed).
    uint64_t joined = atomic_fetch_or_explicit(&pool->joined, CK_CLOSED, memory_order_acq_rel);
    wait_done(pool, (int)(joined & CK_COUNT_MASK));
    pthread_mutex_unlock(&pool->run_lock);
}

void ck_pool_rest(ck_pool *pool) { atomic_store_explicit(&pool->rest, 1, memory_order_relaxed); }

void ck_pool_destroy(ck_pool *pool) {
    if (!pool) return;
    atomic_store_explicit(&pool->stop, 1, memory_order_release);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    for (int i = 1; i < pool->threads; i++) pthread_join(pool->workers[i].thread, NULL);
    pthread_mutex_destroy(&pool->mutex);
    pthread_mutex_destroy(&pool->run_lock);
    pthread_cond_destroy(&pool->wake);
    free(pool->workers);
    free(pool);
}
