/* main.c: the command line of SPEC §7 and the daemon loop. It reads the arguments,
 * loads the configuration, the templates, the ISO code tables and the store, then runs
 * one subcommand of the table below. The work itself is elsewhere: the inbound
 * transaction in process.c, the outbox in outbox.c and sender.c, the rules in
 * program*.c. */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "admin.h"
#include "cmd.h"
#include "form.h"
#include "conf.h"
#include "inbound.h"
#include "iso_codes.h"
#include "log.h"
#include "match.h"
#include "msg.h"
#include "oauth2.h"
#include "outbound.h"
#include "outbox.h"
#include "process.h"
#include "program.h"
#include "secret.h"
#include "sender.h"
#include "store.h"
#include "tmpl.h"
#include "util.h"
#include "words.h"

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
	struct admin_args args;
	bool csv;                  /* match: print the proposal's CSV instead */
};

#ifndef ILNBOT_VERSION
#define ILNBOT_VERSION "unknown"
#endif

static const char usage_text[] =
	"usage: ilnbot run          [-c FILE]\n"
	"       ilnbot once         [-c FILE] [--now T]\n"
	"       ilnbot deliver      [-c FILE] [--now T]\n"
	"       ilnbot match        [-c FILE] [--now T] [--dry-run] [--csv]\n"
	"       ilnbot export       [-c FILE]\n"
	"       ilnbot check-config [-c FILE]\n"
	"       ilnbot queue        [-c FILE] [--failed | --deferred]\n"
	"       ilnbot flush        [-c FILE]\n"
	"       ilnbot retry        [-c FILE] ID... | --failed\n"
	"       ilnbot drop         [-c FILE] ID...\n"
	"       ilnbot rejected     [-c FILE]\n"
	"       ilnbot reprocess    [-c FILE] [--now T] ID...\n"
	"       ilnbot status       [-c FILE] [--now T]\n"
	"       ilnbot config       [-c FILE] [-a]\n"
	"       ilnbot --version | --help\n"
	"T is ISO 8601 (2026-03-01 or 2026-03-01T09:00:00Z) or @SECONDS.\n";

