#include "abipraya/core/workq.h"

#include <pthread.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

struct workq {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct workq_job *head, *tail;
	int queued, max_queued, nthreads;
	int nice;
	bool stopping;
	pthread_t threads[];
};

static void *worker_main(void *arg)
{
	struct workq *q = arg;

	/* Linux niceness is per thread: the event loops get the CPU before the KDF does, so a
	 * burst of logins lengthens the logins, not every other request */
	(void)setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid), q->nice); /* best effort */

	for (;;) {
		pthread_mutex_lock(&q->lock);
		while (!q->head && !q->stopping)
			pthread_cond_wait(&q->cond, &q->lock);
		struct workq_job *job = q->head;
		if (!job) {
			pthread_mutex_unlock(&q->lock);
			return NULL;
		}
		q->head = job->next;
		if (!q->head)
			q->tail = NULL;
		q->queued--;
		pthread_mutex_unlock(&q->lock);
		job->run(job);
		job->notify(job);
	}
}

struct workq *workq_create(int threads, int max_queued, int nice)
{
	struct workq *q = xcalloc(1, sizeof(*q) + (size_t)threads * sizeof(pthread_t));

	q->nice = nice;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->max_queued = max_queued;
	for (int i = 0; i < threads; i++) {
		if (pthread_create(&q->threads[i], NULL, worker_main, q) != 0)
			abort();
		q->nthreads++;
	}
	return q;
}

void workq_destroy(struct workq *q)
{
	if (!q)
		return;
	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	for (int i = 0; i < q->nthreads; i++)
		pthread_join(q->threads[i], NULL);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	free(q);
}

bool workq_submit(struct workq *q, struct workq_job *job)
{
	bool ok = false;

	pthread_mutex_lock(&q->lock);
	if (q->queued < q->max_queued && !q->stopping) {
		job->next = NULL;
		if (q->tail)
			q->tail->next = job;
		else
			q->head = job;
		q->tail = job;
		q->queued++;
		ok = true;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	return ok;
}
