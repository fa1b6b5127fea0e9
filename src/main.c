/* main.c: the command line of SPEC §7. It loads the configuration, the store, the
 * templates and the ISO code tables, then runs one of: run (the daemon loop), once (one
 * pass), deliver (one message from standard input), match, export, check-config. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd.h"
#include "conf.h"
#include "inbound.h"
#include "iso_codes.h"
#include "log.h"
#include "match.h"
#include "msg.h"
#include "outbound.h"
#include "process.h"
#include "program.h"
#include "sender.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

#define EX_USAGE    64
#define EX_TEMPFAIL 75
#define EX_CONFIG   78

static volatile sig_atomic_t got_stop, got_hup;
static volatile int stop_flag;

struct bot {
	struct conf conf;
	struct store *st;
	struct tmpl_set *tmpl;
	struct program prog;
	bool fixed_now;        /* --now given: time does not move */
	int64_t now;
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: ilnbot run          [-c FILE]\n"
		"       ilnbot once         [-c FILE] [--now T]\n"
		"       ilnbot deliver      [-c FILE] [--now T]\n"
		"       ilnbot match        [-c FILE] [--now T] [--dry-run]\n"
		"       ilnbot export       [-c FILE]\n"
		"       ilnbot check-config [-c FILE]\n"
		"T is ISO 8601 (2026-03-01 or 2026-03-01T09:00:00Z) or @SECONDS.\n");
	exit(EX_USAGE);
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP) {
		got_hup = 1;
	} else {
		got_stop = 1;
		stop_flag = 1;
	}
}

static int64_t
bot_now(struct bot *b)
{
	if (!b->fixed_now)
		b->now = (int64_t)time(NULL);
	b->prog.now = b->now;
	return b->now;
}

static const char *
default_config(void)
{
	const char *env = getenv("ILNBOT_CONF");
	struct stat sb;

	if (env && *env)
		return env;
	if (stat("conf/ilnbot.conf", &sb) == 0)
		return "conf/ilnbot.conf";
	return "/etc/ilnbot/ilnbot.conf";
}

static int
bot_open(struct bot *b, const char *path, bool with_store)
{
	char err[1024];

	if (conf_load(path, &b->conf, err, sizeof(err)) < 0) {
		log_errorx("configuration: %s", err);
		return -1;
	}
	log_set_level(strcmp(b->conf.log_level, "debug") == 0 ? LOG_LEVEL_DEBUG :
		      strcmp(b->conf.log_level, "warning") == 0 ? LOG_LEVEL_WARN :
		      strcmp(b->conf.log_level, "error") == 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO);
	if ((b->tmpl = tmpl_load(b->conf.templates, err, sizeof(err))) == NULL) {
		log_errorx("templates: %s", err);
		return -1;
	}
	if (iso_codes_load(NULL, err, sizeof(err)) < 0) {
		log_errorx("iso-codes: %s", err);
		return -1;
	}
	if (with_store) {
		char *dir = xstrdup(b->conf.store_path), *slash = strrchr(dir, '/');

		if (slash && slash != dir) {
			*slash = '\0';
			mkdir(dir, 0750);
		}
		free(dir);
		if ((b->st = store_open(b->conf.store_path, err, sizeof(err))) == NULL) {
			log_errorx("store: %s", err);
			return -1;
		}
	}
	b->prog.conf = &b->conf;
	b->prog.st = b->st;
	b->prog.tmpl = b->tmpl;
	bot_now(b);
	return 0;
}

static void
bot_close(struct bot *b)
{
	store_close(b->st);
	tmpl_free(b->tmpl);
	conf_free(&b->conf);
	iso_codes_free();
	cmd_cleanup();
}

static void
bot_reload_templates(struct bot *b)
{
	char err[1024];
	struct tmpl_set *t = tmpl_load(b->conf.templates, err, sizeof(err));

	if (t == NULL) {
		log_errorx("SIGHUP: templates not reloaded: %s", err);
		return;
	}
	tmpl_free(b->tmpl);
	b->tmpl = t;
	b->prog.tmpl = t;
	log_info("SIGHUP: templates reloaded");
}

