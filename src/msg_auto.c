/* msg_auto.c: msg_is_automated(), the RFC 3834 loop-safety decision on a parsed
 * message. Pure: no I/O, nothing allocated; the reason is a static string. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "msg.h"
#include "util.h"

#define AUTO_MAX_RECEIVED 50   /* Postfix's hopcount_limit */

/* The first token of a header value, lower-cased, into out. */
static void
first_token(const char *v, char *out, size_t outsz)
{
	size_t o = 0;

	while (*v == ' ' || *v == '\t')
		v++;
	while (*v && *v != ' ' && *v != '\t' && *v != ';' && *v != '(' && o + 1 < outsz) {
		out[o++] = (*v >= 'A' && *v <= 'Z') ? (char)(*v - 'A' + 'a') : *v;
		v++;
	}
	out[o] = '\0';
}

static bool
has_suffix(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncmp(s + n - k, suffix, k) == 0;
}

/* Local parts used by robots: MAILER-DAEMON, list software, no-reply senders. */
static bool
robot_sender(const char *addr)
{
	static const char *const exact[] = {
		"mailer-daemon", "mailerdaemon", "postmaster", "listserv", "majordomo",
		"mailman", "bounce", "bounces", "autoreply", "auto-reply",
	};
	static const char *const prefix[] = {
		"noreply", "no-reply", "no_reply", "donotreply", "do-not-reply",
		"do_not_reply", "owner-", "bounce-", "bounces-", "bounces+",
	};
	const char *at = strrchr(addr, '@');
	char local[128];
	size_t n, i;

	n = at ? (size_t)(at - addr) : strlen(addr);
	if (n == 0 || n >= sizeof(local))
		return false;
	for (i = 0; i < n; i++)
		local[i] = (addr[i] >= 'A' && addr[i] <= 'Z') ? (char)(addr[i] - 'A' + 'a') : addr[i];
	local[n] = '\0';
	for (i = 0; i < nitems(exact); i++)
		if (strcmp(local, exact[i]) == 0)
			return true;
	for (i = 0; i < nitems(prefix); i++)
		if (strncmp(local, prefix[i], strlen(prefix[i])) == 0)
			return true;
	if (has_suffix(local, n, "-request") || has_suffix(local, n, "-bounces"))
		return true;
	return strstr(local, "-bounces+") != NULL;
}

/* Whether one of the comma-separated X-Loop values names addr. */
static bool
loop_names(const char *xloop, const char *addr)
{
	size_t alen = strlen(addr);
	const char *p = xloop;

	while (*p) {
		const char *e = strchr(p, ','), *s, *t, *lt, *gt;

		if (e == NULL)
			e = p + strlen(p);
		s = p;
		t = e;
		lt = memchr(s, '<', (size_t)(t - s));
		if (lt != NULL && (gt = memchr(lt, '>', (size_t)(t - lt))) != NULL) {
			s = lt + 1;
			t = gt;
		}
		while (s < t && (*s == ' ' || *s == '\t'))
			s++;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if ((size_t)(t - s) == alen && strncasecmp(s, addr, alen) == 0)
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

bool
msg_is_automated(const struct msg *m, const char *own_address, const char **why)
{
	const char *reason = NULL;
	char tok[32];

	if (m == NULL) {
		reason = "no message";
		goto out;
	}
	if (m->auto_submitted != NULL) {
		first_token(m->auto_submitted, tok, sizeof(tok));
		if (strcmp(tok, "no") != 0) {
			reason = "Auto-Submitted";
			goto out;
		}
	}
	if (m->x_autoreply != NULL) {
		first_token(m->x_autoreply, tok, sizeof(tok));
		if (strcmp(tok, "no") != 0) {
			reason = "X-Autoreply";
			goto out;
		}
	}
	if (m->precedence != NULL) {
		first_token(m->precedence, tok, sizeof(tok));
		if (strcmp(tok, "bulk") == 0 || strcmp(tok, "junk") == 0 ||
		    strcmp(tok, "list") == 0 || strcmp(tok, "auto_reply") == 0) {
			reason = "Precedence";
			goto out;
		}
	}
	if (m->return_path != NULL && strcmp(m->return_path, "<>") == 0) {
		reason = "null Return-Path";
		goto out;
	}
	if (m->has_list_headers) {
		reason = "List-* header";
		goto out;
	}
	if (m->is_report) {
		reason = "multipart/report";
		goto out;
	}
	if (m->from != NULL && robot_sender(m->from)) {
		reason = "robot sender";
		goto out;
	}
	if (own_address != NULL && own_address[0] != '\0') {
		if (m->x_loop != NULL && loop_names(m->x_loop, own_address)) {
			reason = "our own X-Loop";
			goto out;
		}
		if (m->from != NULL && strcasecmp(m->from, own_address) == 0) {
			reason = "sent by ourselves";
			goto out;
		}
	}
	if (m->received_count >= AUTO_MAX_RECEIVED)
		reason = "too many Received headers";
out:
	if (why != NULL)
		*why = reason;
	return reason != NULL;
}
