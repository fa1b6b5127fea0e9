/* msg_bounce.c: msg_bounce_parse(), recognising bounces and abuse complaints in raw
 * bytes (see msg_bounce.h). One linear pass over at most BOUNCE_SCAN_MAX bytes, line by
 * line, with no MIME tree and so no depth to cap: the top-level header block first, then
 * every body line is looked at for the report fields of RFC 3464 and RFC 5965 and the
 * sentences of the common non-standard notices. Every value is copied into the caller's
 * fixed buffers, cut at their size; nothing is allocated. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msg_bounce.h"
#include "util.h"

struct scan {
	const char *p, *end;
};

/* What the pass has seen, beyond what goes straight into struct bounce. */
struct seen {
	bool report_dsn, report_arf;       /* top-level multipart/report of that type */
	bool dsn_part, arf_part;           /* a message/delivery-status (feedback-report) part */
	bool dsn_fields;                   /* an Action or Status field of a recipient */
	bool final_seen;                   /* a Final-Recipient field */
	bool qmail, exchange, postfix, text_notice;
	bool robot_from, bounce_subject, null_return_path, auto_submitted;
	bool perm_hint, temp_hint;
	char text_status[16];              /* first enhanced status code in the text */
	char pending_original[BOUNCE_ADDR_MAX];
	char arf_token[BOUNCE_TOKEN_MAX];  /* from Original-Mail-From or a returned Return-Path */
	char arf_rcpt[BOUNCE_ADDR_MAX];
	char ref_mid[BOUNCE_ADDR_MAX];     /* ours in the top-level In-Reply-To/References */
	char failed[BOUNCE_LINE_MAX];      /* X-Failed-Recipients */
	struct bounce_rcpt text[BOUNCE_MAX_RCPTS];  /* "<addr>:" lines and the like */
	size_t ntext;
	bool next_line_addr;               /* the line after "...failed permanently:" */
	bool block_rcpt;                   /* the current field block has a recipient */
};

static bool
scan_line(struct scan *s, const char **line, size_t *n)
{
	const char *nl;

	if (s->p >= s->end)
		return false;
	nl = memchr(s->p, '\n', (size_t)(s->end - s->p));
	*line = s->p;
	*n = nl ? (size_t)(nl - s->p) : (size_t)(s->end - s->p);
	s->p = nl ? nl + 1 : s->end;
	if (*n > 0 && (*line)[*n - 1] == '\r')
		(*n)--;
	return true;
}

/* Copy s[0..n) into out (size outsz), trimmed, NULs and controls as spaces, cut. */
static void
copy_trim(char *out, size_t outsz, const char *s, size_t n)
{
	size_t o = 0;

	while (n > 0 && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	for (size_t i = 0; i < n && o + 1 < outsz; i++)
		out[o++] = ((unsigned char)s[i] < 0x20 || s[i] == 0x7f) ? ' ' : s[i];
	out[o] = '\0';
}

static void
lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* Whether line[0..n) is the field name (with its colon); *val is set past it. */
static bool
is_field(const char *line, size_t n, const char *name, const char **val, size_t *vn)
{
	size_t k = strlen(name);

	if (n <= k || strncasecmp(line, name, k) != 0 || line[k] != ':')
		return false;
	*val = line + k + 1;
	*vn = n - k - 1;
	return true;
}

static bool
contains_ci(const char *s, size_t n, const char *w)
{
	size_t k = strlen(w);

	for (size_t i = 0; i + k <= n; i++)
		if (strncasecmp(s + i, w, k) == 0)
			return true;
	return false;
}

/* The next field of a header block: its name (lower-cased, cut) and its unfolded value
 * (cut at valsz). false at the blank line that ends the block, or at the end. */
static bool
field_next(struct scan *s, char *name, size_t namesz, char *val, size_t valsz)
{
	const char *line, *colon;
	size_t n, o = 0, k;

	for (;;) {
		if (!scan_line(s, &line, &n) || n == 0)
			return false;
		if (line[0] != ' ' && line[0] != '\t')
			break;  /* a stray continuation: skipped */
	}
	colon = memchr(line, ':', n);
	k = colon ? (size_t)(colon - line) : 0;
	copy_trim(name, namesz, line, k);
	lower(name);
	val[0] = '\0';
	if (colon) {
		copy_trim(val, valsz, colon + 1, n - k - 1);
		o = strlen(val);
	}
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t')) {
		char part[BOUNCE_LINE_MAX];
		size_t pl;

		scan_line(s, &line, &n);
		copy_trim(part, sizeof(part), line, n);
		pl = strlen(part);
		if (pl > 0 && o + 1 + pl < valsz) {
			val[o++] = ' ';
			memcpy(val + o, part, pl + 1);
			o += pl;
		}
	}
	return true;
}

