/* inbound_prefetch.c: any inbound transport run by a thread of its own, so that the
 * server's work and the round trips overlap with processing: the thread fetches the
 * next messages ahead (the transport's next()) and marks committed ones done (done(),
 * done_many()) while the caller processes the next batch. done() and done_many() only
 * queue the work, which the thread does before fetching more; a failure there reaches
 * the caller as next()'s -1 (what was not marked is fetched again and recognised as a
 * duplicate). wait() first lets the queued work finish, then waits on the caller's
 * thread; one mutex keeps the transport's connection to one user at a time. The
 * transport gets a store connection of its own, so what it records (IMAP's last UID)
 * never lands inside the caller's transaction. Items cross from the thread to the
 * caller whole: the caller owns what next() gives (inbound_item_clear). close() lets
 * the queued work finish, ends the thread and frees everything. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "inbound.h"
#include "log.h"
#include "store.h"
#include "util.h"

#define PREFETCH_ITEMS  256                     /* a batch of main.c ahead, at most */
#define PREFETCH_BYTES  (32u * 1024 * 1024)     /* ... and at most this much mail */

enum prefetch_state {
	PF_IDLE,        /* waiting for the caller to ask for a round */
	PF_RUNNING,     /* calling next() until it says "nothing new" */
	PF_DRAINED,     /* the round ended: the caller hears 0 once the queue is empty */
	PF_FAILED,      /* next() failed: the caller hears -1 once the queue is empty */
};

/* Committed messages to mark done: ids only. */
struct pf_job {
	struct pf_job *next;
	struct inbound_item *items;
	bool *rejected;
	size_t n;
};

struct prefetch {
	struct inbound under;
	struct store *st;
	pthread_t tid;
	pthread_mutex_t mu;     /* the fields below */
	pthread_cond_t cv;
	pthread_mutex_t conn;   /* the transport's connection */
	enum prefetch_state state;
	bool quit;
	struct inbound_item *q; /* ring of PREFETCH_ITEMS */
	size_t head, len, bytes;
	struct pf_job *jobs, **jobs_tail;
	bool job_running;
	bool job_failed;        /* a done failed: next() says -1 */
	char err[512];
};

static void
pf_job_free(struct pf_job *j)
{
	for (size_t i = 0; i < j->n; i++)
		inbound_item_clear(&j->items[i]);
	free(j->items);
	free(j->rejected);
	free(j);
}

/* pf_job_merge: the jobs of a list as one (one STORE and one MOVE, not one each). */
static struct pf_job *
pf_job_merge(struct pf_job *j)
{
	struct pf_job *all, *k;
	size_t n = 0;

	if (j->next == NULL)
		return j;
	for (k = j; k; k = k->next)
		n += k->n;
	all = xcalloc(1, sizeof(*all));
	all->items = xcalloc(n, sizeof(*all->items));
	all->rejected = xcalloc(n, sizeof(*all->rejected));
	for (; j; j = k) {
		k = j->next;
		memcpy(all->items + all->n, j->items, j->n * sizeof(*j->items));
		memcpy(all->rejected + all->n, j->rejected, j->n * sizeof(*j->rejected));
		all->n += j->n;
		free(j->items);
		free(j->rejected);
		free(j);
	}
	return all;
}

/* pf_job_run: every queued job as one, called and returning with p->mu held. */
static void
pf_job_run(struct prefetch *p)
{
	struct pf_job *j = p->jobs;
	char err[384] = "";
	int rc;

	p->jobs = NULL;
	p->jobs_tail = &p->jobs;
	p->job_running = true;
	pthread_mutex_unlock(&p->mu);

	j = pf_job_merge(j);
	pthread_mutex_lock(&p->conn);
	rc = inbound_done_all(&p->under, j->items, j->rejected, j->n, err, sizeof(err));
	pthread_mutex_unlock(&p->conn);
	if (rc < 0)
		log_errorx("inbound: cannot mark %zu message%s done: %s", j->n, j->n == 1 ? "" : "s",
			   err);
	pf_job_free(j);

	pthread_mutex_lock(&p->mu);
	p->job_running = false;
	if (rc < 0 && !p->job_failed) {
		p->job_failed = true;
		snprintf(p->err, sizeof(p->err), "marking messages done failed: %s", err);
	}
	pthread_cond_broadcast(&p->cv);
}

static bool
pf_full(const struct prefetch *p)
{
	return p->len >= PREFETCH_ITEMS || (p->len > 0 && p->bytes >= PREFETCH_BYTES);
}

