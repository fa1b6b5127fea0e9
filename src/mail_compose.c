/* mail_compose.c: outgoing RFC 5322 messages (see mail_compose.h). Every header line goes
 * through one writer that accepts only printable ASCII tokens, folds between them at 78
 * columns and refuses lines over 998 octets, so no value can smuggle in CR, LF or NUL.
 * All returned strings are new and the caller's to free(). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail_compose.h"
#include "util.h"

#define LINE_FOLD   78     /* RFC 5322 §2.1.1: SHOULD */
#define LINE_MAX_HDR 998   /* RFC 5322 §2.1.1: MUST */
#define QP_LINE     76     /* RFC 2045 §6.7 (5) */
#define WORD_MAX    76     /* longest plain word left unencoded in a header */
#define EW_BYTES    39     /* raw bytes per encoded word: 52 base64 chars, 64 in all,
			    * so "Subject: " plus one word stays within 76 (RFC 2047 §2) */
#define MAIL_MAX_MSG (16u * 1024 * 1024)

/* Header names written by mail_compose(); extra headers may not repeat them. */
static const char *const own_headers[] = {
	"Date", "From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Message-ID",
	"In-Reply-To", "References", "Auto-Submitted", "X-Loop", "X-Auto-Response-Suppress",
	"MIME-Version", "Content-Type", "Content-Transfer-Encoding", "Return-Path",
	"Content-Language",
};

/* An RFC 5646 tag as ilnbot writes it: letters, digits and '-', 1 to 35 bytes. */
static bool
lang_tag_safe(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 35)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		      (s[i] >= '0' && s[i] <= '9') || (s[i] == '-' && i > 0)))
			return false;
	return true;
}

/* One header field being written: the writer checks every byte and the line lengths. */
struct hdr {
	struct buf *b;
	size_t col;
	bool first;   /* no token yet on this field */
	bool bad;
};

static void
hdr_begin(struct hdr *h, struct buf *b, const char *name)
{
	h->b = b;
	h->first = true;
	h->bad = false;
	buf_adds(b, name);
	buf_addc(b, ':');
	h->col = strlen(name) + 1;
}

/* Add one token (bytes 0x20-0x7e only; also UTF-8 beyond ASCII when utf8, for an
 * address mail_addr_valid passed: RFC 6532), after a space or a fold. */
static void
hdr_tok_any(struct hdr *h, const char *tok, size_t n, bool utf8)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)tok[i] < 0x20 || (unsigned char)tok[i] == 0x7f ||
		    (!utf8 && (unsigned char)tok[i] > 0x7e))
			h->bad = true;
	if (n == 0 || h->bad)
		return;
	if (!h->first && h->col + 1 + n > LINE_FOLD) {
		buf_adds(h->b, "\r\n ");
		h->col = 1;
	} else {
		buf_addc(h->b, ' ');
		h->col++;
	}
	buf_add(h->b, tok, n);
	h->col += n;
	h->first = false;
	if (h->col > LINE_MAX_HDR)
		h->bad = true;
}

static void
hdr_tok(struct hdr *h, const char *tok, size_t n)
{
	hdr_tok_any(h, tok, n, false);
}

/* Add the space-separated words of s as tokens. */
static void
hdr_words(struct hdr *h, const char *s)
{
	while (*s) {
		size_t n = strcspn(s, " ");

		hdr_tok(h, s, n);
		s += n;
		while (*s == ' ')
			s++;
	}
}

static int
hdr_end(struct hdr *h)
{
	buf_adds(h->b, "\r\n");
	return h->bad ? -1 : 0;
}

static void seterr(char *err, size_t errsz, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void
seterr(char *err, size_t errsz, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errsz == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errsz, fmt, ap);
	va_end(ap);
}

static bool
atext(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* dot-atom: atext runs separated by single dots. */
static bool
dot_atom(const char *s, size_t n)
{
	if (n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '.') {
			if (s[i + 1] == '.')
				return false;
		} else if (!atext((unsigned char)s[i])) {
			return false;
		}
	}
	return true;
}