/* Messages are committed in batches: one transaction for up to INBOUND_BATCH messages,
 * then each is marked done on the server, then their replies are sent.
 *
 * A message that kills the process (a parser crash; systemd restarts us) would otherwise
 * take its whole batch down again at every restart. So each try is counted, by a SHA-256
 * of the bytes, in a small transaction of its own before the processing one, which
 * forgets the counts again. A batch with a counted try left over from a run that died is
 * taken one message at a time, each counted just before its turn, so only the culprit
 * (never the messages after it, which were not reached) builds up tries; at
 * QUARANTINE_TRIES it is set aside unread and the coordinators are told. */
#define INBOUND_BATCH 256

static void
items_clear(struct inbound_item *items, int n)
{
	for (int i = 0; i < n; i++)
		inbound_item_clear(&items[i]);
}

/* Count one more try at keys[0..n-1]; tries[i] = the count before. The count has to
 * survive a crash of ilnbot, not a power cut: no fsync for it. */
static int
bot_attempts_mark(struct bot *b, const char *const *keys, int n, int *tries)
{
	int rc;

	if (store_durable(b->st, false) < 0)
		return -1;
	rc = store_attempts_begin(b->st, keys, (size_t)n, bot_now(b), tries);
	if (store_durable(b->st, true) < 0)
		rc = -1;
	return rc;
}

/* Process items[0..n-1] in one transaction and forget their tries in it, except those of
 * the quarantined, which stay so that a copy fetched again is never parsed. On a store
 * failure everything is rolled back and the tries counted for it taken back. */
static int
bot_commit(struct bot *b, struct inbound_item *items, bool *rejected, const char *const *keys,
	   const int *tries, int n)
{
	if (store_begin(b->st) < 0)
		goto fail;
	for (int i = 0; i < n; i++) {
		int r;

		bot_now(b);
		if (tries[i] >= QUARANTINE_TRIES)
			r = process_quarantine_tx(&b->prog, items[i].id, items[i].len, keys[i],
						  tries[i], &rejected[i]);
		else
			r = process_message_tx(&b->prog, items[i].raw, items[i].len,
					       items[i].too_big, &rejected[i]);
		if (r < 0 || (tries[i] < QUARANTINE_TRIES &&
			      store_attempts_clear(b->st, &keys[i], 1) < 0))
			goto rollback;
	}
	if (store_commit(b->st) < 0)
		goto rollback;
	return 0;
rollback:
	store_rollback(b->st);
fail:
	if (store_attempts_undo(b->st, keys, (size_t)n) < 0)
		log_warnx("inbound: cannot take back the tries counted for %d messages", n);
	return -1;
}

/* Mark committed items done on the server. */
static int
bot_done(struct inbound *in, struct inbound_item *items, bool *rejected, int n)
{
	char err[512];

	if (inbound_done_all(in, items, rejected, (size_t)n, err, sizeof(err)) < 0) {
		log_errorx("inbound: cannot mark %d message%s done: %s", n, n == 1 ? "" : "s", err);
		return -1;
	}
	return 0;
}

/* One message at a time, each with its own try counted and its own transaction. */
static int
bot_batch_singly(struct bot *b, struct inbound *in, struct inbound_item *items, bool *rejected,
		 const char *const *keys, int n)
{
	for (int i = 0; i < n && !stop_flag; i++) {
		int tries;

		if (bot_attempts_mark(b, &keys[i], 1, &tries) < 0)
			return -1;
		if (tries > 0 && tries < QUARANTINE_TRIES)
			log_warnx("inbound: %s: try %d; %d before it died", items[i].id, tries + 1,
				  tries);
		if (bot_commit(b, &items[i], &rejected[i], &keys[i], &tries, 1) < 0 ||
		    bot_done(in, &items[i], &rejected[i], 1) < 0)
			return -1;
	}
	return 0;
}