static void *
pf_main(void *arg)
{
	struct prefetch *p = arg;
	struct inbound_item it;
	char err[512];
	int r;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->jobs == NULL && (p->state != PF_RUNNING || pf_full(p)))
			pthread_cond_wait(&p->cv, &p->mu);
		if (p->jobs) {
			pf_job_run(p);
			continue;
		}
		if (p->quit)
			break;
		pthread_mutex_unlock(&p->mu);

		err[0] = '\0';
		pthread_mutex_lock(&p->conn);
		r = p->under.ops->next(p->under.h, &it, err, sizeof(err));
		pthread_mutex_unlock(&p->conn);

		pthread_mutex_lock(&p->mu);
		if (r > 0) {
			p->q[(p->head + p->len) % PREFETCH_ITEMS] = it;
			p->len++;
			p->bytes += it.len;
		} else {
			p->state = r == 0 ? PF_DRAINED : PF_FAILED;
			if (r < 0)
				snprintf(p->err, sizeof(p->err), "%s", err);
		}
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static int
pf_next(void *vh, struct inbound_item *item, char *err, size_t errsz)
{
	struct prefetch *p = vh;
	int rc;

	memset(item, 0, sizeof(*item));
	pthread_mutex_lock(&p->mu);
	if (p->state == PF_IDLE) {
		p->state = PF_RUNNING;
		pthread_cond_broadcast(&p->cv);
	}
	while (p->len == 0 && p->state == PF_RUNNING && !p->job_failed)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->job_failed) {
		snprintf(err, errsz, "%s", p->err);
		rc = -1;
	} else if (p->len > 0) {
		*item = p->q[p->head];
		p->head = (p->head + 1) % PREFETCH_ITEMS;
		p->len--;
		p->bytes -= item->len;
		rc = 1;
	} else if (p->state == PF_DRAINED) {
		rc = 0;
	} else {
		snprintf(err, errsz, "%s", p->err);
		rc = -1;
	}
	if (rc <= 0)
		p->state = PF_IDLE;     /* the next call starts a new round */
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* pf_queue: a copy of the items' ids for the thread to mark done. */
static int
pf_queue(struct prefetch *p, const struct inbound_item *items, const bool *rejected, size_t n)
{
	struct pf_job *j = xcalloc(1, sizeof(*j));

	j->items = xcalloc(n ? n : 1, sizeof(*j->items));
	j->rejected = xcalloc(n ? n : 1, sizeof(*j->rejected));
	j->n = n;
	for (size_t i = 0; i < n; i++) {
		j->items[i].id = xstrdup(items[i].id);
		j->items[i].len = items[i].len;
		j->items[i].too_big = items[i].too_big;
		j->rejected[i] = rejected[i];
	}
	pthread_mutex_lock(&p->mu);
	*p->jobs_tail = j;
	p->jobs_tail = &j->next;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

static int
pf_done(void *vh, const struct inbound_item *it, bool rejected, char *err, size_t errsz)
{
	return pf_queue(vh, it, &rejected, 1);
}

static int
pf_done_many(void *vh, const struct inbound_item *items, const bool *rejected, size_t n,
	     char *err, size_t errsz)
{
	return pf_queue(vh, items, rejected, n);
}

/* pf_settle: until the queued work is done. 0, or -1 when some of it failed. */
static int
pf_settle(struct prefetch *p, char *err, size_t errsz)
{
	int rc = 0;

	pthread_mutex_lock(&p->mu);
	while (p->jobs || p->job_running)
		pthread_cond_wait(&p->cv, &p->mu);
	if (p->job_failed) {
		snprintf(err, errsz, "%s", p->err);
		rc = -1;
	}
	pthread_mutex_unlock(&p->mu);
	return rc;
}

/* pf_erase: after the queued done work (the messages have to be where done() puts
 * them), on the caller's thread, holding the connection. */
static int
pf_erase(void *vh, const struct erase_item *items, size_t n, char *err, size_t errsz)
{
	struct prefetch *p = vh;
	int rc = 0;

	if (pf_settle(p, err, errsz) < 0)
		return -1;
	if (p->under.ops->erase == NULL)
		return 0;
	pthread_mutex_lock(&p->conn);
	rc = p->under.ops->erase(p->under.h, items, n, err, errsz);
	pthread_mutex_unlock(&p->conn);
	return rc;
}

static int
pf_wait(void *vh, int timeout_ms, volatile int *stop)
{
	struct prefetch *p = vh;
	char err[512];
	int rc;

	if (pf_settle(p, err, sizeof(err)) < 0)
		return -1;
	/* Between rounds the thread is idle: the connection is the caller's. */
	pthread_mutex_lock(&p->conn);
	rc = p->under.ops->wait(p->under.h, timeout_ms, stop);
	pthread_mutex_unlock(&p->conn);
	return rc;
}

/* pf_free: the transport, its store connection and p itself; no thread runs. */
static void
pf_free(struct prefetch *p)
{
	inbound_close(&p->under);
	store_close(p->st);
	pthread_cond_destroy(&p->cv);
	pthread_mutex_destroy(&p->mu);
	pthread_mutex_destroy(&p->conn);
	free(p->q);
	free(p);
}

static void
pf_close(void *vh)
{
	struct prefetch *p = vh;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->tid, NULL);     /* after the queued work */
	while (p->jobs) {
		struct pf_job *j = p->jobs;

		p->jobs = j->next;
		pf_job_free(j);
	}
	while (p->len > 0) {
		inbound_item_clear(&p->q[p->head]);
		p->head = (p->head + 1) % PREFETCH_ITEMS;
		p->len--;
	}
	pf_free(p);
}

static const struct inbound_ops inbound_prefetch_ops = {
	.name = "prefetch",
	.next = pf_next,
	.done = pf_done,
	.done_many = pf_done_many,
	.erase = pf_erase,
	.wait = pf_wait,
	.close = pf_close,
};

int
inbound_prefetch_open(struct inbound *in, const struct conf *c, char *err, size_t errsz)
{
	struct prefetch *p = xcalloc(1, sizeof(*p));

	in->ops = NULL;
	in->h = NULL;
	p->q = xcalloc(PREFETCH_ITEMS, sizeof(*p->q));
	p->jobs_tail = &p->jobs;
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->conn, NULL);
	pthread_cond_init(&p->cv, NULL);
	if ((p->st = store_open(c->store_path, err, errsz)) == NULL ||
	    inbound_open(&p->under, c, p->st, err, errsz) < 0) {
		pf_free(p);
		return -1;
	}
	if (thread_start(&p->tid, pf_main, p) != 0) {
		snprintf(err, errsz, "cannot start the fetching thread");
		pf_free(p);
		return -1;
	}
	in->ops = &inbound_prefetch_ops;
	in->h = p;
	return 0;
}
