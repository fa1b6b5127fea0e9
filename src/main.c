/* main.c: the command line of SPEC §7 and the daemon loop. It reads the arguments,
 * loads the configuration, the templates, the ISO code tables and the store, then runs
 * one subcommand of the table below. The work itself is elsewhere: the inbound
 * transaction in process.c, the outbox in outbox.c and sender.c, the rules in
 * program*.c. */
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
#include "outbox.h"
#include "process.h"
#include "program.h"
#include "sender.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"

#define EX_USAGE    64
#define EX_TEMPFAIL 75
#define EX_CONFIG   78

#define SCHEDULE_EVERY 60       /* seconds: the daemon runs the schedule at least this often */

static volatile sig_atomic_t got_stop, got_hup;
static volatile int stop_flag;

struct bot {
	struct conf conf;
	struct store *st;
	struct tmpl_set *tmpl;
	struct program prog;
	bool dry_run;
	bool csv;                  /* match: print the proposal's CSV instead */
};

static void
usage(void)
{
	fprintf(stderr,
		"usage: ilnbot run          [-c FILE]\n"
		"       ilnbot once         [-c FILE] [--now T]\n"
		"       ilnbot deliver      [-c FILE] [--now T]\n"
		"       ilnbot match        [-c FILE] [--now T] [--dry-run] [--csv]\n"
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
	program_tick(&b->prog);
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
	snd = sender_start(b->conf.store_path, &out, b->prog.fixed_now ? b->prog.now : 0,
			   b->conf.smtp_retry_max_hours, idle_ms, &stop_flag, err, sizeof(err));
	if (snd == NULL) {
		log_errorx("outbound: %s", err);
		outbound_close(&out);
	}
	return snd;
}

/* bot_flush: send what the outbox holds now, from this thread (one-shot commands). */
static void
bot_flush(struct bot *b, const char *what)
{
	struct outbound out = { 0 };
	char err[512];

	if (outbound_open(&out, &b->conf, err, sizeof(err)) < 0)
		log_warnx("outbound: %s; %s stay queued", err, what);
	else if (outbox_flush(b->st, &out, program_tick(&b->prog), b->conf.smtp_retry_max_hours,
			      NULL) < 0)
		log_warnx("outbox: %s stay queued", what);
	outbound_close(&out);
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
	/* Mail due today goes first, then the day's commands. */
	if (program_schedule_run(&b->prog) < 0)
		goto out;
	sender_kick(snd);
	rc = process_pass(&b->prog, &in, snd, &stop_flag) < 0 ? 1 : 0;
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
		if (snd && program_schedule_run(&b->prog) > 0)
			sender_kick(snd);
		if (in.h && snd && process_pass(&b->prog, &in, snd, &stop_flag) == 0) {
			backoff = 1;
			if (got_hup) {
				got_hup = 0;
				bot_reload_templates(b);
			}
			/* At least once a minute, so scheduled mail leaves when it falls due
			 * even with no mail coming in. */
			if (in.ops->wait(in.h, (b->conf.poll_seconds < SCHEDULE_EVERY ?
						b->conf.poll_seconds : SCHEDULE_EVERY) * 1000,
					 &stop_flag) == 0)
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
	struct buf in;
	char chunk[65536];
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
	bot_flush(b, "replies");
out:
	buf_free(&in);
	return rc;
}

/* match: print the proposal of the current round as of --now (its CSV with --csv);
 * without --dry-run, also keep it as the round's next proposal and mail the preview to
 * the coordinators. */
static int
cmd_match(struct bot *b)
{
	bool keep = !b->dry_run;
	char *report = NULL, *csv = NULL;
	int found, rc = 1;

	if (keep && store_begin(b->st) < 0)
		return 1;
	found = round_match_preview(&b->prog, NULL, keep, &report, &csv);
	if (found < 0) {
		if (keep)
			store_rollback(b->st);
		goto out;
	}
	if (keep && store_commit(b->st) < 0)
		goto out;
	if (found == 0) {
		log_errorx("match: no round is open as of the given time");
		goto out;
	}
	fputs(b->csv ? csv : report, stdout);
	rc = 0;
	if (keep)
		bot_flush(b, "the preview");
out:
	free(report);
	free(csv);
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

static int
cmd_check_config(struct bot *b)
{
	char err[4096];
	struct buf problems;
	int bad = 0;

	if (tmpl_check(b->conf.templates, err, sizeof(err)) > 0) {
		log_errorx("templates:\n%s", err);
		bad++;
	}
	buf_init(&problems, 0);
	if (program_check_templates(b->tmpl, b->conf.templates, &problems) > 0) {
		log_errorx("templates:\n%s", problems.data);
		bad++;
	}
	buf_free(&problems);
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

/* The subcommands: whether each needs the store, and its exit code when the
 * configuration, templates or store cannot be loaded. */
static const struct subcommand {
	const char *name;
	bool store;
	int open_failed;
	int (*run)(struct bot *b);
} subcommands[] = {
	{ "run", true, EX_CONFIG, cmd_run },
	{ "once", true, EX_CONFIG, cmd_once },
	{ "deliver", true, EX_TEMPFAIL, cmd_deliver },
	{ "match", true, EX_CONFIG, cmd_match },
	{ "export", true, EX_CONFIG, cmd_export },
	{ "check-config", false, EX_CONFIG, cmd_check_config },
};

int
main(int argc, char **argv)
{
	const struct subcommand *sub = NULL;
	struct bot b;
	const char *cmd = NULL, *path = NULL, *now = NULL;
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
			b.dry_run = true;
		else if (strcmp(argv[i], "--csv") == 0)
			b.csv = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			usage();
		else if (cmd == NULL && argv[i][0] != '-')
			cmd = argv[i];
		else
			usage();
	}
	for (size_t i = 0; cmd && i < nitems(subcommands); i++)
		if (strcmp(cmd, subcommands[i].name) == 0)
			sub = &subcommands[i];
	if (sub == NULL)
		usage();
	if (now) {
		if (time_parse(now, &b.prog.now) < 0) {
			log_errorx("--now %s: not an ISO 8601 time", now);
			return EX_USAGE;
		}
		b.prog.fixed_now = true;
	}
	if (path == NULL)
		path = default_config();
	rc = bot_open(&b, path, sub->store) < 0 ? sub->open_failed : sub->run(&b);
	bot_close(&b);
	return rc;
}