/* One batch: 1 = some handled, 0 = nothing new, -1 = transport or store error. */
static int
bot_batch(struct bot *b, struct inbound *in, struct inbound_item *items, bool *rejected)
{
	char err[512];
	char (*sha)[PROCESS_SHA256_HEX] = NULL;
	const char **keys = NULL;
	int *tries = NULL;
	int n = 0, r = 0, rc = -1, died = 0;

	while (n < INBOUND_BATCH && !stop_flag &&
	       (r = in->ops->next(in->h, &items[n], err, sizeof(err))) > 0)
		n++;
	if (r < 0 && !stop_flag)
		log_errorx("inbound: %s", err);
	if (n == 0)
		return r < 0 && !stop_flag ? -1 : 0;
	sha = xcalloc((size_t)n, sizeof(*sha));
	keys = xcalloc((size_t)n, sizeof(*keys));
	tries = xcalloc((size_t)n, sizeof(*tries));
	for (int i = 0; i < n; i++) {
		process_sha256_hex(items[i].raw, items[i].len, sha[i]);
		keys[i] = sha[i];
	}
	if (store_attempts_get(b->st, keys, (size_t)n, tries) < 0)
		goto out;
	for (int i = 0; i < n; i++)
		died += tries[i] > 0;
	if (died > 0) {
		log_warnx("inbound: %d of a batch of %d were tried by a run that died; "
			  "taking the batch one message at a time", died, n);
		if (bot_batch_singly(b, in, items, rejected, keys, n) < 0)
			goto out;
	} else if (bot_attempts_mark(b, keys, n, tries) < 0 ||
		   bot_commit(b, items, rejected, keys, tries, n) < 0 ||
		   bot_done(in, items, rejected, n) < 0) {
		goto out;
	}
	rc = r < 0 && !stop_flag ? -1 : 1;
out:
	items_clear(items, n);
	free(sha);
	free(keys);
	free(tries);
	return rc;
}

/* One pass: every new inbound message, each committed batch handed to the sender
 * thread at once. -1 on a transport or store error. */
static int
bot_pass(struct bot *b, struct inbound *in, struct sender *snd)
{
	struct inbound_item *items = xcalloc(INBOUND_BATCH, sizeof(*items));
	bool *rejected = xcalloc(INBOUND_BATCH, sizeof(*rejected));
	int r = 0, rc = -1;

	while (!stop_flag && (r = bot_batch(b, in, items, rejected)) > 0)
		sender_kick(snd);
	if (r < 0)
		goto out;
	sender_kick(snd);       /* deferred mail may have fallen due */
	rc = 0;
out:
	free(items);
	free(rejected);
	return rc;
}

/* bot_sender: the sender thread over a newly opened outbound transport, or NULL. */
static struct sender *
bot_sender(struct bot *b, int idle_ms)
{
	struct outbound out = { 0 };
	struct sender *snd;
	char err[512];

	if (outbound_open(&out, &b->conf, err, sizeof(err)) < 0) {
		log_errorx("outbound: %s", err);
		return NULL;
	}
	snd = sender_start(b->conf.store_path, &out, b->fixed_now ? b->now : 0,
			   b->conf.smtp_retry_max_hours, idle_ms, &stop_flag, err, sizeof(err));
	if (snd == NULL) {
		log_errorx("outbound: %s", err);
		outbound_close(&out);
	}
	return snd;
}

static int
cmd_once(struct bot *b)
{
	struct inbound in = { 0 };
	struct sender *snd = NULL;
	char err[512];
	int rc = 1;

	if (inbound_prefetch_open(&in, &b->conf, err, sizeof(err)) < 0) {
		log_errorx("inbound: %s", err);
		goto out;
	}
	if ((snd = bot_sender(b, 0)) == NULL)
		goto out;
	rc = bot_pass(b, &in, snd) < 0 ? 1 : 0;
out:
	inbound_close(&in);
	if (sender_stop(snd) < 0)
		rc = 1;
	return rc;
}