bool
bounce_verp_token(const char *addr, size_t n, const char *bounce_address, char *tok, size_t toksz)
{
	const char *at, *bat, *plus;
	size_t local, tl, dl;

	if (bounce_address == NULL || (bat = strrchr(bounce_address, '@')) == NULL)
		return false;
	local = (size_t)(bat - bounce_address);
	if (n < local + 3 || strncasecmp(addr, bounce_address, local) != 0 || addr[local] != '+')
		return false;
	plus = addr + local;
	at = memchr(plus, '@', n - local);
	if (at == NULL)
		return false;
	tl = (size_t)(at - plus - 1);
	dl = n - (size_t)(at - addr) - 1;
	if (tl == 0 || tl >= toksz || dl != strlen(bat + 1) || strncasecmp(at + 1, bat + 1, dl) != 0)
		return false;
	for (size_t i = 0; i < tl; i++)
		if (!isalnum((unsigned char)plus[1 + i]) && plus[1 + i] != '_' && plus[1 + i] != '-')
			return false;
	memcpy(tok, plus + 1, tl);
	tok[tl] = '\0';
	return true;
}

/* Each address of a header value (comma-separated, "<a>" or bare), fn(addr, n). */
static bool
each_addr(const char *v, bool (*fn)(const char *, size_t, void *), void *arg)
{
	const char *p = v;

	while (*p) {
		const char *e = p, *s, *t, *lt, *gt;
		bool q = false;

		while (*e && (q || *e != ',')) {
			if (*e == '"')
				q = !q;
			e++;
		}
		s = p;
		t = e;
		if ((lt = memchr(s, '<', (size_t)(t - s))) != NULL &&
		    (gt = memchr(lt, '>', (size_t)(t - lt))) != NULL) {
			s = lt + 1;
			t = gt;
		}
		while (s < t && (*s == ' ' || *s == '\t'))
			s++;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t > s && fn(s, (size_t)(t - s), arg))
			return true;
		p = *e ? e + 1 : e;
	}
	return false;
}

struct tok_arg {
	const char *bounce_address;
	char *tok;
	size_t toksz;
};

static bool
tok_of(const char *a, size_t n, void *arg)
{
	struct tok_arg *t = arg;

	return bounce_verp_token(a, n, t->bounce_address, t->tok, t->toksz);
}

static bool
find_token(const char *v, const char *bounce_address, char *tok, size_t toksz)
{
	struct tok_arg t = { bounce_address, tok, toksz };

	if (bounce_address == NULL || bounce_address[0] == '\0')
		return false;
	return each_addr(v, tok_of, &t);
}

/* An address out of a report field's value: "rfc822; <a@b>" → "a@b", lower-cased. */
static void
field_addr(char *out, size_t outsz, const char *v, size_t n)
{
	const char *semi = memchr(v, ';', n), *lt, *gt;
	char tmp[BOUNCE_ADDR_MAX];

	if (semi) {
		n -= (size_t)(semi + 1 - v);
		v = semi + 1;
	}
	copy_trim(tmp, sizeof(tmp), v, n);
	v = tmp;
	n = strlen(tmp);
	if ((lt = memchr(v, '<', n)) != NULL && (gt = memchr(lt, '>', n - (size_t)(lt - v))) != NULL) {
		v = lt + 1;
		n = (size_t)(gt - v);
	}
	copy_trim(out, outsz, v, n);
	lower(out);
}

