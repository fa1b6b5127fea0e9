/* conf.h: the configuration file (INI, read with libinih), every key declared once in a
 * table with its default and limits (conf.c). conf_load() fills a struct conf whose strings
 * it owns; conf_free() frees them. Relative paths are made relative to the file's folder. */
#ifndef ILN_CONF_H
#define ILN_CONF_H

#include <stdbool.h>
#include <stddef.h>

/* Ranges the program checks beyond the file too (a round's Length: line). */
#define CONF_ROUND_MONTHS_MIN 1
#define CONF_ROUND_MONTHS_MAX 24

#define CONF_MAX_KEYS 64

struct conf {
	char *path;                     /* the file read */
	char *dir;                      /* its folder */
	int key_line[CONF_MAX_KEYS];    /* line of each conf_keys[] entry in the file, 0: default */

	/* [network] */
	char *network_name;
	char *address;                  /* the bot's contact address */
	char *coordinators;             /* comma-separated addresses */
	char *trusted_authserv_id;
	char *default_language;

	/* [store] */
	char *store_path;

	/* [inbound] */
	char *in_transport;             /* "maildir" | "imap" */
	char *in_maildir;
	char *imap_host;
	int imap_port;
	char *imap_tls;                 /* implicit | starttls | none */
	char *imap_user;
	char *imap_auth;                /* password | oauth2 */
	char *imap_password_file;
	char *imap_ca_file;             /* "" = system store */
	char *imap_mailbox;
	char *imap_done_mailbox;
	char *imap_rejects_mailbox;
	int poll_seconds;
	int imap_timeout_seconds;
	int imap_batch;

	/* [outbound] */
	char *out_transport;            /* "maildir" | "smtp" */
	char *out_maildir;
	char *smtp_host;
	int smtp_port;
	char *smtp_tls;
	char *smtp_user;
	char *smtp_auth;                /* password | oauth2 */
	char *smtp_password_file;
	char *smtp_ca_file;
	char *bounce_address;
	int smtp_timeout_seconds;
	int smtp_retry_max_hours;
	int sent_keep_days;     /* a sent mail's body is purged this many days after it left */

	/* [oauth2]: one grant for the mailbox, used by whichever of imap_auth and
	 * smtp_auth is oauth2 */
	char *oauth2_token_url;
	char *oauth2_client_id;
	char *oauth2_client_secret_file;        /* "": a public client, no secret */
	char *oauth2_refresh_token_file;
	char *oauth2_scope;                     /* "": none sent */

	/* [program] */
	char *templates;
	char *languages;                /* language sets mail is written in: "es fr", "" none */
	char *names_locale_dir;         /* iso-codes' catalogs; "" = English names only */
	int token_days;
	int replies_per_sender_per_day;
	int round_months;
	int digest_days;
	int checkin_days;
	int reminder_days_before_end;
	int nudge_days;
	char *log_level;                /* debug | info | warning | error */

	/* [matching] */
	int prune_k;
	int weight_explicit;
	int weight_default;
	int weight_interest;
	int max_interests;
};

/* conf_load: 0, or -1 with every problem logged as "file:line: ..." and the first in err. */
int conf_load(const char *path, struct conf *c, char *err, size_t errsz);
void conf_free(struct conf *c);
/* conf_is_coordinator: addr (already an addr-spec) is one of the coordinators. */
bool conf_is_coordinator(const struct conf *c, const char *addr);

/* conf_where: "FILE:LINE: [section] name" where the file sets the key, else
 * "FILE: [section] name (the default)"; into buf, which it returns. */
const char *conf_where(const struct conf *c, const char *section, const char *name,
		       char *buf, size_t bufsz);

/* The table, for `ilnbot config`: the i-th key's section, name, its value as it would be
 * written in the file (into buf) and its default; NULL past the last key. */
const char *conf_key_at(const struct conf *c, size_t i, const char **section, char *buf,
			size_t bufsz, const char **def);

/* conf_validate (conf_check.c): what would fail at start although the file parses:
 * password files missing, unreadable or open to group/others, TLS none to a host that
 * is not loopback, a user without a password file or the reverse, a store folder that
 * cannot be written; with imap_auth or smtp_auth = oauth2, the [oauth2] keys (token URL
 * https or loopback http, a client id, the secret and refresh token files as password
 * files). Each problem is logged as an error naming the file and line or the
 * key; no coordinators or no trusted_authserv_id are logged as warnings. Returns the
 * number of errors. */
int conf_validate(const struct conf *c, int *warnings);

#endif