static void
usage(void)
{
	fputs(usage_text, stderr);
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
bot_open(struct bot *b, const char *path, bool with_store, bool validate)
{
	char err[1024];

	if (conf_load(path, &b->conf, err, sizeof(err)) < 0) {
		log_errorx("configuration: %s", err);
		return -1;
	}
	/* What would fail at start is a configuration error, not something to retry. */
	if (validate && conf_validate(&b->conf, NULL) > 0) {
		log_errorx("configuration: %s cannot work as it is; see the errors above "
			   "(ilnbot check-config)", path);
		return -1;
	}
	log_set_level(strcmp(b->conf.log_level, "debug") == 0 ? LOG_LEVEL_DEBUG :
		      strcmp(b->conf.log_level, "warning") == 0 ? LOG_LEVEL_WARN :
		      strcmp(b->conf.log_level, "error") == 0 ? LOG_LEVEL_ERROR : LOG_LEVEL_INFO);
	if ((b->tmpl = tmpl_load(b->conf.templates, err, sizeof(err))) == NULL) {
		log_errorx("templates: %s", err);
		return -1;
	}
	if (words_load(b->conf.templates, err, sizeof(err)) < 0) {
		log_errorx("templates: %s", err);
		return -1;
	}
	if (iso_codes_load(NULL, err, sizeof(err)) < 0) {
		log_errorx("iso-codes: %s", err);
		return -1;
	}
	iso_codes_locale_dir(b->conf.names_locale_dir);
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
		store_sent_keep(b->st, b->conf.sent_keep_days);
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
	words_free();
	conf_free(&b->conf);
	oauth2_cleanup();
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
	if (words_load(b->conf.templates, err, sizeof(err)) < 0) {
		log_errorx("SIGHUP: templates not reloaded: %s", err);
		tmpl_free(t);
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
			   b->conf.smtp_retry_max_hours, b->conf.sent_keep_days, idle_ms, &stop_flag,
			   err, sizeof(err));
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

/* bot_notify: tell systemd (Type=notify) how the daemon stands, as sd_notify(3) does:
 * one datagram to $NOTIFY_SOCKET (a path, or "@" for the abstract namespace). Without
 * the variable, nothing. */
static void
bot_notify(const char *state)
{
	const char *path = getenv("NOTIFY_SOCKET");
	struct sockaddr_un sa;
	socklen_t len;
	int fd;

	if (path == NULL || (path[0] != '/' && path[0] != '@') ||
	    strlen(path) >= sizeof(sa.sun_path))
		return;
	memset(&sa, 0, sizeof(sa));
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path));
	if (path[0] == '@')
		sa.sun_path[0] = '\0';
	len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path));
	if ((fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return;
	if (sendto(fd, state, strlen(state), MSG_NOSIGNAL, (struct sockaddr *)&sa, len) < 0)
		log_warnx("NOTIFY_SOCKET %s: %s", path, strerror(errno));
	close(fd);
}

/* bot_pass_done: the time of the last complete pass, for `ilnbot status`. */
static void
bot_pass_done(struct bot *b)
{
	char when[32];

	time_format_iso(program_tick(&b->prog), when, sizeof(when));
	if (store_state_set(b->st, "last_pass", when) < 0)
		log_warnx("store: cannot record the time of this pass");
}

/* bot_oauth2_start: with imap_auth or smtp_auth = oauth2, a first token before any
 * mail is touched, so that a refused grant is the configuration error it is (exit
 * EX_CONFIG) at once; an endpoint that cannot be reached is only logged, and the
 * transports try again. -1 when refused. */
static int
bot_oauth2_start(struct bot *b)
{
	const struct conf *c = &b->conf;
	bool imap = strcmp(c->in_transport, "imap") == 0 && strcmp(c->imap_auth, "oauth2") == 0;
	bool smtp = strcmp(c->out_transport, "smtp") == 0 && strcmp(c->smtp_auth, "oauth2") == 0;
	char err[1024], *token = NULL;
	enum oauth2_result r;

	if (!imap && !smtp)
		return 0;
	r = oauth2_token(c, imap ? c->imap_timeout_seconds : c->smtp_timeout_seconds, &token, err,
			 sizeof(err));
	secret_free(token);
	if (r == OAUTH2_REFUSED)
		return -1;
	if (r != OAUTH2_OK)
		log_warnx("%s; tried again when the mailbox is next reached", err);
	return 0;
}

/* bot_oauth2_refused: the exit code once a grant was refused. */
static int
bot_oauth2_refused(void)
{
	log_errorx("configuration: the OAuth2 grant was refused (see above); exiting with "
		   "EX_CONFIG");
	return EX_CONFIG;
}

static int
cmd_once(struct bot *b)
{
	struct inbound in = { 0 };
	struct sender *snd = NULL;
	char err[512];
	int rc = 1;

	if (bot_oauth2_start(b) < 0)
		return bot_oauth2_refused();
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
	if (rc == 0)
		bot_pass_done(b);
out:
	inbound_close(&in);
	if (sender_stop(snd) < 0)
		rc = 1;
	if (oauth2_refused())
		rc = bot_oauth2_refused();
	return rc;
}

static int
cmd_run(struct bot *b)
{
	struct inbound in = { 0 };
	struct sender *snd = NULL;
	struct sigaction sa;
	char err[512];
	int backoff = 1, rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (admin_lock_take(b->conf.store_path) < 0)
		return EX_TEMPFAIL;
	if (bot_oauth2_start(b) < 0)
		return bot_oauth2_refused();
	log_info("ilnbot %s starting: inbound %s, outbound %s, store %s", ILNBOT_VERSION,
		 b->conf.in_transport, b->conf.out_transport, b->conf.store_path);
	conf_validate(&b->conf, NULL);  /* the warnings, once */
	bot_notify("READY=1\nSTATUS=running");
	while (!got_stop) {
		/* A refused grant, by the inbound or the sender thread, ends the daemon. */
		if (oauth2_refused()) {
			rc = bot_oauth2_refused();
			break;
		}
		if (in.h == NULL && inbound_prefetch_open(&in, &b->conf, err, sizeof(err)) < 0)
			log_errorx("inbound: %s", err);
		/* Deferred mail is retried by the sender on its own, every poll interval. */
		if (snd == NULL)
			snd = bot_sender(b, b->conf.poll_seconds * 1000);
		if (snd && program_schedule_run(&b->prog) > 0)
			sender_kick(snd);
		if (in.h && snd && process_pass(&b->prog, &in, snd, &stop_flag) == 0) {
			backoff = 1;
			bot_pass_done(b);
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
		if (oauth2_refused())
			continue;
		log_warnx("retrying in %d s", backoff);
		for (int i = 0; i < backoff * 10 && !got_stop; i++)
			usleep(100000);
		backoff = backoff < 300 ? backoff * 2 : 300;
	}
	log_info("stopping");
	bot_notify("STOPPING=1");
	inbound_close(&in);
	sender_stop(snd);
	return rc;
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
	process_erasures(&b->prog, NULL);
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
	char *csv = round_export_csv(&b->prog);

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
	int bad = 0, warnings = 0;

	bad += conf_validate(&b->conf, &warnings);
	if (tmpl_check(b->conf.templates, err, sizeof(err)) > 0) {
		log_errorx("templates:\n%s", err);
		bad++;
	}
	if (words_check(b->conf.templates, err, sizeof(err)) > 0) {
		log_errorx("templates:\n%s", err);
		bad++;
	}
	buf_init(&problems, 0);
	/* the loaded words: no word may name two commands, fields or values */
	if (cmd_check_words(&problems) + form_check_words(&problems) > 0) {
		log_errorx("templates:\n%s", problems.data);
		bad++;
	}
	buf_reset(&problems);
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
	printf("%s: configuration and templates are valid%s\n", b->conf.path,
	       warnings ? " (with warnings above)" : "");
	return 0;
}

/* The operator's commands (admin.c); those that may leave mail to send send it here
 * when no daemon holds the store. */
static int
cmd_queue(struct bot *b)
{
	return admin_queue(&b->prog, &b->args);
}

static int
cmd_flush_queue(struct bot *b)
{
	bool send;
	int rc = admin_flush(&b->prog, &b->args, &send);

	if (send)
		bot_flush(b, "deferred mails");
	return rc;
}

static int
cmd_retry(struct bot *b)
{
	bool send;
	int rc = admin_retry(&b->prog, &b->args, &send);

	if (send)
		bot_flush(b, "the mails");
	return rc;
}

static int
cmd_drop(struct bot *b)
{
	return admin_drop(&b->prog, &b->args);
}

static int
cmd_rejected(struct bot *b)
{
	return admin_rejected(&b->prog, &b->args);
}

static int
cmd_reprocess(struct bot *b)
{
	bool send;
	int rc = admin_reprocess(&b->prog, &b->args, &send);

	if (send)
		bot_flush(b, "replies");
	return rc;
}

static int
cmd_status(struct bot *b)
{
	return admin_status(&b->prog, &b->args);
}

static int
cmd_config(struct bot *b)
{
	return admin_config(&b->prog, &b->args);
}

/* The subcommands: whether each needs the store, whether what would fail at start is
 * checked first (conf_validate), whether it takes IDs, and its exit code when the
 * configuration, templates or store cannot be loaded. */
static const struct subcommand {
	const char *name;
	bool store;
	bool validate;
	bool ids;
	int open_failed;
	int (*run)(struct bot *b);
} subcommands[] = {
	{ "run", true, true, false, EX_CONFIG, cmd_run },
	{ "once", true, true, false, EX_CONFIG, cmd_once },
	{ "deliver", true, false, false, EX_TEMPFAIL, cmd_deliver },
	{ "match", true, false, false, EX_CONFIG, cmd_match },
	{ "export", true, false, false, EX_CONFIG, cmd_export },
	{ "check-config", false, false, false, EX_CONFIG, cmd_check_config },
	{ "queue", true, false, false, EX_CONFIG, cmd_queue },
	{ "flush", true, false, false, EX_CONFIG, cmd_flush_queue },
	{ "retry", true, false, true, EX_CONFIG, cmd_retry },
	{ "drop", true, false, true, EX_CONFIG, cmd_drop },
	{ "rejected", true, false, false, EX_CONFIG, cmd_rejected },
	{ "reprocess", true, false, true, EX_CONFIG, cmd_reprocess },
	{ "status", true, false, false, EX_CONFIG, cmd_status },
	{ "config", false, false, false, EX_CONFIG, cmd_config },
};

int
main(int argc, char **argv)
{
	const struct subcommand *sub = NULL;
	struct bot b;
	const char *cmd = NULL, *path = NULL, *now = NULL;
	int rc;

	memset(&b, 0, sizeof(b));
	/* The store and its -wal and -shm files (which SQLite makes with the store's mode)
	 * are the participants' data: nobody else reads them, whatever the umask. */
	umask(umask(077) | 077);
	b.args.ids = xcalloc((size_t)argc, sizeof(*b.args.ids));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-c") == 0 && i + 1 < argc)
			path = argv[++i];
		else if (strcmp(argv[i], "--now") == 0 && i + 1 < argc)
			now = argv[++i];
		else if (strncmp(argv[i], "--now=", 6) == 0)
			now = argv[i] + 6;
		else if (strcmp(argv[i], "--dry-run") == 0)
			b.dry_run = true;
		else if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(usage_text, stdout);
			free(b.args.ids);
			return 0;
		} else if (strcmp(argv[i], "--version") == 0 || strcmp(argv[i], "-V") == 0) {
			printf("ilnbot %s\n", ILNBOT_VERSION);
			free(b.args.ids);
			return 0;
		} else if (strcmp(argv[i], "-a") == 0 || strcmp(argv[i], "--all") == 0)
			b.args.all = true;
		else if (strcmp(argv[i], "--failed") == 0)
			b.args.failed = true;
		else if (strcmp(argv[i], "--deferred") == 0)
			b.args.deferred = true;
		else if (strcmp(argv[i], "--csv") == 0)
			b.csv = true;
		else if (cmd == NULL && argv[i][0] != '-')
			cmd = argv[i];
		else if (cmd != NULL && argv[i][0] != '-')
			b.args.ids[b.args.nids++] = argv[i];
		else
			usage();
	}
	for (size_t i = 0; cmd && i < nitems(subcommands); i++)
		if (strcmp(cmd, subcommands[i].name) == 0)
			sub = &subcommands[i];
	if (sub == NULL || (b.args.nids > 0 && !sub->ids))
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
	rc = bot_open(&b, path, sub->store, sub->validate) < 0 ? sub->open_failed : sub->run(&b);
	bot_close(&b);
	free(b.args.ids);
	return rc;
}
