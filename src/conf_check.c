/* conf_check.c: conf_validate() (see conf.h), the checks of a parsed configuration that
 * need the system: the password files (read as the transports would, then wiped), the
 * loopback rule for plaintext, the store's folder. `check-config` runs it, and so do
 * `run` and `once` before they start, so that a setup that cannot work exits with
 * EX_CONFIG instead of being retried. Nothing it allocates outlives the call. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "net.h"
#include "oauth2.h"
#include "secret.h"
#include "util.h"

/* check_secret: the password file of a transport, read the way it will be. 0 or 1 error. */
static int
check_secret(const struct conf *c, const char *section, const char *key, const char *path)
{
	char where[700], err[700];
	char *secret = NULL;

	if (secret_file_read(path, &secret, err, sizeof(err)) == 0) {
		secret_free(secret);
		return 0;
	}
	log_errorx("%s: %s", conf_where(c, section, key, where, sizeof(where)), err);
	return 1;
}

/* check_login: user and password file go together; each set one is usable. With
 * auth = oauth2 the user is needed and a password file is not used. */
static int
check_login(const struct conf *c, const char *section, const char *user_key, const char *user,
	    const char *file_key, const char *file, const char *auth_key, bool oauth2,
	    int *warn)
{
	char where[700];

	if (oauth2) {
		if (user[0] == '\0') {
			log_errorx("%s = oauth2 needs %s: the mailbox the token is for",
				   conf_where(c, section, auth_key, where, sizeof(where)), user_key);
			return 1;
		}
		if (file[0] != '\0') {
			log_warnx("%s is set but %s = oauth2: the password is not used",
				  conf_where(c, section, file_key, where, sizeof(where)), auth_key);
			(*warn)++;
		}
		return 0;
	}

	if (user[0] != '\0' && file[0] == '\0') {
		log_errorx("%s = %s is set but %s is not: the login needs a password file",
			   conf_where(c, section, user_key, where, sizeof(where)), user, file_key);
		return 1;
	}
	if (user[0] == '\0' && file[0] != '\0') {
		log_errorx("%s = %s is set but %s is not: whose password is it?",
			   conf_where(c, section, file_key, where, sizeof(where)), file, user_key);
		return 1;
	}
	return user[0] != '\0' ? check_secret(c, section, file_key, file) : 0;
}

/* check_plaintext: tls = none only to a host whose every address is loopback. */
static int
check_plaintext(const struct conf *c, const char *section, const char *tls_key, const char *tls,
		const char *host)
{
	char where[700];

	if (strcmp(tls, "none") != 0 || net_host_loopback(host))
		return 0;
	log_errorx("%s = none: %s is not a loopback address, and no password or mail may cross "
		   "a network unencrypted (use implicit or starttls)",
		   conf_where(c, section, tls_key, where, sizeof(where)), host);
	return 1;
}

/* check_oauth2: the [oauth2] keys, when a transport uses them. */
static int
check_oauth2(const struct conf *c, int *warn)
{
	char where[700], err[700];
	char *secret = NULL, *dir, *slash;
	int bad = 0;

	conf_where(c, "oauth2", "oauth2_token_url", where, sizeof(where));
	if (c->oauth2_token_url[0] == '\0') {
		log_errorx("%s is empty: oauth2 needs the provider's token endpoint", where);
		bad++;
	} else if (oauth2_url_check(c->oauth2_token_url, err, sizeof(err)) < 0) {
		log_errorx("%s = %s: %s", where, c->oauth2_token_url, err);
		bad++;
	}
	conf_where(c, "oauth2", "oauth2_client_id", where, sizeof(where));
	if (c->oauth2_client_id[0] == '\0') {
		log_errorx("%s is empty: oauth2 needs the application's client id", where);
		bad++;
	}
	if (c->oauth2_client_secret_file[0] != '\0')
		bad += check_secret(c, "oauth2", "oauth2_client_secret_file",
				    c->oauth2_client_secret_file);
	conf_where(c, "oauth2", "oauth2_refresh_token_file", where, sizeof(where));
	if (c->oauth2_refresh_token_file[0] == '\0') {
		log_errorx("%s is empty: oauth2 needs the refresh token of the mailbox's grant",
			   where);
		return bad + 1;
	}
	if (secret_file_read_cap(c->oauth2_refresh_token_file, OAUTH2_REFRESH_MAX, &secret, err,
				 sizeof(err)) < 0) {
		log_errorx("%s: %s", where, err);
		return bad + 1;
	}
	secret_free(secret);
	/* A provider that rotates refresh tokens needs the new one written beside it. */
	dir = xstrdup(c->oauth2_refresh_token_file);
	if ((slash = strrchr(dir, '/')) == NULL)
		strcpy(dir, ".");
	else
		slash[slash == dir] = '\0';
	if (access(dir, W_OK | X_OK) != 0) {
		log_warnx("%s: the folder %s is not writable: a rotated refresh token can only be "
			  "kept in memory", where, dir);
		(*warn)++;
	}
	free(dir);
	return bad;
}

