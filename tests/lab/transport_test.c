/* transport_test.c: drives outbound_smtp_ops and inbound_imap_ops against the private
 * lab (tests/lab/lab.sh): mail to alice through Postfix over STARTTLS and implicit TLS,
 * fetched back from alice's INBOX over verified TLS, moved to Processed / Rejected;
 * a wrong CA is refused before LOGIN. Run by transport_test.sh, which sources DIR/env
 * and sets WRONG_CA. Prints "N passed, N failed". store_state_* are faked here. */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "inbound.h"
#include "log.h"
#include "outbound.h"
#include "store.h"
#include "util.h"

/* A store with a few keys in memory. */
#define FAKE_KEYS 8
static char *fake_key[FAKE_KEYS], *fake_val[FAKE_KEYS];

int
store_state_get(struct store *st, const char *key, char **val)
{
	int i;

	*val = NULL;
	for (i = 0; i < FAKE_KEYS; i++)
		if (fake_key[i] && strcmp(fake_key[i], key) == 0) {
			*val = xstrdup(fake_val[i]);
			break;
		}
	return 0;
}

int
store_state_set(struct store *st, const char *key, const char *val)
{
	int i, free_slot = -1;

	for (i = 0; i < FAKE_KEYS; i++) {
		if (fake_key[i] && strcmp(fake_key[i], key) == 0) {
			free(fake_val[i]);
			fake_val[i] = xstrdup(val);
			return 0;
		}
		if (!fake_key[i] && free_slot < 0)
			free_slot = i;
	}
	if (free_slot < 0)
		return -1;
	fake_key[free_slot] = xstrdup(key);
	fake_val[free_slot] = xstrdup(val);
	return 0;
}

static void
fake_reset(void)
{
	int i;

	for (i = 0; i < FAKE_KEYS; i++) {
		free(fake_key[i]);
		free(fake_val[i]);
		fake_key[i] = fake_val[i] = NULL;
	}
}

static int npass, nfail;