static int
cmd_run(struct bot *b)
{
	struct inbound in = { 0 };
	struct sender *snd = NULL;
	struct sigaction sa;
	char err[512];
	int backoff = 1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_info("running: inbound %s, outbound %s", b->conf.in_transport, b->conf.out_transport);
	while (!got_stop) {
		if (in.h == NULL && inbound_prefetch_open(&in, &b->conf, err, sizeof(err)) < 0)
			log_errorx("inbound: %s", err);
		/* Deferred mail is retried by the sender on its own, every poll interval. */
		if (snd == NULL)
			snd = bot_sender(b, b->conf.poll_seconds * 1000);
		if (in.h && snd && bot_pass(b, &in, snd) == 0) {
			backoff = 1;
			if (got_hup) {
				got_hup = 0;
				bot_reload_templates(b);
			}
			if (in.ops->wait(in.h, b->conf.poll_seconds * 1000, &stop_flag) == 0)
				continue;
		}
		/* Something failed: start again from a fresh connection after a growing pause. */
		inbound_close(&in);
		log_warnx("retrying in %d s", backoff);
		for (int i = 0; i < backoff * 10 && !got_stop; i++)
			usleep(100000);
		backoff = backoff < 300 ? backoff * 2 : 300;
	}
	log_info("stopping");
	inbound_close(&in);
	sender_stop(snd);
	return 0;
}

static int
cmd_deliver(struct bot *b)
{
	struct outbound out = { 0 };
	struct buf in;
	char chunk[65536], err[512];
	bool too_big = false, rejected;
	ssize_t n;
	int rc = EX_TEMPFAIL;

	buf_init(&in, MSG_MAX_SIZE);
	while ((n = read(0, chunk, sizeof(chunk))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			log_errorx("deliver: read: %s", strerror(errno));
			goto out;
		}
		if (!too_big && buf_add(&in, chunk, (size_t)n) < 0)
			too_big = true;
	}
	if (process_message(&b->prog, in.data ? in.data : "", in.len, too_big, &rejected) < 0)
		goto out;
	rc = 0;
	if (outbound_open(&out, &b->conf, err, sizeof(err)) < 0) {
		log_warnx("outbound: %s; replies stay queued", err);
		goto out;
	}
	if (outbox_flush(b->st, &out, bot_now(b), b->conf.smtp_retry_max_hours, NULL) < 0)
		log_warnx("outbox: replies stay queued");
out:
	outbound_close(&out);
	buf_free(&in);
	return rc;
}

/* match: print the matching of the current round as of --now; without --dry-run, also
 * keep it as the round's proposal and mail the preview to the coordinators. */
static int
cmd_match(struct bot *b, bool dry_run)
{
	char *report = NULL;
	int found, rc = 1;

	if (!dry_run && store_begin(b->st) < 0)
		return 1;
	found = round_match_preview(&b->prog, NULL, !dry_run, &report);
	if (found < 0) {
		if (!dry_run)
			store_rollback(b->st);
		goto out;
	}
	if (!dry_run && store_commit(b->st) < 0)
		goto out;
	if (found == 0) {
		log_errorx("match: no round is open as of the given time");
		goto out;
	}
	fputs(report, stdout);
	rc = 0;
	if (!dry_run) {
		struct outbound out = { 0 };
		char err[512];

		if (outbound_open(&out, &b->conf, err, sizeof(err)) == 0)
			outbox_flush(b->st, &out, bot_now(b), b->conf.smtp_retry_max_hours, NULL);
		else
			log_warnx("outbound: %s; the preview stays queued", err);
		outbound_close(&out);
	}
out:
	free(report);
	return rc;
}

