/* oauth2.h: OAuth2 access tokens for hosted mailboxes (imap_auth = oauth2, smtp_auth =
 * oauth2): the token is refreshed from the refresh token at the provider's token endpoint
 * (RFC 6749 section 6) and handed to SASL XOAUTH2 or OAUTHBEARER (RFC 7628).
 * The pure parts (the endpoint's answer, when to refresh, the SASL strings, the URL rule)
 * are apart from the I/O (oauth2_token: the POST, the refresh token file).
 * Every string returned is the caller's: tokens and SASL strings go back with
 * secret_free(), which wipes them. Nothing here logs a token or a secret, at any level. */
#ifndef ILN_OAUTH2_H
#define ILN_OAUTH2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf;

#define OAUTH2_ANSWER_MAX       (64 * 1024)     /* bytes read of the endpoint's answer */
#define OAUTH2_TOKEN_MAX        16384           /* an access token (JWTs run to a few KB) */
#define OAUTH2_REFRESH_MAX      8192            /* a refresh token, in its file too */
#define OAUTH2_MARGIN           300             /* seconds before expiry a token is renewed */
#define OAUTH2_DEFAULT_EXPIRES  3600            /* an answer without expires_in */
#define OAUTH2_EXPIRES_MAX      (400L * 86400)

enum oauth2_result {
	OAUTH2_OK = 0,
	OAUTH2_TRANSIENT = 1,   /* network, 5xx, a garbled answer: logged, retried later */
	OAUTH2_REFUSED = 2,     /* the endpoint refused the grant or the client: a
				 * configuration error (exit 78), retrying cannot help */
};

struct oauth2_answer {
	char *access_token;
	char *refresh_token;    /* NULL: the endpoint kept the old one */
	long expires_in;        /* seconds */
	char error[64];         /* OAUTH2_REFUSED or an error answer: the RFC 6749 code */
};

/* oauth2_answer_parse: the token endpoint's answer (HTTP status and body, at most
 * OAUTH2_ANSWER_MAX bytes, not NUL-terminated). 200 with a JSON object holding an
 * access_token (visible ASCII, at most OAUTH2_TOKEN_MAX), token_type Bearer if given,
 * expires_in (a number or a string of digits; OAUTH2_DEFAULT_EXPIRES when absent) and
 * maybe a new refresh_token: OAUTH2_OK. 400 or 401 with an RFC 6749 section 5.2 error
 * code (invalid_grant, invalid_client, unauthorized_client, invalid_request,
 * unsupported_grant_type, invalid_scope): OAUTH2_REFUSED with a->error set. Anything
 * else: OAUTH2_TRANSIENT. err says why (the endpoint's error_description, cleaned and
 * cut, never a token). a is cleared first; free it with oauth2_answer_clear(). */
enum oauth2_result oauth2_answer_parse(long status, const char *body, size_t len,
				       struct oauth2_answer *a, char *err, size_t errsz);
void oauth2_answer_clear(struct oauth2_answer *a);

/* oauth2_needs_refresh: whether a token obtained at `obtained` and valid expires_in
 * seconds must be renewed at `now`: OAUTH2_MARGIN before it expires (half its lifetime
 * for short ones), and whenever the clock went back past `obtained`. */
bool oauth2_needs_refresh(int64_t obtained, long expires_in, int64_t now);

/* The SASL client responses, before base64, each ending in its two ^A. */
/* oauth2_sasl_xoauth2: "user=USER^Aauth=Bearer TOKEN^A^A" (Google's and Microsoft's). */
char *oauth2_sasl_xoauth2(const char *user, const char *token, size_t *len);
/* oauth2_sasl_oauthbearer: RFC 7628 "n,a=USER,^Ahost=HOST^Aport=PORT^Aauth=Bearer
 * TOKEN^A^A", with ',' and '=' in USER written =2C and =3D. */
char *oauth2_sasl_oauthbearer(const char *user, const char *host, int port,
			      const char *token, size_t *len);
/* oauth2_base64: standard base64 of n bytes, NUL-terminated. */
char *oauth2_base64(const char *s, size_t n);

/* oauth2_url_check: a token endpoint is https://, or http:// to a loopback address only
 * (tests). 0, or -1 with err set. */
int oauth2_url_check(const char *url, char *err, size_t errsz);

/* oauth2_token: a valid access token for the configuration's [oauth2] keys, into *token:
 * the cached one while it is fresh, else a new one from the token endpoint (POST
 * grant_type=refresh_token, client_id, client_secret from its file when one is set,
 * refresh_token from its file, scope when set), timeout in seconds. A new refresh token
 * in the answer is written back to its file atomically (mode 600); if that fails it is
 * kept in memory and a warning says so. OAUTH2_REFUSED also logs an error naming the
 * key and file to fix and makes oauth2_refused() true for good. Thread-safe: the IMAP
 * and SMTP threads share one cache. */
enum oauth2_result oauth2_token(const struct conf *c, long timeout, char **token, char *err,
				size_t errsz);
/* oauth2_forget: the server refused this token (AUTHENTICATE NO, 535): the next
 * oauth2_token() asks the endpoint for a new one. */
void oauth2_forget(const char *token);
/* oauth2_refused: a refresh was refused since the program started. */
bool oauth2_refused(void);
/* oauth2_cleanup: wipe and free the cache (at exit). */
void oauth2_cleanup(void);

#endif