static void check(bool ok, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
check(bool ok, const char *fmt, ...)
{
	va_list ap;

	printf("%s ", ok ? "ok  " : "FAIL");
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (ok)
		npass++;
	else
		nfail++;
}

static const char *
env(const char *name)
{
	const char *v = getenv(name);

	if (v == NULL || *v == '\0') {
		fprintf(stderr, "transport_test: %s not set (run transport_test.sh)\n", name);
		exit(2);
	}
	return v;
}

static char *password_file;

static void
conf_base(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	c->address = "iln@example.org";
	c->imap_host = "127.0.0.1";
	c->imap_port = atoi(env("LAB_IMAPS_PORT"));
	c->imap_tls = "implicit";
	c->imap_user = "alice@example.org";
	c->imap_password_file = password_file;
	c->imap_ca_file = (char *)env("LAB_CA");
	c->imap_mailbox = "INBOX";
	c->imap_done_mailbox = "Processed";
	c->imap_rejects_mailbox = "Rejected";
	c->imap_timeout_seconds = 10;
	c->imap_batch = 2;
	c->smtp_host = "127.0.0.1";
	c->smtp_port = atoi(env("LAB_SMTP_PORT"));
	c->smtp_tls = "starttls";
	c->smtp_user = "iln@example.org";
	c->smtp_password_file = password_file;
	c->smtp_ca_file = (char *)env("LAB_CA");
	c->smtp_timeout_seconds = 10;
}

static char *
make_msg(const char *subject)
{
	char date[64];

	time_format_rfc5322((int64_t)time(NULL), date, sizeof(date));
	return xasprintf("From: iln@example.org\r\nTo: alice@example.org\r\nSubject: %s\r\n"
	    "Date: %s\r\nMessage-ID: <%s@test.example.org>\r\n\r\nbody of %s\r\n.leading dot\r\n",
	    subject, date, subject, subject);
}

static enum outbound_result
send_one(const struct conf *c, void *h, const char *to, const char *subject, char *err, size_t errsz)
{
	const char *rcpts[1] = { to };
	char *m = make_msg(subject);
	enum outbound_result r;

	(void)c;
	r = outbound_smtp_ops.send(h, "iln@example.org", rcpts, 1, m, strlen(m), err, errsz);
	free(m);
	return r;
}

static int
count_logins(const char *user)
{
	char *path = xasprintf("%s/log/dovecot.log", env("LAB_DIR"));
	char *pat = xasprintf("Login: user=<%s>", user);
	char line[4096];
	FILE *f = fopen(path, "r");
	int n = 0;

	while (f && fgets(line, sizeof(line), f))
		if (strstr(line, pat))
			n++;
	if (f)
		fclose(f);
	free(path);
	free(pat);
	return n;
}

/* fetch_tokens: read items until every token has been seen (or deadline); items whose
 * subject holds reject_token are done as rejected, the rest as processed. */
static int
fetch_tokens(void *h, const char **tokens, int ntok, const char *reject_token, int *seen_gap)
{
	char err[512];
	int found = 0, i, r, loops;
	volatile int stop = 0;
	struct inbound_item it;

	for (loops = 0; loops < 100 && found < ntok; loops++) {
		r = inbound_imap_ops.next(h, &it, err, sizeof(err));
		if (r == -1) {
			printf("     next: %s\n", err);
			return -1;
		}
		if (r == 0) {
			inbound_imap_ops.wait(h, 200, &stop);
			continue;
		}
		for (i = 0; i < ntok; i++)
			if (memmem(it.raw, it.len, tokens[i], strlen(tokens[i])))
				found++;
		if (strlen(it.raw) != it.len || it.too_big)
			*seen_gap = 1;
		r = inbound_imap_ops.done(h, &it, reject_token &&
		    memmem(it.raw, it.len, reject_token, strlen(reject_token)) != NULL, err, sizeof(err));
		if (r == -1)
			printf("     done: %s\n", err);
		free(it.id);
		free(it.raw);
	}
	return found;
}

int
main(void)
{
	struct conf c;
	char err[512] = "", tok1[64], tok2[64], tok3[64];
	void *h, *o;
	int before, found, gap = 0;
	FILE *f;
	struct timespec t0, t1;

	log_set_level(LOG_LEVEL_WARN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	password_file = xasprintf("%s/secret-%d", env("LAB_DIR"), (int)getpid());
	umask(077);
	f = fopen(password_file, "w");
	fprintf(f, "%s\n", env("LAB_PASSWORD"));
	fclose(f);
	snprintf(tok1, sizeof(tok1), "tt-starttls-%ld-%d", (long)time(NULL), (int)getpid());
	snprintf(tok2, sizeof(tok2), "tt-implicit-%ld-%d", (long)time(NULL), (int)getpid());
	snprintf(tok3, sizeof(tok3), "tt-reused-%ld-%d", (long)time(NULL), (int)getpid());

	/* SMTP, STARTTLS submission, two messages through one handle. */
	conf_base(&c);
	o = outbound_smtp_ops.open(&c, err, sizeof(err));
	check(o != NULL, "smtp open (starttls) %s", o ? "" : err);
	if (o) {
		check(send_one(&c, o, "alice@example.org", tok1, err, sizeof(err)) == OUTBOUND_SENT,
		    "smtp STARTTLS send to alice %s", err);
		err[0] = '\0';
		check(send_one(&c, o, "alice@example.org", tok3, err, sizeof(err)) == OUTBOUND_SENT,
		    "smtp second send on the same handle %s", err);
		err[0] = '\0';
		check(send_one(&c, o, "nobody@example.org", "x", err, sizeof(err)) == OUTBOUND_PERMANENT,
		    "smtp unknown user is permanent (%s)", err);
		err[0] = '\0';
		check(send_one(&c, o, "alice@example.org\r\nRCPT TO:<bob@example.org>", "x", err,
		    sizeof(err)) == OUTBOUND_PERMANENT, "smtp CR/LF in address refused (%s)", err);
		outbound_smtp_ops.close(o);
	}

	/* SMTP, implicit TLS. */
	conf_base(&c);
	c.smtp_tls = "implicit";
	c.smtp_port = atoi(env("LAB_SMTPS_PORT"));
	o = outbound_smtp_ops.open(&c, err, sizeof(err));
	check(o != NULL, "smtp open (implicit)");
	if (o) {
		err[0] = '\0';
		check(send_one(&c, o, "alice@example.org", tok2, err, sizeof(err)) == OUTBOUND_SENT,
		    "smtp implicit-TLS send to alice %s", err);
		outbound_smtp_ops.close(o);
	}

	/* SMTP with a CA that did not sign the server's certificate. */
	conf_base(&c);
	c.smtp_ca_file = (char *)env("WRONG_CA");
	o = outbound_smtp_ops.open(&c, err, sizeof(err));
	if (o) {
		err[0] = '\0';
		check(send_one(&c, o, "alice@example.org", "wrong-ca", err, sizeof(err)) ==
		    OUTBOUND_TRANSIENT, "smtp wrong CA refused, transient (%s)", err);
		outbound_smtp_ops.close(o);
	}

	/* IMAP over implicit TLS: all three arrive, tok3's goes to Rejected. */
	conf_base(&c);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h != NULL, "imap open (implicit, verified against LAB_CA) %s", h ? "" : err);
	if (h) {
		const char *toks[3] = { tok1, tok2, tok3 };
		char *v = NULL;

		found = fetch_tokens(h, toks, 3, tok3, &gap);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		check(found == 3, "imap fetched all 3 sent messages (%d) in %.2f s", found,
		    (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9);
		check(!gap, "imap items are whole and NUL-terminated");
		store_state_get(NULL, "imap.last_uid", &v);
		check(v && atoi(v) >= 3, "imap.last_uid recorded (%s)", v ? v : "unset");
		free(v);
		inbound_imap_ops.close(h);
	}

	/* STARTTLS port: nothing new; then Processed and Rejected hold them. */
	conf_base(&c);
	c.imap_tls = "starttls";
	c.imap_port = atoi(env("LAB_IMAP_PORT"));
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h != NULL, "imap open (STARTTLS) %s", h ? "" : err);
	if (h) {
		struct inbound_item it;

		check(inbound_imap_ops.next(h, &it, err, sizeof(err)) == 0,
		    "INBOX empty after the moves");
		inbound_imap_ops.close(h);
	}
	{
		const char *toks[2] = { tok1, tok2 };
		const char *rtok[1] = { tok3 };

		conf_base(&c);
		c.imap_mailbox = "Processed";
		c.imap_done_mailbox = "";
		h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
		found = h ? fetch_tokens(h, toks, 2, NULL, &gap) : -1;
		check(found == 2, "Processed holds the 2 processed messages (%d)", found);
		if (h)
			inbound_imap_ops.close(h);
		conf_base(&c);
		c.imap_mailbox = "Rejected";
		c.imap_done_mailbox = "";
		h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
		found = h ? fetch_tokens(h, rtok, 1, NULL, &gap) : -1;
		check(found == 1, "Rejected holds the rejected message (%d)", found);
		if (h)
			inbound_imap_ops.close(h);
	}

	/* Plaintext only to loopback. */
	conf_base(&c);
	c.imap_tls = "none";
	c.imap_port = atoi(env("LAB_IMAP_PORT"));
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h != NULL, "imap_tls=none to 127.0.0.1 works %s", h ? "" : err);
	if (h)
		inbound_imap_ops.close(h);
	c.imap_host = "192.0.2.1";
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h == NULL && strstr(err, "loopback"), "imap_tls=none to 192.0.2.1 refused (%s)", err);
	if (h)
		inbound_imap_ops.close(h);

	/* Wrong CA: refused before LOGIN, on both ports. */
	before = count_logins("alice@example.org");
	conf_base(&c);
	c.imap_ca_file = (char *)env("WRONG_CA");
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h == NULL && strstr(err, "certificate"), "imap implicit TLS, wrong CA refused (%s)", err);
	if (h)
		inbound_imap_ops.close(h);
	c.imap_tls = "starttls";
	c.imap_port = atoi(env("LAB_IMAP_PORT"));
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h == NULL && strstr(err, "certificate"), "imap STARTTLS, wrong CA refused (%s)", err);
	if (h)
		inbound_imap_ops.close(h);
	c.imap_ca_file = "";
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h == NULL, "imap self-signed server refused against the system store (%s)", err);
	if (h)
		inbound_imap_ops.close(h);
	usleep(300000);
	check(count_logins("alice@example.org") == before, "no LOGIN reached Dovecot with a wrong CA");

	/* A group-readable password file is refused. */
	chmod(password_file, 0640);
	conf_base(&c);
	h = inbound_imap_ops.open(&c, NULL, err, sizeof(err));
	check(h == NULL && strstr(err, "readable"), "group-readable password file refused (%s)", err);
	if (h)
		inbound_imap_ops.close(h);

	unlink(password_file);
	free(password_file);
	fake_reset();
	printf("%d passed, %d failed\n", npass, nfail);
	return nfail ? 1 : 0;
}