static int
cmd_export(struct bot *b)
{
	char *csv = round_export_csv(b->st);

	if (csv == NULL)
		return 1;
	fputs(csv, stdout);
	free(csv);
	return 0;
}

static const char *const required_templates[] = {
	"help", "rate_limited", "signup_confirm", "signup_problems", "signup_already",
	"signup_done", "confirm_bad", "confirm_withdraw", "confirm_delete", "confirm_change",
	"confirm_subscribe", "change_pending", "change_done", "change_bad", "change_taken",
	"withdraw_done", "withdraw_already", "delete_done", "nothing_held", "subscribe_done",
	"subscribe_already", "unsubscribe_done", "show", "update_done", "update_problems",
	"status", "not_registered", "no_partnership", "coordinators_only", "not_available",
	"round_problems", "round_opened", "round_announce", "no_round", "match_preview",
	"introduction", "unmatched_options", "approve_done", "stats", "export",
	"confirm_coordinator", "quarantine_alert",
};

static int
cmd_check_config(struct bot *b)
{
	char err[4096];
	int bad = 0;

	if (tmpl_check(b->conf.templates, err, sizeof(err)) > 0) {
		log_errorx("templates:\n%s", err);
		bad++;
	}
	for (size_t i = 0; i < sizeof(required_templates) / sizeof(required_templates[0]); i++) {
		if (!tmpl_has(b->tmpl, required_templates[i])) {
			log_errorx("templates: %s/%s.txt is missing", b->conf.templates,
				   required_templates[i]);
			bad++;
		}
	}
	{
		struct match_weights w = { b->conf.weight_explicit, b->conf.weight_default,
					   b->conf.weight_interest, b->conf.max_interests };

		if (!match_weights_valid(&w))
			log_warnx("[matching]: with these weights one explicit preference met no "
				  "longer outweighs all defaults and shared interests of a pair");
	}
	if (bad)
		return EX_CONFIG;
	printf("%s: configuration and templates are valid\n", b->conf.path);
	return 0;
}

int
main(int argc, char **argv)
{
	struct bot b;
	const char *cmd = NULL, *path = NULL, *now = NULL;
	bool dry_run = false;
	int rc;

	memset(&b, 0, sizeof(b));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = argv[++i];
		else if (strncmp(argv[i], "--now=", 6) == 0)
			now = argv[i] + 6;
		else if (strcmp(argv[i], "--dry-run") == 0)
			dry_run = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			usage();
		else if (cmd == NULL && argv[i][0] != '-')
			cmd = argv[i];
		else
			usage();
	}
	if (cmd == NULL)
		usage();
	if (now) {
		if (time_parse(now, &b.now) < 0) {
			log_errorx("--now %s: not an ISO 8601 time", now);
			return EX_USAGE;
		}
		b.fixed_now = true;
	}
	if (path == NULL)
		path = default_config();
	if (strcmp(cmd, "check-config") == 0) {
		rc = bot_open(&b, path, false) < 0 ? EX_CONFIG : cmd_check_config(&b);
	} else if (strcmp(cmd, "once") == 0 || strcmp(cmd, "run") == 0 ||
		   strcmp(cmd, "deliver") == 0) {
		if (bot_open(&b, path, true) < 0)
			rc = strcmp(cmd, "deliver") == 0 ? EX_TEMPFAIL : EX_CONFIG;
		else if (strcmp(cmd, "once") == 0)
			rc = cmd_once(&b);
		else if (strcmp(cmd, "run") == 0)
			rc = cmd_run(&b);
		else
			rc = cmd_deliver(&b);
	} else if (strcmp(cmd, "match") == 0) {
		rc = bot_open(&b, path, true) < 0 ? EX_CONFIG : cmd_match(&b, dry_run);
	} else if (strcmp(cmd, "export") == 0) {
		rc = bot_open(&b, path, true) < 0 ? EX_CONFIG : cmd_export(&b);
	} else {
		usage();
	}
	bot_close(&b);
	return rc;
}