static bool
domain_valid(const char *s, size_t n)
{
	size_t label = 0;

	if (n == 0 || n > 253 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];

		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return false;
			label = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '-'))
			return false;
		if (c == '-' && label == 0)
			return false;
		if (++label > 63)
			return false;
	}
	return s[n - 1] != '-';
}

/* A local part: a dot-atom whose atext may include UTF-8 beyond ASCII (RFC 6531, 6532),
 * valid and without C1 controls. */
static bool
local_valid(const char *s, size_t n)
{
	bool ascii = true;

	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] >= 0x80) {
			ascii = false;
			if ((unsigned char)s[i] == 0xc2 && i + 1 < n && (unsigned char)s[i + 1] < 0xa0)
				return false;
		}
	if (ascii)
		return dot_atom(s, n);
	if (!utf8_valid(s, n) || n == 0 || s[0] == '.' || s[n - 1] == '.')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.' ? s[i + 1] == '.' : c < 0x80 && !atext(c))
			return false;
	}
	return true;
}

bool
mail_addr_valid(const char *addr)
{
	const char *at;
	size_t n;

	if (addr == NULL || (n = strlen(addr)) == 0 || n > 254)
		return false;
	if ((at = strchr(addr, '@')) == NULL || strchr(at + 1, '@') != NULL)
		return false;
	if (at - addr > 64 || !local_valid(addr, (size_t)(at - addr)))
		return false;
	return domain_valid(at + 1, strlen(at + 1));
}

bool
mail_addr_strict(const char *addr)
{
	const char *at, *dot, *p;

	if (!mail_addr_valid(addr))
		return false;
	at = strchr(addr, '@');
	if ((dot = strrchr(at, '.')) == NULL || dot[1] == '\0')
		return false;
	for (p = dot + 1; *p; p++)
		if (!((*p >= '0' && *p <= '9') || *p == '-'))
			return true;
	return false;       /* an all-numeric top label: an IP address, not a domain */
}

bool
mail_msgid_valid(const char *id)
{
	size_t n, ats = 0;

	if (id == NULL || (n = strlen(id)) < 5 || n > MAIL_MAX_MSGID)
		return false;
	if (id[0] != '<' || id[n - 1] != '>')
		return false;
	for (size_t i = 1; i < n - 1; i++) {
		unsigned char c = (unsigned char)id[i];

		if (c == '@') {
			if (++ats > 1 || i == 1 || i == n - 2)
				return false;
		} else if (c != '.' && !atext(c)) {
			return false;
		}
	}
	return ats == 1;
}

char *
mail_message_id_new(const char *domain)
{
	char *tok, *id;

	if (domain == NULL || !domain_valid(domain, strlen(domain)))
		return NULL;
	tok = random_token(16);
	id = xasprintf("<%s@%s>", tok, domain);
	free(tok);
	return id;
}

/*
 * User text for a header: valid UTF-8, C0 and C1 controls, DEL, U+2028 and U+2029 as
 * spaces (a decoder must never hand anyone a line break), runs of spaces collapsed, ends
 * trimmed, at most cap bytes cut on a character boundary.
 */
static char *
text_clean(const char *in, size_t cap)
{
	char *s = utf8_sanitize(in, strlen(in));
	unsigned char *p = (unsigned char *)s;
	size_t i = 0, o = 0;

	while (p[i]) {
		unsigned char c = p[i];
		size_t k = 1;
		bool space = false;

		if (c < 0x20 || c == 0x7f)
			space = true;
		else if (c == 0xc2 && p[i + 1] >= 0x80 && p[i + 1] <= 0x9f)
			space = true, k = 2;
		else if (c == 0xe2 && p[i + 1] == 0x80 && (p[i + 2] == 0xa8 || p[i + 2] == 0xa9))
			space = true, k = 3;
		else if (c >= 0xf0)
			k = 4;
		else if (c >= 0xe0)
			k = 3;
		else if (c >= 0xc0)
			k = 2;
		if (space || c == ' ') {
			if (o > 0 && p[o - 1] != ' ')
				p[o++] = ' ';
			i += k;
			continue;
		}
		if (o + k > cap)
			break;
		memmove(p + o, p + i, k);
		o += k;
		i += k;
	}
	while (o > 0 && p[o - 1] == ' ')
		o--;
	p[o] = '\0';
	return s;
}

