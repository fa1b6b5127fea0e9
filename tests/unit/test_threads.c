/* test_threads.c: the two threads that overlap ilnbot's I/O with its processing, over
 * Maildir transports in a temporary folder: inbound_prefetch (every message fetched
 * once, in order, across rounds; marks queued by done_many happen before wait() and
 * close() return) and sender (every queued reply sent once when kicked, nothing when
 * stopped without a kick, the rest sent by the next kick). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "inbound.h"
#include "log.h"
#include "outbound.h"
#include "sender.h"
#include "store.h"
#include "util.h"

static char top[64];

static int
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL)
		return -1;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] != '.')
			n++;
	closedir(d);
	return n;
}

static void
put_mail(const char *maildir, int i)
{
	char *path = xasprintf("%s/new/%d.M%dP1.test", maildir, 1700000000 + i, i);
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fprintf(f, "From: p%d@example.net\r\nTo: iln@example.org\r\nSubject: help\r\n"
		"Message-ID: <m%d@example.net>\r\n\r\nhelp\r\n", i, i);
	fclose(f);
	free(path);
}

static void
conf_for(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->store_path = xasprintf("%s/ilnbot.db", top);
	c->in_transport = "maildir";
	c->in_maildir = xasprintf("%s/inbox", top);
	c->out_transport = "maildir";
	c->out_maildir = xasprintf("%s/outbox", top);
}

static void
conf_clear(struct conf *c)
{
	free(c->store_path);
	free(c->in_maildir);
	free(c->out_maildir);
}

static int
setup(void **state)
{
	snprintf(top, sizeof(top), "/tmp/ilnbot-threads-XXXXXX");
	return mkdtemp(top) ? 0 : -1;
}

static int
teardown(void **state)
{
	char *cmd = xasprintf("rm -rf '%s'", top);
	int rc = system(cmd);

	free(cmd);
	return rc == 0 ? 0 : -1;
}

static void
test_prefetch_rounds(void **state)
{
	struct inbound in = { 0 };
	struct inbound_item items[400];
	bool rejected[400] = { false };
	struct conf c;
	char err[256], *dir;
	int n = 0, r, stop = 0;

	conf_for(&c);
	dir = xasprintf("%s/new", c.in_maildir);
	assert_int_equal(inbound_prefetch_open(&in, &c, err, sizeof(err)), 0);
	for (int i = 0; i < 300; i++)
		put_mail(c.in_maildir, i);
	/* one round: all 300, each once, in order */
	while ((r = in.ops->next(in.h, &items[n], err, sizeof(err))) > 0) {
		assert_true(n < 400);
		n++;
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, 300);
	for (int i = 1; i < n; i++)
		assert_true(strcmp(items[i - 1].id, items[i].id) < 0);
	rejected[7] = true;
	assert_int_equal(in.ops->done_many(in.h, items, rejected, (size_t)n, err, sizeof(err)), 0);
	/* wait() returns only after the queued marks are done */
	assert_int_equal(in.ops->wait(in.h, 10, &stop), 0);
	assert_int_equal(count_files(dir), 0);
	for (int i = 0; i < n; i++)
		inbound_item_clear(&items[i]);
	/* a second round sees only what arrived since */
	put_mail(c.in_maildir, 1000);
	n = 0;
	while ((r = in.ops->next(in.h, &items[n], err, sizeof(err))) > 0)
		n++;
	assert_int_equal(r, 0);
	assert_int_equal(n, 1);
	assert_int_equal(in.ops->done_many(in.h, items, rejected, 1, err, sizeof(err)), 0);
	inbound_item_clear(&items[0]);
	/* close() lets the queued mark finish */
	inbound_close(&in);
	assert_int_equal(count_files(dir), 0);
	free(dir);
	dir = xasprintf("%s/.Rejected/cur", c.in_maildir);
	assert_int_equal(count_files(dir), 1);
	free(dir);
	conf_clear(&c);
}

static void
test_sender(void **state)
{
	struct outbound out = { 0 };
	struct sender *snd;
	struct store *st;
	struct conf c;
	char err[256], *dir;
	volatile int stop = 0;

	conf_for(&c);
	dir = xasprintf("%s/new", c.out_maildir);
	assert_non_null(st = store_open(c.store_path, err, sizeof(err)));
	for (int i = 0; i < 40; i++) {
		char key[32], mid[64];

		snprintf(key, sizeof(key), "k%d", i);
		snprintf(mid, sizeof(mid), "<r%d@example.org>", i);
		assert_int_equal(store_outbox_add(st, key, "test", mid, "iln-bounces@example.org",
		    "p@example.net", "Subject: x\r\n\r\nhi\r\n", 17, 1000), 1);
	}
	assert_int_equal(outbound_open(&out, &c, err, sizeof(err)), 0);
	snd = sender_start(c.store_path, &out, 2000, 24, 0, 0, &stop, err, sizeof(err));
	assert_non_null(snd);
	assert_null(out.h);
	sender_kick(snd);
	assert_int_equal(sender_stop(snd), 0);
	assert_int_equal(count_files(dir), 40);
	/* stopped without a kick: nothing more is sent */
	assert_int_equal(store_outbox_add(st, "k40", "test", "<r40@example.org>", "", "p@example.net",
	    "Subject: x\r\n\r\nhi\r\n", 17, 1000), 1);
	assert_int_equal(outbound_open(&out, &c, err, sizeof(err)), 0);
	snd = sender_start(c.store_path, &out, 2000, 24, 0, 0, &stop, err, sizeof(err));
	assert_non_null(snd);
	assert_int_equal(sender_stop(snd), 0);
	assert_int_equal(count_files(dir), 40);
	/* the next kick sends it, once */
	assert_int_equal(outbound_open(&out, &c, err, sizeof(err)), 0);
	snd = sender_start(c.store_path, &out, 2000, 24, 0, 0, &stop, err, sizeof(err));
	sender_kick(snd);
	sender_kick(snd);
	assert_int_equal(sender_stop(snd), 0);
	assert_int_equal(count_files(dir), 41);
	store_close(st);
	free(dir);
	conf_clear(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_prefetch_rounds, setup, teardown),
		cmocka_unit_test_setup_teardown(test_sender, setup, teardown),
	};

	log_set_level(LOG_LEVEL_ERROR);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
