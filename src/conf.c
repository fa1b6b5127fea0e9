/* conf.c: reads the INI configuration with libinih. Every key is declared once in
 * conf_keys[] with its default and range; unknown keys and bad values are errors that
 * name file:line. Strings in struct conf are owned by it (conf_free). */
#include <errno.h>
#include <ini.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "inbound.h"
#include "iso_codes.h"
#include "log.h"
#include "match.h"
#include "util.h"

enum conf_type { CONF_STR, CONF_PATH, CONF_INT, CONF_ENUM, CONF_ADDR };

struct conf_key {
	const char *section;
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *def;        /* default, as it would be written in the file */
	long min, max;          /* CONF_INT range */
	const char *choices;    /* CONF_ENUM: "a|b|c" */
};

#define S(f) offsetof(struct conf, f)

static const struct conf_key conf_keys[] = {
	{ "network", "name", CONF_STR, S(network_name), "Example Librarians Network", 0, 0, NULL },
	{ "network", "address", CONF_ADDR, S(address), "iln@example.org", 0, 0, NULL },
	{ "network", "coordinators", CONF_STR, S(coordinators), "", 0, 0, NULL },
	{ "network", "trusted_authserv_id", CONF_STR, S(trusted_authserv_id), "", 0, 0, NULL },
	{ "network", "default_language", CONF_STR, S(default_language), "English", 0, 0, NULL },

	{ "store", "path", CONF_PATH, S(store_path), "var/ilnbot.db", 0, 0, NULL },

	{ "inbound", "transport", CONF_ENUM, S(in_transport), "maildir", 0, 0, "maildir|imap" },
	{ "inbound", "maildir", CONF_PATH, S(in_maildir), "var/inbox", 0, 0, NULL },
	{ "inbound", "imap_host", CONF_STR, S(imap_host), "127.0.0.1", 0, 0, NULL },
	{ "inbound", "imap_port", CONF_INT, S(imap_port), "993", 1, 65535, NULL },
	{ "inbound", "imap_tls", CONF_ENUM, S(imap_tls), "implicit", 0, 0, "implicit|starttls|none" },
	{ "inbound", "imap_user", CONF_STR, S(imap_user), "", 0, 0, NULL },
	{ "inbound", "imap_auth", CONF_ENUM, S(imap_auth), "password", 0, 0, "password|oauth2" },
	{ "inbound", "imap_password_file", CONF_PATH, S(imap_password_file), "", 0, 0, NULL },
	{ "inbound", "imap_ca_file", CONF_PATH, S(imap_ca_file), "", 0, 0, NULL },
	{ "inbound", "imap_mailbox", CONF_STR, S(imap_mailbox), "INBOX", 0, 0, NULL },
	{ "inbound", "imap_done_mailbox", CONF_STR, S(imap_done_mailbox), "Processed", 0, 0, NULL },
	{ "inbound", "imap_rejects_mailbox", CONF_STR, S(imap_rejects_mailbox), "Rejected", 0, 0, NULL },
	{ "inbound", "poll_seconds", CONF_INT, S(poll_seconds), "60", 1, 86400, NULL },
	{ "inbound", "imap_timeout_seconds", CONF_INT, S(imap_timeout_seconds), "60", 1, 3600, NULL },
	{ "inbound", "imap_batch", CONF_INT, S(imap_batch), "50", 1, IMAP_MAX_BATCH, NULL },

	{ "outbound", "transport", CONF_ENUM, S(out_transport), "maildir", 0, 0, "maildir|smtp" },
	{ "outbound", "maildir", CONF_PATH, S(out_maildir), "var/outbox", 0, 0, NULL },
	{ "outbound", "smtp_host", CONF_STR, S(smtp_host), "127.0.0.1", 0, 0, NULL },
	{ "outbound", "smtp_port", CONF_INT, S(smtp_port), "465", 1, 65535, NULL },
	{ "outbound", "smtp_tls", CONF_ENUM, S(smtp_tls), "implicit", 0, 0, "implicit|starttls|none" },
	{ "outbound", "smtp_user", CONF_STR, S(smtp_user), "", 0, 0, NULL },
	{ "outbound", "smtp_auth", CONF_ENUM, S(smtp_auth), "password", 0, 0, "password|oauth2" },
	{ "outbound", "smtp_password_file", CONF_PATH, S(smtp_password_file), "", 0, 0, NULL },
	{ "outbound", "smtp_ca_file", CONF_PATH, S(smtp_ca_file), "", 0, 0, NULL },
	{ "outbound", "bounce_address", CONF_STR, S(bounce_address), "", 0, 0, NULL },
	{ "outbound", "smtp_timeout_seconds", CONF_INT, S(smtp_timeout_seconds), "60", 1, 3600, NULL },
	{ "outbound", "smtp_retry_max_hours", CONF_INT, S(smtp_retry_max_hours), "120", 1, 8760, NULL },
	{ "outbound", "sent_keep_days", CONF_INT, S(sent_keep_days), "0", 0, 3650, NULL },

	{ "oauth2", "oauth2_token_url", CONF_STR, S(oauth2_token_url), "", 0, 0, NULL },
	{ "oauth2", "oauth2_client_id", CONF_STR, S(oauth2_client_id), "", 0, 0, NULL },
	{ "oauth2", "oauth2_client_secret_file", CONF_PATH, S(oauth2_client_secret_file), "", 0,
	  0, NULL },
	{ "oauth2", "oauth2_refresh_token_file", CONF_PATH, S(oauth2_refresh_token_file), "", 0,
	  0, NULL },
	{ "oauth2", "oauth2_scope", CONF_STR, S(oauth2_scope), "", 0, 0, NULL },

	{ "program", "templates", CONF_PATH, S(templates), "../templates", 0, 0, NULL },
	{ "program", "languages", CONF_STR, S(languages), "", 0, 0, NULL },
	{ "program", "names_locale_dir", CONF_PATH, S(names_locale_dir), ISO_CODES_LOCALE_DIR, 0, 0,
	  NULL },
	{ "program", "token_days", CONF_INT, S(token_days), "7", 1, 365, NULL },
	{ "program", "replies_per_sender_per_day", CONF_INT, S(replies_per_sender_per_day), "10", 1, 100000, NULL },
	{ "program", "round_months", CONF_INT, S(round_months), "4", CONF_ROUND_MONTHS_MIN,
	  CONF_ROUND_MONTHS_MAX, NULL },
	{ "program", "digest_days", CONF_INT, S(digest_days), "14", 1, 365, NULL },
	{ "program", "checkin_days", CONF_INT, S(checkin_days), "30", 1, 365, NULL },
	{ "program", "reminder_days_before_end", CONF_INT, S(reminder_days_before_end), "30", 1,
	  365, NULL },
	{ "program", "nudge_days", CONF_INT, S(nudge_days), "7", 1, 60, NULL },
	{ "program", "log_level", CONF_ENUM, S(log_level), "info", 0, 0, "debug|info|warning|error" },

	{ "matching", "prune_k", CONF_INT, S(prune_k), STR(MATCH_PRUNE_K), 0, 100000, NULL },
	{ "matching", "weight_explicit", CONF_INT, S(weight_explicit), STR(MATCH_WEIGHT_EXPLICIT),
	  0, MATCH_WEIGHT_MAX, NULL },
	{ "matching", "weight_default", CONF_INT, S(weight_default), STR(MATCH_WEIGHT_DEFAULT),
	  0, MATCH_WEIGHT_MAX, NULL },
	{ "matching", "weight_interest", CONF_INT, S(weight_interest), STR(MATCH_WEIGHT_INTEREST),
	  0, MATCH_WEIGHT_MAX, NULL },
	{ "matching", "max_interests", CONF_INT, S(max_interests), STR(MATCH_INTERESTS_COUNTED),
	  0, MATCH_MAX_INTERESTS, NULL },
};

