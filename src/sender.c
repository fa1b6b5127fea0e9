/* sender.c: the outbox sent from a thread of its own, so that the relay's round trips
 * and the records of their results overlap with fetching and processing inbound mail.
 * The thread has its own connection to the store and owns the outbound transport it is
 * given; the caller wakes it after each commit that may have queued mail
 * (sender_kick) and ends it with sender_stop, after the flush the last kick asked for
 * (which stops after the mail in flight once *stop is set); sender_stop frees
 * everything sender_start made, the transport included. Signals are left to the
 * caller's thread. */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "log.h"
#include "outbound.h"
#include "outbox.h"
#include "sender.h"
#include "store.h"
#include "util.h"

struct sender {
	pthread_t tid;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool kicked;            /* mail may be due: flush */
	bool quit;              /* end after the flush a kick asked for */
	bool failed;            /* a flush hit a store error */
	struct store *st;
	struct outbound out;
	int64_t fixed_now;      /* 0: the clock */
	int retry_max_hours;
	int idle_ms;            /* flush at least this often (deferred mail); 0: only when kicked */
	volatile int *stop;
};

static void *
sender_main(void *arg)
{
	struct sender *s = arg;

	for (;;) {
		int64_t now;

		pthread_mutex_lock(&s->mu);
		while (!s->kicked && !s->quit) {
			if (s->idle_ms > 0) {
				struct timespec until;

				clock_gettime(CLOCK_REALTIME, &until);
				until.tv_sec += s->idle_ms / 1000;
				until.tv_nsec += (long)(s->idle_ms % 1000) * 1000000;
				if (until.tv_nsec >= 1000000000) {
					until.tv_sec++;
					until.tv_nsec -= 1000000000;
				}
				if (pthread_cond_timedwait(&s->cv, &s->mu, &until) != 0)
					s->kicked = true;       /* deferred mail may be due */
			} else
				pthread_cond_wait(&s->cv, &s->mu);
		}
		if (!s->kicked) {               /* quit, with nothing new since the last flush */
			pthread_mutex_unlock(&s->mu);
			break;
		}
		s->kicked = false;
		pthread_mutex_unlock(&s->mu);

		now = s->fixed_now ? s->fixed_now : (int64_t)time(NULL);
		if (outbox_flush(s->st, &s->out, now, s->retry_max_hours, s->stop) < 0) {
			log_errorx("outbox: the store failed; replies stay queued");
			pthread_mutex_lock(&s->mu);
			s->failed = true;
			pthread_mutex_unlock(&s->mu);
		}
	}
	return NULL;
}

struct sender *
sender_start(const char *store_path, struct outbound *out, int64_t fixed_now,
	     int retry_max_hours, int sent_keep_days, int idle_ms, volatile int *stop, char *err,
	     size_t errsz)
{
	struct sender *s = xcalloc(1, sizeof(*s));

	if ((s->st = store_open(store_path, err, errsz)) == NULL) {
		free(s);
		return NULL;
	}
	store_sent_keep(s->st, sent_keep_days);
	s->out = *out;
	out->ops = NULL;
	out->h = NULL;
	s->fixed_now = fixed_now;
	s->retry_max_hours = retry_max_hours;
	s->idle_ms = idle_ms;
	s->stop = stop;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	if (thread_start(&s->tid, sender_main, s) != 0) {
		snprintf(err, errsz, "cannot start the sending thread");
		outbound_close(&s->out);
		store_close(s->st);
		pthread_cond_destroy(&s->cv);
		pthread_mutex_destroy(&s->mu);
		free(s);
		return NULL;
	}
	return s;
}

void
sender_kick(struct sender *s)
{
	if (s == NULL)
		return;
	pthread_mutex_lock(&s->mu);
	s->kicked = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

int
sender_stop(struct sender *s)
{
	bool failed;

	if (s == NULL)
		return 0;
	pthread_mutex_lock(&s->mu);
	s->quit = true;
	pthread_cond_signal(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->tid, NULL);
	failed = s->failed;
	outbound_close(&s->out);
	store_close(s->st);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
	return failed ? -1 : 0;
}
