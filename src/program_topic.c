/* program_topic.c: the discussion topics (SPEC §2): TOPIC <title> with the text in the
 * body queues one for the next digest (coordinators), TOPIC CANCEL <n> takes a queued
 * one back, and TOPICS (anyone) answers with the topics already sent, newest first;
 * coordinators also see the queue. Topic text is kept as written, up to TOPIC_TEXT_MAX
 * bytes; the digest (program_schedule.c) escapes it in HTML. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth_results.h"
#include "cmd.h"
#include "conf.h"
#include "msg.h"
#include "program.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

#define TOPIC_TEXT_MAX (20 * 1024)      /* bytes of a topic's text */
#define TOPIC_QUEUE_MAX 100              /* topics listed from the queue */
#define TOPIC_ARCHIVE_MAX 50             /* topics listed from the archive */

/* The queue as numbered lines "[n] title (queued YYYY-MM-DD)", or "(none)". */
static char *
topic_queue_text(struct program *p, const char *lang)
{
	struct topic *t = NULL;
	struct buf b;
	int n;

	buf_init(&b, 0);
	if ((n = store_topics_list(p->st, TOPIC_QUEUED, false, TOPIC_QUEUE_MAX, &t)) < 0) {
		buf_free(&b);
		return NULL;
	}
	for (int i = 0; i < n; i++) {
		char day[16], num[24];
		struct tmpl_var v[] = { { "number", num }, { "title", t[i].title }, { "date", day } };

		snprintf(num, sizeof(num), "%lld", (long long)t[i].id);
		time_format_date(t[i].created_at, day, sizeof(day));
		buf_adds(&b, "  ");
		words_buf_add(&b, lang, "topic.queue.line", v, nitems(v));
		buf_adds(&b, "\n");
		topic_clear(&t[i]);
	}
	if (n == 0) {
		buf_adds(&b, "  ");
		words_buf_add(&b, lang, "topic.queue.none", NULL, 0);
		buf_adds(&b, "\n");
	}
	free(t);
	return buf_steal(&b);
}

static int
topic_refuse(struct program *p, struct program_in *in, const char *key,
	     const struct tmpl_var *kv, size_t nkv)
{
	char *problem = words_format(reply_lang(p, in, "topic_problems", NULL), key, kv,
				     nkv);
	struct tmpl_var v[] = { { "problems", problem } };
	int rc;

	in->outcome = OUTCOME_REFUSED;
	snprintf(in->detail, sizeof(in->detail), "TOPIC refused");
	rc = reply_queue(p, in, "topic_problems", v, nitems(v), NULL, NULL);
	free(problem);
	return rc;
}

/* TOPIC CANCEL <n> */
static int
topic_cancel(struct program *p, struct program_in *in, const char *arg)
{
	char *end, num[32], *queue;
	long long id;
	int r, rc;

	while (*arg == '#' || *arg == '[')
		arg++;
	id = strtoll(arg, &end, 10);
	if (end == arg || id <= 0)
		return topic_refuse(p, in, "topic.refuse.cancel_number", NULL, 0);
	if ((r = store_topic_cancel(p->st, id)) < 0)
		return -1;
	snprintf(num, sizeof(num), "%lld", id);
	if (r == 0) {
		struct tmpl_var v[] = { { "number", num } };

		return topic_refuse(p, in, "topic.refuse.no_such", v, nitems(v));
	}
	if ((queue = topic_queue_text(p, reply_lang(p, in, "topic_cancelled", NULL))) == NULL)
		return -1;
	{
		struct tmpl_var v[] = { { "number", num }, { "queue", queue } };

		snprintf(in->detail, sizeof(in->detail), "topic %lld cancelled", id);
		rc = reply_queue(p, in, "topic_cancelled", v, nitems(v), NULL, NULL);
	}
	free(queue);
	return rc;
}

int
program_topic(struct program *p, struct program_in *in, const struct cmd *c)
{
	const char *title = c->arg, *text = in->m->body;
	char *queue = NULL, *body = NULL;
	size_t n;
	int64_t id;
	int rc = -1;

	if (strncasecmp(title, "cancel", 6) == 0 && (title[6] == ' ' || title[6] == '\0'))
		return topic_cancel(p, in, title + 6 + (title[6] == ' '));
	while (*text == '\n' || *text == ' ' || *text == '\t')
		text++;
	n = strlen(text);
	while (n > 0 && (text[n - 1] == '\n' || text[n - 1] == ' ' || text[n - 1] == '\t'))
		n--;
	if (title[0] == '\0')
		return topic_refuse(p, in, "topic.refuse.no_title", NULL, 0);
	if (n == 0)
		return topic_refuse(p, in, "topic.refuse.no_text", NULL, 0);
	if (n > TOPIC_TEXT_MAX) {
		struct tmpl_var v[] = { { "max", STR(TOPIC_TEXT_MAX) } };

		return topic_refuse(p, in, "topic.refuse.too_long", v, nitems(v));
	}
	body = xstrndup(text, n);
	if (store_topic_add(p->st, title, body, in->m->from, p->now, &id) < 0 ||
	    (queue = topic_queue_text(p, reply_lang(p, in, "topic_queued", NULL))) == NULL)
		goto out;
	{
		struct tmpl_var v[] = { { "title", title }, { "queue", queue } };

		snprintf(in->detail, sizeof(in->detail), "topic %lld queued", (long long)id);
		rc = reply_queue(p, in, "topic_queued", v, nitems(v), NULL, NULL);
	}
out:
	free(body);
	free(queue);
	return rc;
}

int
program_topics(struct program *p, struct program_in *in, const struct cmd *c)
{
	const struct msg *m = in->m;
	struct topic *t = NULL;
	struct buf b;
	char *queue = NULL;
	const char *why, *lang = reply_lang(p, in, "topics", NULL);
	int n, rc = -1;

	buf_init(&b, 0);
	if ((n = store_topics_list(p->st, TOPIC_SENT, true, TOPIC_ARCHIVE_MAX, &t)) < 0)
		goto out;
	for (int i = 0; i < n; i++) {
		char day[16];

		time_format_date(t[i].sent_at, day, sizeof(day));
		buf_printf(&b, "%s== %s (%s)\n\n%s\n", i ? "\n\n" : "", t[i].title, day, t[i].body);
	}
	if (n == 0) {
		words_buf_add(&b, lang, "topic.archive.none", NULL, 0);
		buf_adds(&b, "\n");
	}
	if (conf_is_coordinator(p->conf, m->from) &&
	    auth_results_pass(m->auth_results, m->n_auth_results, p->conf->trusted_authserv_id,
			      m->from, &why) &&
	    (queue = topic_queue_text(p, lang)) == NULL)
		goto out;
	{
		struct tmpl_var v[] = { { "archive", b.data }, { "queue", queue ? queue : "" } };

		snprintf(in->detail, sizeof(in->detail), "%d topics sent", n);
		rc = reply_queue(p, in, "topics", v, nitems(v), NULL, NULL);
	}
out:
	for (int i = 0; i < (n > 0 ? n : 0); i++)
		topic_clear(&t[i]);
	free(t);
	free(queue);
	buf_free(&b);
	return rc;
}