#define NKEYS nitems(conf_keys)
_Static_assert(NKEYS <= CONF_MAX_KEYS, "raise CONF_MAX_KEYS");

struct conf_reader {
	FILE *f;
	int line;
	int errors;
	struct conf *c;
	char first_err[1024];
};

static void conf_error(struct conf_reader *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
conf_error(struct conf_reader *r, const char *fmt, ...)
{
	char msg[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_errorx("%.500s:%d: %s", r->c->path, r->line, msg);
	if (r->errors++ == 0)
		snprintf(r->first_err, sizeof(r->first_err), "%.500s:%d: %s", r->c->path, r->line, msg);
}

static char *
conf_read_line(char *str, int num, void *stream)
{
	struct conf_reader *r = stream;
	char *s = fgets(str, num, r->f);

	if (s != NULL)
		r->line++;
	return s;
}

static int
conf_set(struct conf *c, const struct conf_key *k, const char *value, const char **why)
{
	char *p = (char *)c + k->offset;

	switch (k->type) {
	case CONF_INT: {
		char *end;
		long v;

		errno = 0;
		v = strtol(value, &end, 10);
		if (errno || end == value || *end || v < k->min || v > k->max) {
			*why = "must be a whole number in range";
			return -1;
		}
		*(int *)p = (int)v;
		return 0;
	}
	case CONF_ENUM: {
		const char *s = k->choices;
		size_t n = strlen(value);

		while (s) {
			const char *bar = strchr(s, '|');
			size_t len = bar ? (size_t)(bar - s) : strlen(s);

			if (len == n && strncasecmp(s, value, n) == 0)
				break;
			s = bar ? bar + 1 : NULL;
		}
		if (s == NULL) {
			*why = "is not one of the accepted values";
			return -1;
		}
		break;
	}
	case CONF_ADDR:
		if (strchr(value, '@') == NULL || strpbrk(value, " \t<>,;\"") != NULL) {
			*why = "must be one plain address, like iln@example.org";
			return -1;
		}
		break;
	default:
		break;
	}
	free(*(char **)p);
	if (k->type == CONF_PATH && value[0] != '\0' && value[0] != '/')
		*(char **)p = xasprintf("%s/%s", c->dir, value);
	else
		*(char **)p = xstrdup(value);
	if (k->type == CONF_ENUM || k->type == CONF_ADDR)
		str_lower(*(char **)p);
	return 0;
}

static int
conf_handler(void *user, const char *section, const char *name, const char *value)
{
	struct conf_reader *r = user;
	const char *why = NULL;

	for (size_t i = 0; i < NKEYS; i++) {
		const struct conf_key *k = &conf_keys[i];

		if (strcasecmp(k->section, section) != 0 || strcasecmp(k->name, name) != 0)
			continue;
		r->c->key_line[i] = r->line;
		if (conf_set(r->c, k, value, &why) < 0) {
			if (k->type == CONF_ENUM) {
				char msg[256];

				snprintf(msg, sizeof(msg), "%s (accepted: %s)", why, k->choices);
				conf_error(r, "bad value for %s: %s", name, msg);
			} else if (k->type == CONF_INT) {
				char msg[256];

				snprintf(msg, sizeof(msg), "%s %ld..%ld", why, k->min, k->max);
				conf_error(r, "bad value for %s: %s", name, msg);
			} else {
				conf_error(r, "bad value for %s: %s", name, why);
			}
		}
		return 1;
	}
	if (section[0] == '\0')
		conf_error(r, "key %s outside any [section]", name);
	else
		conf_error(r, "unknown key %s in [%s]", name, section);
	return 1;
}

static void
conf_defaults(struct conf *c)
{
	for (size_t i = 0; i < NKEYS; i++) {
		const char *why;

		if (conf_set(c, &conf_keys[i], conf_keys[i].def, &why) < 0)
			fatalx("bad built-in default for %s", conf_keys[i].name);
	}
}

static int
conf_check(struct conf *c, struct conf_reader *r)
{
	int bad = 0;

	r->line = 0;
	if (strcmp(c->in_transport, "imap") == 0 && c->imap_user[0] == '\0') {
		conf_error(r, "[inbound] transport = imap needs imap_user");
		bad++;
	}
	/* The shortest round of round_months months has 28 days for each of them. */
	if (c->reminder_days_before_end >= c->round_months * 28) {
		conf_error(r, "reminder_days_before_end = %d: the reminder must come before the "
			   "end of a round of round_months = %d", c->reminder_days_before_end,
			   c->round_months);
		bad++;
	}
	if (c->coordinators[0] != '\0') {
		char *list = xstrdup(c->coordinators), *save = NULL;

		for (char *t = strtok_r(list, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
			char *a = str_trim(t);

			if (strchr(a, '@') == NULL || strpbrk(a, " \t<>;\"") != NULL) {
				conf_error(r, "coordinators: %s is not a plain address", a);
				bad++;
			}
		}
		free(list);
	}
	return bad;
}

int
conf_load(const char *path, struct conf *c, char *err, size_t errsz)
{
	struct conf_reader r;
	const char *slash;
	int rc;

	memset(c, 0, sizeof(*c));
	memset(&r, 0, sizeof(r));
	c->path = xstrdup(path);
	slash = strrchr(path, '/');
	c->dir = slash ? xstrndup(path, (size_t)(slash - path + (slash == path))) : xstrdup(".");
	conf_defaults(c);
	r.c = c;
	if ((r.f = fopen(path, "r")) == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(conf_read_line, &r, conf_handler, &r);
	fclose(r.f);
	if (rc > 0) {
		r.line = rc;
		conf_error(&r, "not a key = value line or [section]");
	}
	if (r.errors == 0)
		conf_check(c, &r);
	if (r.errors > 0) {
		snprintf(err, errsz, "%s", r.first_err);
		return -1;
	}
	str_lower(c->coordinators);
	return 0;
}

void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (conf_keys[i].type != CONF_INT) {
			char **p = (char **)((char *)c + conf_keys[i].offset);

			free(*p);
			*p = NULL;
		}
	}
	free(c->path);
	free(c->dir);
	c->path = c->dir = NULL;
}

bool
conf_is_coordinator(const struct conf *c, const char *addr)
{
	const char *s = c->coordinators;
	size_t n = strlen(addr);

	while (*s) {
		const char *comma = strchr(s, ',');
		const char *e = comma ? comma : s + strlen(s);

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if ((size_t)(e - s) == n && strncasecmp(s, addr, n) == 0)
			return true;
		s = comma ? comma + 1 : s + strlen(s);
	}
	return false;
}

const char *
conf_where(const struct conf *c, const char *section, const char *name, char *buf,
	   size_t bufsz)
{
	for (size_t i = 0; i < NKEYS; i++) {
		if (strcmp(conf_keys[i].section, section) != 0 || strcmp(conf_keys[i].name, name) != 0)
			continue;
		if (c->key_line[i] > 0)
			snprintf(buf, bufsz, "%.500s:%d: [%s] %s", c->path, c->key_line[i], section,
				 name);
		else
			snprintf(buf, bufsz, "%.500s: [%s] %s (the default)", c->path, section, name);
		return buf;
	}
	snprintf(buf, bufsz, "%.500s: [%s] %s", c->path, section, name);
	return buf;
}

const char *
conf_key_at(const struct conf *c, size_t i, const char **section, char *buf, size_t bufsz,
	    const char **def)
{
	const struct conf_key *k;
	const char *p;

	if (i >= NKEYS)
		return NULL;
	k = &conf_keys[i];
	p = (const char *)c + k->offset;
	*section = k->section;
	*def = k->def;
	if (k->type == CONF_INT)
		snprintf(buf, bufsz, "%d", *(const int *)p);
	else
		snprintf(buf, bufsz, "%s", *(char *const *)p ? *(char *const *)p : "");
	return k->name;
}
