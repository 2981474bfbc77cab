// A tiny thread pool for per-operation parallelism: workers spin briefly between tasks (decode issues
// hundreds of small tasks per token), then sleep on a condition variable so an idle engine costs nothing.
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
    _Atomic int done;
    _Atomic int stop;
    _Atomic int rest;
    ck_task task;
    void *context;
    pthread_mutex_t mutex;
    pthread_cond_t wake;
    // Held for a whole run: callers on different threads take turns.
    pthread_mutex_t run_lock;
};

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

void ck_pool_run(ck_pool *pool, ck_task task, void *context) {
    if (pool->threads == 1) { task(context, 0, 1); return; }
    pthread_mutex_lock(&pool->run_lock);
    pool->task = task;
    pool->context = context;
    atomic_store_explicit(&pool->done, 0, memory_order_release);
    atomic_store_explicit(&pool->rest, 0, memory_order_relaxed);
    pthread_mutex_lock(&pool->mutex);
    atomic_fetch_add_explicit(&pool->generation, 1, memory_order_acq_rel);
    pthread_cond_broadcast(&pool->wake);
    pthread_mutex_unlock(&pool->mutex);
    task(context, 0, pool->threads);
    int spins = 0;
    while (atomic_load_explicit(&pool->done, memory_order_acquire) != pool->threads - 1) relax(spins++);
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