/* Plain enough to go into a header as it is. */
static bool
plain_ascii(const char *s, size_t maxword)
{
	size_t word = 0;

	if (strstr(s, "=?") != NULL)
		return false;
	for (; *s; s++) {
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
		word = *s == ' ' ? 0 : word + 1;
		if (word > maxword)
			return false;
	}
	return true;
}

static void
base64_add(struct buf *b, const unsigned char *p, size_t n)
{
	static const char tab[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		buf_addc(b, tab[(v >> 18) & 63]);
		buf_addc(b, tab[(v >> 12) & 63]);
		buf_addc(b, i + 1 < n ? tab[(v >> 6) & 63] : '=');
		buf_addc(b, i + 2 < n ? tab[v & 63] : '=');
	}
}

/* RFC 2047 B words for all of utf8, or (unless force) utf8 itself when plain. */
static char *
encode_words(const char *utf8, bool force)
{
	char *s = utf8_sanitize(utf8, strlen(utf8));
	size_t n = strlen(s), i = 0;
	struct buf b;

	if (!force && plain_ascii(s, WORD_MAX))
		return s;
	buf_init(&b, 0);
	while (i < n) {
		size_t j = i + (n - i < EW_BYTES ? n - i : EW_BYTES);

		while (j < n && j > i && ((unsigned char)s[j] & 0xc0) == 0x80)
			j--;
		if (b.len)
			buf_addc(&b, ' ');
		buf_adds(&b, "=?UTF-8?B?");
		base64_add(&b, (const unsigned char *)s + i, j - i);
		buf_adds(&b, "?=");
		i = j;
	}
	free(s);
	return buf_steal(&b);
}

char *
mail_encode_word(const char *utf8)
{
	return encode_words(utf8, false);
}

static int
hdr_addrs(struct buf *b, const char *name, const char *const *list, size_t n, char *err,
	  size_t errsz)
{
	struct hdr h;

	if (n > MAIL_MAX_RCPTS) {
		seterr(err, errsz, "%s: more than %d addresses", name, MAIL_MAX_RCPTS);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (!mail_addr_valid(list[i])) {
			seterr(err, errsz, "%s: invalid address", name);
			return -1;
		}
	hdr_begin(&h, b, name);
	for (size_t i = 0; i < n; i++) {
		char *t = xasprintf("%s%s", list[i], i + 1 < n ? "," : "");

		hdr_tok_any(&h, t, strlen(t), true);
		free(t);
	}
	if (hdr_end(&h) < 0) {
		seterr(err, errsz, "%s: unsafe value", name);
		return -1;
	}
	return 0;
}

static int
hdr_from(struct buf *b, const char *name, const char *addr, char *err, size_t errsz)
{
	char *clean = text_clean(name ? name : "", MAIL_MAX_NAME), *enc = NULL, *a;
	struct hdr h;
	int rc;

	hdr_begin(&h, b, "From");
	if (*clean && plain_ascii(clean, 64) && strlen(clean) <= 64) {
		struct buf q;

		buf_init(&q, 0);
		buf_addc(&q, '"');
		for (const char *p = clean; *p; p++) {
			if (*p == '"' || *p == '\\')
				buf_addc(&q, '\\');
			buf_addc(&q, *p);
		}
		buf_addc(&q, '"');
		hdr_tok(&h, q.data, q.len);
		buf_free(&q);
	} else if (*clean) {
		/* a phrase cannot hold every ASCII character unquoted: encode it all */
		enc = encode_words(clean, true);
		hdr_words(&h, enc);
	}
	a = xasprintf(*clean ? "<%s>" : "%s", addr);
	hdr_tok(&h, a, strlen(a));
	free(a);
	if ((rc = hdr_end(&h)) < 0)
		seterr(err, errsz, "From: unsafe value");
	free(clean);
	free(enc);
	return rc;
}

/* References: the valid "<id>"s of s, the first and the last MAIL_MAX_REFS - 1. */
static int
hdr_refs(struct buf *b, const char *s, char *err, size_t errsz)
{
	const char *ids[256];
	size_t n = 0;
	struct hdr h;
	int rc = 0;

	while (*s) {
		const char *gt;

		if (*s != '<') {
			s++;
			continue;
		}
		if ((gt = strpbrk(s + 1, "<>")) == NULL)
			break;
		if (*gt == '<') {
			s = gt;
			continue;
		}
		if (gt - s + 1 <= MAIL_MAX_MSGID) {
			char id[MAIL_MAX_MSGID + 1];

			memcpy(id, s, (size_t)(gt - s + 1));
			id[gt - s + 1] = '\0';
			if (mail_msgid_valid(id)) {
				if (n == nitems(ids)) {
					memmove(ids + 1, ids + 2, (n - 2) * sizeof(ids[0]));
					n--;
				}
				ids[n++] = s;
			}
		}
		s = gt + 1;
	}
	if (n == 0)
		return 0;
	hdr_begin(&h, b, "References");
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && n - i >= MAIL_MAX_REFS)
			continue;
		hdr_tok(&h, ids[i], strcspn(ids[i], ">") + 1);
	}
	if (hdr_end(&h) < 0) {
		seterr(err, errsz, "References: unsafe value");
		rc = -1;
	}
	return rc;
}