/* check_store: the store file, or the folder it will be made in, is writable. */
static int
check_store(const struct conf *c)
{
	char where[700];
	char *dir = xstrdup(c->store_path), *slash = strrchr(dir, '/');
	struct stat sb;
	int bad = 0;

	if (slash == dir)
		dir[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	conf_where(c, "store", "path", where, sizeof(where));
	if (stat(c->store_path, &sb) == 0) {
		if (!S_ISREG(sb.st_mode)) {
			log_errorx("%s = %s: not a regular file", where, c->store_path);
			bad++;
		} else if (access(c->store_path, R_OK | W_OK) != 0) {
			log_errorx("%s = %s: %s", where, c->store_path, strerror(errno));
			bad++;
		}
	}
	if (bad == 0 && stat(dir, &sb) == 0) {
		/* SQLite writes its -wal and -shm files beside the store. */
		if (!S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK) != 0) {
			log_errorx("%s = %s: the folder %s is not writable: %s", where, c->store_path,
				   dir, S_ISDIR(sb.st_mode) ? strerror(errno) : "not a folder");
			bad++;
		}
	} else if (bad == 0) {
		/* main.c makes the last folder; the one above it must be there and writable. */
		char *up = xstrdup(dir), *s = strrchr(up, '/');

		if (s == up)
			up[1] = '\0';
		else if (s)
			*s = '\0';
		else
			strcpy(up, ".");
		if (access(up, W_OK | X_OK) != 0) {
			log_errorx("%s = %s: the folder %s does not exist and cannot be made in %s: %s",
				   where, c->store_path, dir, up, strerror(errno));
			bad++;
		}
		free(up);
	}
	free(dir);
	return bad;
}

int
conf_validate(const struct conf *c, int *warnings)
{
	char where[700];
	int bad = 0, warn = 0;

	bool imap = strcmp(c->in_transport, "imap") == 0;
	bool smtp = strcmp(c->out_transport, "smtp") == 0;
	bool imap_oauth2 = imap && strcmp(c->imap_auth, "oauth2") == 0;
	bool smtp_oauth2 = smtp && strcmp(c->smtp_auth, "oauth2") == 0;

	if (imap) {
		bad += check_login(c, "inbound", "imap_user", c->imap_user, "imap_password_file",
				   c->imap_password_file, "imap_auth", imap_oauth2, &warn);
		bad += check_plaintext(c, "inbound", "imap_tls", c->imap_tls, c->imap_host);
	}
	if (smtp) {
		bad += check_login(c, "outbound", "smtp_user", c->smtp_user, "smtp_password_file",
				   c->smtp_password_file, "smtp_auth", smtp_oauth2, &warn);
		bad += check_plaintext(c, "outbound", "smtp_tls", c->smtp_tls, c->smtp_host);
	}
	if (imap_oauth2 || smtp_oauth2)
		bad += check_oauth2(c, &warn);
	if (imap_oauth2 && smtp_oauth2 && strcasecmp(c->imap_user, c->smtp_user) != 0) {
		log_warnx("%s and smtp_user differ, and both use the one [oauth2] grant: a token "
			  "is for one mailbox", conf_where(c, "inbound", "imap_user", where,
							   sizeof(where)));
		warn++;
	}
	bad += check_store(c);
	if (c->coordinators[0] == '\0') {
		log_warnx("%s is empty: nobody previews the matching or hears of quarantined mail",
			  conf_where(c, "network", "coordinators", where, sizeof(where)));
		warn++;
	}
	if (c->trusted_authserv_id[0] == '\0') {
		log_warnx("%s is empty: no Authentication-Results header is trusted, so no "
			  "sender counts as authenticated",
			  conf_where(c, "network", "trusted_authserv_id", where, sizeof(where)));
		warn++;
	}
	if (warnings)
		*warnings = warn;
	return bad;
}