/* The first RFC 3463 code "c.s.d" (c in 2, 4, 5) of s[0..n), into out. */
static bool
status_code(const char *s, size_t n, char *out, size_t outsz)
{
	for (size_t i = 0; i + 5 <= n; i++) {
		size_t j = i, a, b;

		if ((i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.')) ||
		    (s[i] != '2' && s[i] != '4' && s[i] != '5') || s[i + 1] != '.')
			continue;
		j = i + 2;
		for (a = 0; j < n && isdigit((unsigned char)s[j]) && a < 3; a++)
			j++;
		if (a == 0 || j >= n || s[j] != '.')
			continue;
		j++;
		for (b = 0; j < n && isdigit((unsigned char)s[j]) && b < 3; b++)
			j++;
		if (b == 0 || (j < n && (isalnum((unsigned char)s[j]) ||
					 (s[j] == '.' && j + 1 < n && isdigit((unsigned char)s[j + 1])))))
			continue;
		if (j - i >= outsz)
			return false;
		memcpy(out, s + i, j - i);
		out[j - i] = '\0';
		return true;
	}
	return false;
}

static enum bounce_severity
severity_of_status(const char *st)
{
	switch (st[0]) {
	case '5':
		return BOUNCE_PERMANENT;
	case '4':
		return BOUNCE_TEMPORARY;
	case '2':
		return BOUNCE_SUCCESS;
	default:
		return BOUNCE_UNKNOWN;
	}
}

static struct bounce_rcpt *
rcpt_new(struct bounce *b)
{
	struct bounce_rcpt *r;

	if (b->nrcpts >= BOUNCE_MAX_RCPTS)
		return NULL;
	r = &b->rcpts[b->nrcpts++];
	memset(r, 0, sizeof(*r));
	r->severity = BOUNCE_UNKNOWN;
	return r;
}

/* The recipient of the current block of fields (blank lines part them, RFC 3464 2.1),
 * a new one when the block has none yet. */
static struct bounce_rcpt *
rcpt_current(struct bounce *b, struct seen *w)
{
	struct bounce_rcpt *r;

	if (w->block_rcpt && b->nrcpts > 0)
		return &b->rcpts[b->nrcpts - 1];
	if ((r = rcpt_new(b)) != NULL) {
		memcpy(r->original, w->pending_original, sizeof(r->original));
		w->pending_original[0] = '\0';
		w->block_rcpt = true;
	}
	return r;
}

/* Whether a "<id@domain>" names our domain (the part after '@', before '>'). */
static bool
msgid_ours(const char *v, size_t n, const char *domain, char *out, size_t outsz)
{
	const char *lt = memchr(v, '<', n), *gt, *at;
	size_t dl = domain ? strlen(domain) : 0;

	while (lt != NULL && dl > 0) {
		size_t rest = n - (size_t)(lt - v);

		if ((gt = memchr(lt, '>', rest)) == NULL)
			return false;
		at = memchr(lt, '@', (size_t)(gt - lt));
		if (at && (size_t)(gt - at - 1) == dl && strncasecmp(at + 1, domain, dl) == 0 &&
		    (size_t)(gt - lt + 1) < outsz) {
			memcpy(out, lt, (size_t)(gt - lt + 1));
			out[gt - lt + 1] = '\0';
			return true;
		}
		rest = n - (size_t)(gt + 1 - v);
		lt = memchr(gt + 1, '<', rest);
	}
	return false;
}

static bool
robot_local(const char *v)
{
	static const char *const robots[] = {
		"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon", "postmaster",
		"mail delivery", "mail delivery subsystem", "mail delivery system",
	};
	char a[BOUNCE_ADDR_MAX];
	const char *lt = strchr(v, '<'), *at;
	size_t n;

	if (lt) {
		copy_trim(a, sizeof(a), lt + 1, strcspn(lt + 1, ">"));
	} else {
		copy_trim(a, sizeof(a), v, strcspn(v, " ("));
	}
	at = strrchr(a, '@');
	n = at ? (size_t)(at - a) : strlen(a);
	for (size_t i = 0; i < nitems(robots); i++)
		if (strlen(robots[i]) == n && strncasecmp(a, robots[i], n) == 0)
			return true;
	return false;
}

static bool
bounce_subject(const char *v)
{
	static const char *const words[] = {
		"undeliver", "undelivered", "delivery status notification", "failure notice",
		"returned mail", "delivery failure", "delivery has failed", "mail delivery failed",
		"could not be delivered", "delivery notification", "non-delivery", "nondeliverable",
		"delivery problem", "warning: could not send", "delayed mail",
	};

	for (size_t i = 0; i < nitems(words); i++)
		if (contains_ci(v, strlen(v), words[i]))
			return true;
	return false;
}

static void
header_block(struct scan *s, struct bounce *b, struct seen *w, const char *bounce_address,
	     const char *domain)
{
	static const char *const verp_headers[] = { "delivered-to", "x-original-to", "to" };
	char name[64], val[BOUNCE_LINE_MAX];
	int best = 3;   /* index of the header the token came from; lower is better */

	while (field_next(s, name, sizeof(name), val, sizeof(val))) {
		for (int i = 0; i < best; i++) {
			char tok[BOUNCE_TOKEN_MAX];

			if (strcmp(name, verp_headers[i]) == 0 &&
			    find_token(val, bounce_address, tok, sizeof(tok))) {
				memcpy(b->token, tok, sizeof(tok));
				b->token_from = i == 0 ? "Delivered-To" : i == 1 ? "X-Original-To"
									 : "To";
				best = i;
			}
		}
		if (strcmp(name, "content-type") == 0 &&
		    contains_ci(val, strlen(val), "message/delivery-status")) {
			w->dsn_part = true;
		} else if (strcmp(name, "content-type") == 0 &&
			   contains_ci(val, strlen(val), "multipart/report")) {
			if (contains_ci(val, strlen(val), "delivery-status"))
				w->report_dsn = true;
			else if (contains_ci(val, strlen(val), "feedback-report"))
				w->report_arf = true;
		} else if (strcmp(name, "from") == 0) {
			w->robot_from = robot_local(val);
		} else if (strcmp(name, "subject") == 0) {
			w->bounce_subject = bounce_subject(val);
			if (contains_ci(val, strlen(val), "delay") || contains_ci(val, strlen(val), "warning"))
				w->temp_hint = true;
		} else if (strcmp(name, "return-path") == 0 || strcmp(name, "x-envelope-from") == 0) {
			char *p = val;

			while (*p == ' ')
				p++;
			if (strncmp(p, "<>", 2) == 0)
				w->null_return_path = true;
		} else if (strcmp(name, "auto-submitted") == 0) {
			w->auto_submitted = strncasecmp(val, "no", 2) != 0;
		} else if (strcmp(name, "x-failed-recipients") == 0 && w->failed[0] == '\0') {
			copy_trim(w->failed, sizeof(w->failed), val, strlen(val));
		} else if (strcmp(name, "x-ms-exchange-message-is-ndr") == 0) {
			w->exchange = true;
		} else if ((strcmp(name, "in-reply-to") == 0 || strcmp(name, "references") == 0) &&
			   w->ref_mid[0] == '\0') {
			msgid_ours(val, strlen(val), domain, w->ref_mid, sizeof(w->ref_mid));
		}
	}
}

/* A "<a@b>:" or "<a@b>: ..." line (qmail, Postfix's text part): its address. */
static bool
text_rcpt_line(const char *l, size_t n, char *out, size_t outsz)
{
	const char *gt;

	if (n < 5 || l[0] != '<' || (gt = memchr(l, '>', n)) == NULL || gt + 1 >= l + n ||
	    gt[1] != ':' || memchr(l, '@', (size_t)(gt - l)) == NULL || memchr(l, ' ', (size_t)(gt - l)))
		return false;
	copy_trim(out, outsz, l + 1, (size_t)(gt - l - 1));
	lower(out);
	return true;
}

static void
text_rcpt_add(struct seen *w, const char *addr)
{
	for (size_t i = 0; i < w->ntext; i++)
		if (strcmp(w->text[i].addr, addr) == 0)
			return;
	if (w->ntext < BOUNCE_MAX_RCPTS) {
		memset(&w->text[w->ntext], 0, sizeof(w->text[0]));
		snprintf(w->text[w->ntext].addr, sizeof(w->text[0].addr), "%s", addr);
		w->ntext++;
	}
}

static void
body_line(const char *l, size_t n, struct bounce *b, struct seen *w, const char *domain)
{
	const char *v;
	size_t vn;
	struct bounce_rcpt *r;
	char tmp[BOUNCE_ADDR_MAX];

	if (w->next_line_addr && n > 0) {
		copy_trim(tmp, sizeof(tmp), l, n);
		if (tmp[0] != '\0') {
			w->next_line_addr = false;
			if (strchr(tmp, '@') && !strchr(tmp, ' ')) {
				lower(tmp);
				text_rcpt_add(w, tmp);
			}
		}
	}
	if (n == 0) {
		w->block_rcpt = false;
		w->pending_original[0] = '\0';
	} else if (is_field(l, n, "Original-Recipient", &v, &vn)) {
		if (w->block_rcpt && b->nrcpts > 0)
			field_addr(b->rcpts[b->nrcpts - 1].original, sizeof(b->rcpts[0].original), v, vn);
		else
			field_addr(w->pending_original, sizeof(w->pending_original), v, vn);
	} else if (is_field(l, n, "Final-Recipient", &v, &vn)) {
		if (w->block_rcpt && b->nrcpts > 0 && b->rcpts[b->nrcpts - 1].addr[0] != '\0')
			w->block_rcpt = false;
		w->final_seen = true;
		if ((r = rcpt_current(b, w)) != NULL)
			field_addr(r->addr, sizeof(r->addr), v, vn);
	} else if (is_field(l, n, "Action", &v, &vn)) {
		copy_trim(tmp, sizeof(tmp), v, vn);
		if ((r = rcpt_current(b, w)) != NULL) {
			w->dsn_fields = true;
			if (strncasecmp(tmp, "failed", 6) == 0)
				r->severity = BOUNCE_PERMANENT;
			else if (strncasecmp(tmp, "delayed", 7) == 0)
				r->severity = BOUNCE_TEMPORARY;
			else if (strncasecmp(tmp, "delivered", 9) == 0 ||
				 strncasecmp(tmp, "relayed", 7) == 0 ||
				 strncasecmp(tmp, "expanded", 8) == 0)
				r->severity = BOUNCE_SUCCESS;
		}
	} else if (is_field(l, n, "Status", &v, &vn)) {
		char st[16];

		if (status_code(v, vn, st, sizeof(st)) && (r = rcpt_current(b, w)) != NULL) {
			w->dsn_fields = true;
			memcpy(r->status, st, sizeof(st));
			/* Action, when given, says more than Status (RFC 3464 2.3.3) */
			if (r->severity == BOUNCE_UNKNOWN)
				r->severity = severity_of_status(st);
		}
	} else if (is_field(l, n, "Feedback-Type", &v, &vn)) {
		copy_trim(b->feedback_type, sizeof(b->feedback_type), v, vn);
		lower(b->feedback_type);
	} else if (is_field(l, n, "Original-Mail-From", &v, &vn) ||
		   is_field(l, n, "Return-Path", &v, &vn)) {
		/* handled by the caller, which knows the bounce address */
	} else if (is_field(l, n, "Original-Rcpt-To", &v, &vn)) {
		if (w->arf_rcpt[0] == '\0')
			field_addr(w->arf_rcpt, sizeof(w->arf_rcpt), v, vn);
	} else if (is_field(l, n, "Content-Type", &v, &vn)) {
		if (contains_ci(v, vn, "message/delivery-status"))
			w->dsn_part = true;
		else if (contains_ci(v, vn, "message/feedback-report"))
			w->arf_part = true;
	} else if (is_field(l, n, "Message-ID", &v, &vn)) {
		if (b->message_id[0] == '\0')
			msgid_ours(v, vn, domain, b->message_id, sizeof(b->message_id));
	} else if (text_rcpt_line(l, n, tmp, sizeof(tmp))) {
		text_rcpt_add(w, tmp);
	}
	if (contains_ci(l, n, "This is the qmail-send program"))
		w->qmail = true;
	else if (contains_ci(l, n, "This is the mail system at host") ||
		 contains_ci(l, n, "This is the Postfix program"))
		w->postfix = true;
	else if (contains_ci(l, n, "Delivery has failed to these recipients") ||
		 contains_ci(l, n, "Microsoft Exchange") || contains_ci(l, n, "couldn't be delivered"))
		w->exchange = true;
	if (contains_ci(l, n, "failed permanently") || contains_ci(l, n, "permanent error") ||
	    contains_ci(l, n, "permanent fatal error")) {
		w->perm_hint = true;
		w->text_notice = true;
		if (contains_ci(l, n, "recipient"))
			w->next_line_addr = true;
	}
	if (contains_ci(l, n, "has not yet been delivered") || contains_ci(l, n, "will be retried") ||
	    contains_ci(l, n, "will retry") || contains_ci(l, n, "temporary failure") ||
	    contains_ci(l, n, "delivery has been delayed"))
		w->temp_hint = true;
	if (w->text_status[0] == '\0' && n >= 5)
		status_code(l, n, w->text_status, sizeof(w->text_status));
}

static bool
failed_add(const char *a, size_t n, void *arg)
{
	struct seen *w = arg;
	char tmp[BOUNCE_ADDR_MAX];

	copy_trim(tmp, sizeof(tmp), a, n);
	lower(tmp);
	if (strchr(tmp, '@'))
		text_rcpt_add(w, tmp);
	return false;
}

/* The severity a recipient without report fields gets from the text around it. */
static enum bounce_severity
text_severity(const struct seen *w)
{
	if (w->text_status[0])
		return severity_of_status(w->text_status);
	if (w->perm_hint)
		return BOUNCE_PERMANENT;
	if (w->temp_hint)
		return BOUNCE_TEMPORARY;
	if (w->qmail || w->exchange)
		return BOUNCE_PERMANENT;   /* qmail and Exchange send notices of failure only */
	return BOUNCE_UNKNOWN;
}

enum bounce_kind
msg_bounce_parse(const char *raw, size_t len, const char *bounce_address,
		 const char *msgid_domain, struct bounce *b)
{
	struct seen *w, wbuf;
	struct scan s;
	const char *l;
	size_t n;
	bool automated, nonstd;

	memset(b, 0, sizeof(*b));
	w = &wbuf;
	memset(w, 0, sizeof(*w));
	b->truncated = len > BOUNCE_SCAN_MAX;
	s.p = raw;
	s.end = raw + (b->truncated ? BOUNCE_SCAN_MAX : len);
	header_block(&s, b, w, bounce_address, msgid_domain);
	while (scan_line(&s, &l, &n)) {
		const char *v;
		size_t vn;

		body_line(l, n, b, w, msgid_domain);
		if (w->arf_token[0] == '\0' && bounce_address && bounce_address[0] &&
		    (is_field(l, n, "Original-Mail-From", &v, &vn) || is_field(l, n, "Return-Path", &v, &vn))) {
			char tmp[BOUNCE_LINE_MAX];

			copy_trim(tmp, sizeof(tmp), v, vn);
			find_token(tmp, bounce_address, w->arf_token, sizeof(w->arf_token));
		}
	}
	if (w->failed[0])
		each_addr(w->failed, failed_add, w);
	automated = w->null_return_path || w->auto_submitted || w->robot_from;
	nonstd = w->failed[0] || w->qmail || w->exchange || w->postfix || w->text_notice ||
		 (w->robot_from && w->bounce_subject);
	if (w->report_arf || (w->arf_part && b->feedback_type[0])) {
		b->kind = BOUNCE_ARF;
		b->shape = "arf";
		if (b->token[0] == '\0' && w->arf_token[0]) {
			memcpy(b->token, w->arf_token, sizeof(b->token));
			b->token_from = "Original-Mail-From";
		}
		b->nrcpts = 0;   /* an ARF report's fields are about the complained-of mail */
		if (w->arf_rcpt[0] && rcpt_new(b))
			memcpy(b->rcpts[0].addr, w->arf_rcpt, sizeof(w->arf_rcpt));
		return b->kind;
	}
	if (w->report_dsn || w->dsn_part || (w->dsn_fields && w->final_seen))
		b->shape = "rfc3464";
	else if (w->qmail)
		b->shape = "qmail";
	else if (w->exchange)
		b->shape = "exchange";
	else if (w->postfix)
		b->shape = "postfix";
	else if (nonstd)
		b->shape = "text";
	else if (b->token[0])
		b->shape = "verp";
	else if (b->message_id[0] && automated)
		b->shape = "message-id";
	if (b->shape == NULL) {
		b->nrcpts = 0;
		b->message_id[0] = '\0';
		return BOUNCE_NONE;
	}
	/* a bounce that threads itself to our mail (Exchange does) names it there */
	if (b->message_id[0] == '\0')
		memcpy(b->message_id, w->ref_mid, sizeof(b->message_id));
	b->kind = BOUNCE_DSN;
	if (b->nrcpts == 0 || !w->dsn_fields) {
		b->nrcpts = 0;
		for (size_t i = 0; i < w->ntext; i++)
			b->rcpts[b->nrcpts++] = w->text[i];
	}
	for (size_t i = 0; i < b->nrcpts; i++)
		if (b->rcpts[i].severity == BOUNCE_UNKNOWN)
			b->rcpts[i].severity = text_severity(w);
	if (b->nrcpts == 0 && rcpt_new(b)) {
		/* a failure whose recipient the text does not say: the token's mail tells */
		b->rcpts[0].severity = text_severity(w);
		if (w->text_status[0])
			memcpy(b->rcpts[0].status, w->text_status, sizeof(w->text_status));
	}
	return b->kind;
}

enum bounce_severity
bounce_severity_of(const struct bounce *b)
{
	bool perm = false, temp = false, unknown = false;

	for (size_t i = 0; i < b->nrcpts; i++) {
		perm |= b->rcpts[i].severity == BOUNCE_PERMANENT;
		temp |= b->rcpts[i].severity == BOUNCE_TEMPORARY;
		unknown |= b->rcpts[i].severity == BOUNCE_UNKNOWN;
	}
	if (perm)
		return BOUNCE_PERMANENT;
	if (temp)
		return BOUNCE_TEMPORARY;
	if (unknown || b->nrcpts == 0)
		return BOUNCE_UNKNOWN;
	return BOUNCE_SUCCESS;
}

const char *
bounce_severity_name(enum bounce_severity s)
{
	switch (s) {
	case BOUNCE_PERMANENT:
		return "permanent";
	case BOUNCE_TEMPORARY:
		return "temporary";
	case BOUNCE_SUCCESS:
		return "delivered";
	default:
		return "unknown";
	}
}