static int
hdr_extra(struct buf *b, const struct mail_header *x, const struct mail_header *prev,
	  size_t nprev, char *err, size_t errsz)
{
	const unsigned char *v = (const unsigned char *)(x->value ? x->value : "");
	size_t nlen = x->name ? strlen(x->name) : 0;
	bool ascii = true;
	char *clean = NULL, *enc = NULL;
	struct hdr h;
	int rc = -1;

	if (nlen == 0 || nlen > 76 || strspn(x->name, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
		"abcdefghijklmnopqrstuvwxyz0123456789-") != nlen) {
		seterr(err, errsz, "extra header: bad name");
		goto out;
	}
	for (size_t i = 0; i < nitems(own_headers); i++)
		if (strcasecmp(x->name, own_headers[i]) == 0) {
			seterr(err, errsz, "extra header %s: written by mail_compose", x->name);
			goto out;
		}
	for (size_t i = 0; i < nprev; i++)
		if (strcasecmp(x->name, prev[i].name) == 0) {
			seterr(err, errsz, "extra header %s: given twice", x->name);
			goto out;
		}
	for (const unsigned char *p = v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f) {
			seterr(err, errsz, "extra header %s: control character", x->name);
			goto out;
		}
		if (*p >= 0x80)
			ascii = false;
	}
	if (!ascii && !utf8_valid((const char *)v, strlen((const char *)v))) {
		seterr(err, errsz, "extra header %s: invalid UTF-8", x->name);
		goto out;
	}
	clean = text_clean((const char *)v, LINE_MAX_HDR * 8);
	if (*clean == '\0') {
		seterr(err, errsz, "extra header %s: empty value", x->name);
		goto out;
	}
	hdr_begin(&h, b, x->name);
	if (ascii) {
		hdr_words(&h, clean);
	} else {
		enc = mail_encode_word(clean);
		hdr_words(&h, enc);
	}
	if (hdr_end(&h) < 0) {
		seterr(err, errsz, "extra header %s: unsafe value", x->name);
		goto out;
	}
	rc = 0;
out:
	free(clean);
	free(enc);
	return rc;
}

/* Quoted-printable (RFC 2045 §6.7) of s, with every line break made CRLF. */
static void
qp_body(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;

	while (*p) {
		const unsigned char *e = p;
		size_t col = 0;

		while (*e && *e != '\r' && *e != '\n')
			e++;
		for (const unsigned char *c = p; c < e; c++) {
			bool last = c + 1 == e;

			for (;;) {
				bool lit = (*c >= 33 && *c <= 126 && *c != '=') ||
					   ((*c == ' ' || *c == '\t') && !last);
				size_t tl;

				/* a line starting "." or "From " survives SMTP and mbox untouched */
				if (col == 0 && (*c == '.' || (e - c >= 5 &&
				    memcmp(c, "From ", 5) == 0)))
					lit = false;
				tl = lit ? 1 : 3;
				if (col + tl > (last ? QP_LINE : QP_LINE - 1)) {
					buf_adds(b, "=\r\n");
					col = 0;
					continue;
				}
				if (lit) {
					buf_addc(b, (char)*c);
				} else {
					buf_addc(b, '=');
					buf_addc(b, hex[*c >> 4]);
					buf_addc(b, hex[*c & 15]);
				}
				col += tl;
				break;
			}
		}
		buf_adds(b, "\r\n");
		p = e;
		if (*p == '\r')
			p++;
		if (*p == '\n' && (p == e || p[-1] == '\r'))
			p++;
	}
}

/* An attachment's name is a plain file name and its type a plain MIME type with
 * optional "; charset=..." parameter: nothing a header could be made of. */
static bool
attach_safe(const char *name, const char *type)
{
	if (name == NULL || type == NULL || name[0] == '\0' || strlen(name) > 64 ||
	    strspn(name, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
	    strlen(name))
		return false;
	return strlen(type) < 100 && strspn(type, "abcdefghijklmnopqrstuvwxyz0123456789/.+-;= "
					    "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(type);
}

char *
mail_compose_prefix(const char *to, const char *message_id, size_t *len, char *err,
		    size_t errsz)
{
	struct buf b;

	buf_init(&b, 0);
	if (!mail_msgid_valid(message_id)) {
		seterr(err, errsz, "Message-ID: invalid");
		buf_free(&b);
		return NULL;
	}
	if (hdr_addrs(&b, "To", &to, 1, err, errsz) < 0) {
		buf_free(&b);
		return NULL;
	}
	buf_printf(&b, "Message-ID: %s\r\n", message_id);
	*len = b.len;
	return buf_steal(&b);
}

char *
mail_compose(const struct mail_out *m, size_t *len, char *err, size_t errsz)
{
	char date[64], *subj = NULL, *enc = NULL, *body = NULL, *out = NULL, *bnd = NULL;
	char *alt = NULL;
	struct buf b;
	struct hdr h;

	buf_init(&b, MAIL_MAX_MSG);
	if (len)
		*len = 0;
	if (!mail_addr_valid(m->from_addr)) {
		seterr(err, errsz, "From: invalid address");
		goto out;
	}
	if (!m->shared && (m->nto == 0 || m->to == NULL)) {
		seterr(err, errsz, "To: no recipient");
		goto out;
	}
	if (!m->shared && !mail_msgid_valid(m->message_id)) {
		seterr(err, errsz, "Message-ID: invalid");
		goto out;
	}
	if (m->in_reply_to && !mail_msgid_valid(m->in_reply_to)) {
		seterr(err, errsz, "In-Reply-To: invalid message-id");
		goto out;
	}
	if (m->auto_submitted == NULL || (strcmp(m->auto_submitted, "auto-replied") != 0 &&
	    strcmp(m->auto_submitted, "auto-generated") != 0)) {
		seterr(err, errsz, "Auto-Submitted: must be auto-replied or auto-generated");
		goto out;
	}
	if (m->date < 0 || m->date > 253402300799LL) {
		seterr(err, errsz, "Date: out of range");
		goto out;
	}
	if (m->nextra > MAIL_MAX_EXTRA) {
		seterr(err, errsz, "more than %d extra headers", MAIL_MAX_EXTRA);
		goto out;
	}
	if (m->body && strlen(m->body) > MAIL_MAX_BODY) {
		seterr(err, errsz, "body larger than %u bytes", MAIL_MAX_BODY);
		goto out;
	}

	time_format_rfc5322(m->date, date, sizeof(date));
	buf_printf(&b, "Date: %s\r\n", date);
	if (hdr_from(&b, m->from_name, m->from_addr, err, errsz) < 0 ||
	    (!m->shared && hdr_addrs(&b, "To", m->to, m->nto, err, errsz) < 0) ||
	    (m->ncc && hdr_addrs(&b, "Cc", m->cc, m->ncc, err, errsz) < 0) ||
	    (m->nreply_to && hdr_addrs(&b, "Reply-To", m->reply_to, m->nreply_to, err,
				       errsz) < 0))
		goto out;

	subj = text_clean(m->subject ? m->subject : "", MAIL_MAX_SUBJECT);
	enc = mail_encode_word(subj);
	hdr_begin(&h, &b, "Subject");
	hdr_words(&h, enc);
	if (hdr_end(&h) < 0) {
		seterr(err, errsz, "Subject: unsafe value");
		goto out;
	}
	if (!m->shared)
		buf_printf(&b, "Message-ID: %s\r\n", m->message_id);
	if (m->in_reply_to)
		buf_printf(&b, "In-Reply-To: %s\r\n", m->in_reply_to);
	if (m->references && hdr_refs(&b, m->references, err, errsz) < 0)
		goto out;
	buf_printf(&b, "Auto-Submitted: %s\r\n", m->auto_submitted);
	buf_printf(&b, "X-Loop: %s\r\n", m->from_addr);
	buf_adds(&b, "X-Auto-Response-Suppress: All\r\n");
	for (size_t i = 0; i < m->nextra; i++)
		if (hdr_extra(&b, &m->extra[i], m->extra, i, err, errsz) < 0)
			goto out;
	buf_adds(&b, "MIME-Version: 1.0\r\n");
	if (m->content_language) {
		if (!lang_tag_safe(m->content_language)) {
			seterr(err, errsz, "Content-Language: not a language tag");
			goto out;
		}
		buf_printf(&b, "Content-Language: %s\r\n", m->content_language);
	}
	if (m->attach_data) {
		if (!attach_safe(m->attach_name, m->attach_type)) {
			seterr(err, errsz, "attachment: unsafe name or type");
			goto out;
		}
		bnd = random_token(12);
		buf_printf(&b, "Content-Type: multipart/mixed; boundary=\"=_%s\"\r\n\r\n"
			   "This is a MIME message.\r\n--=_%s\r\n", bnd, bnd);
	}
	if (m->body_html) {
		if (strlen(m->body_html) > MAIL_MAX_BODY) {
			seterr(err, errsz, "HTML body larger than %u bytes", MAIL_MAX_BODY);
			goto out;
		}
		alt = random_token(12);
		buf_printf(&b, "Content-Type: multipart/alternative; boundary=\"=_%s\"\r\n\r\n",
			   alt);
		if (!m->attach_data)
			buf_adds(&b, "This is a MIME message.\r\n");
		buf_printf(&b, "--=_%s\r\n", alt);
	}
	buf_adds(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
		     "Content-Transfer-Encoding: quoted-printable\r\n"
		     "\r\n");
	body = utf8_sanitize(m->body ? m->body : "", m->body ? strlen(m->body) : 0);
	qp_body(&b, body);
	if (m->body_html) {
		char *html = utf8_sanitize(m->body_html, strlen(m->body_html));

		buf_printf(&b, "--=_%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
			   "Content-Transfer-Encoding: quoted-printable\r\n\r\n", alt);
		qp_body(&b, html);
		free(html);
		buf_printf(&b, "--=_%s--\r\n", alt);
	}
	if (m->attach_data) {
		buf_printf(&b, "--=_%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n"
			   "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n", bnd,
			   m->attach_type, m->attach_name);
		for (size_t off = 0; off < m->attach_len; off += 57) {
			size_t n = m->attach_len - off < 57 ? m->attach_len - off : 57;

			base64_add(&b, (const unsigned char *)m->attach_data + off, n);
			buf_adds(&b, "\r\n");
		}
		buf_printf(&b, "--=_%s--\r\n", bnd);
	}
	if (b.overflow) {
		seterr(err, errsz, "message larger than %u bytes", MAIL_MAX_MSG);
		goto out;
	}
	if (len)
		*len = b.len;
	out = buf_steal(&b);
out:
	buf_free(&b);
	free(subj);
	free(enc);
	free(body);
	free(bnd);
	free(alt);
	return out;
}

/* ---- reading composed mail back, for erasure ---- */

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 0x20;
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int
b64val(int c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* b64_decode_into: base64 of s[0..n) appended to b, anything else skipped, until a '='
 * pad, a line starting with '-' (a MIME boundary) or the end; returns how far it read. */
static size_t
b64_decode_into(struct buf *b, const char *s, size_t n)
{
	unsigned v = 0;
	int bits = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		int d = b64val((unsigned char)s[i]);

		if (s[i] == '=' || (s[i] == '-' && i > 0 && s[i - 1] == '\n'))
			break;
		if (d < 0)
			continue;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(b, (char)((v >> bits) & 0xff));
		}
	}
	return i;
}

/* ew_decode: the RFC 2047 encoded word at s[0..n) ("=?cs?X?text?=") appended to b; its
 * length, or 0 when s holds none. */
static size_t
ew_decode(struct buf *b, const char *s, size_t n)
{
	const char *end = n > 4 ? memmem(s + 2, n - 2, "?=", 2) : NULL;
	const char *q1, *q2;

	if (n < 8 || s[0] != '=' || s[1] != '?' || end == NULL)
		return 0;
	if ((q1 = memchr(s + 2, '?', (size_t)(end - s - 2))) == NULL || q1 + 2 >= end ||
	    q1[2] != '?')
		return 0;
	q2 = q1 + 3;
	if ((q1[1] | 0x20) == 'b') {
		b64_decode_into(b, q2, (size_t)(end - q2));
	} else if ((q1[1] | 0x20) == 'q') {
		for (const char *t = q2; t < end; t++) {
			if (*t == '_')
				buf_addc(b, ' ');
			else if (*t == '=' && end - t > 2 && hexval(t[1]) >= 0 && hexval(t[2]) >= 0) {
				buf_addc(b, (char)(hexval(t[1]) * 16 + hexval(t[2])));
				t += 2;
			} else
				buf_addc(b, *t);
		}
	} else
		return 0;
	return (size_t)(end + 2 - s);
}

/* mail_decoded: raw read through quoted-printable and encoded words, then every base64
 * part's content; lowercase ASCII. Caller frees (buf_free). */
static void
mail_decoded(struct buf *b, const char *raw, size_t len)
{
	const char *p = raw, *e = raw + len;

	buf_init(b, 0);
	for (size_t i = 0; i < len; i++) {
		size_t w;

		if (raw[i] == '=' && (w = ew_decode(b, raw + i, len - i)) > 0) {
			i += w - 1;
			/* whitespace between adjacent encoded words is no text (RFC 2047 §6.2) */
			for (size_t j = i + 1; j < len && (raw[j] == ' ' || raw[j] == '\t' ||
							   raw[j] == '\r' || raw[j] == '\n'); j++)
				if (j + 1 < len && raw[j + 1] == '=' && j + 2 < len && raw[j + 2] == '?') {
					i = j;
					break;
				}
			continue;
		}
		if (raw[i] == '=' && i + 2 < len && raw[i + 1] == '\r' && raw[i + 2] == '\n') {
			i += 2;
			continue;
		}
		if (raw[i] == '=' && i + 1 < len && raw[i + 1] == '\n') {
			i++;
			continue;
		}
		if (raw[i] == '=' && i + 2 < len && hexval((unsigned char)raw[i + 1]) >= 0 &&
		    hexval((unsigned char)raw[i + 2]) >= 0) {
			buf_addc(b, (char)(hexval((unsigned char)raw[i + 1]) * 16 +
					   hexval((unsigned char)raw[i + 2])));
			i += 2;
			continue;
		}
		buf_addc(b, raw[i]);
	}
	while (p < e) {
		const char *h = memmem(p, (size_t)(e - p), "Content-Transfer-Encoding: base64", 33);
		const char *body;

		if (h == NULL || (body = memmem(h, (size_t)(e - h), "\r\n\r\n", 4)) == NULL)
			break;
		body += 4;
		buf_addc(b, '\n');
		p = body + b64_decode_into(b, body, (size_t)(e - body));
		if (p == body)
			p++;
	}
	for (size_t i = 0; i < b->len; i++)
		if (b->data[i] >= 'A' && b->data[i] <= 'Z')
			b->data[i] = (char)(b->data[i] + 32);
}

bool
mail_mentions(const char *raw, size_t len, const char *needle)
{
	struct buf b;
	char *n = xstrdup(needle);
	size_t nl = strlen(n);
	bool found;

	for (size_t i = 0; i < nl; i++)
		if (n[i] >= 'A' && n[i] <= 'Z')
			n[i] = (char)(n[i] + 32);
	mail_decoded(&b, raw, len);
	found = nl > 0 && b.len >= nl && memmem(b.data, b.len, n, nl) != NULL;
	buf_free(&b);
	free(n);
	return found;
}
